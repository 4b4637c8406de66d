#!/bin/sh
# The test command of README.md, and what CI runs (.ci/run): installs the
# Debian packages that are missing, builds, runs `make check` (unit tests
# plain and under ASan+UBSan, lint, CLI tests, fuzz corpus replay, the lab's
# own checks and the integration tests when run as root), and ends with the
# sum of every suite: "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2
scripts/install-deps.sh lab || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p build
make check 2>&1 | tee build/check.log

status=0
grep -q '^make check: done' build/check.log || status=1
# every suite prints "<name>: N passed, M failed"; sum them
awk '/: [0-9]+ passed, [0-9]+ failed$/ { n = NF; p += $(n-3); f += $(n-1) }
     END { printf "%d passed, %d failed\n", p, f + 0 }' build/check.log > build/summary
failed=$(awk '{print $3}' build/summary)
[ "$failed" = 0 ] || status=1
[ "$status" = 0 ] || [ "$failed" != 0 ] || { echo "make check failed before its suites ran"; echo "$(awk '{print $1}' build/summary) passed, 1 failed"; exit 1; }
cat build/summary
exit $status

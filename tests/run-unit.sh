#!/bin/sh
# Run cmocka unit test binaries: run-unit.sh DIR "NAMES". Each prints its
# own cmocka summary; the last line sums them up.
dir=$1; names=$2
here=$(cd "$(dirname "$0")/.." && pwd)
export PB_FIXTURES="$here/build/fixtures" PB_TESTDATA="$here/tests/unit" \
       PB_PROFILES="$here/profiles"
pass=0; fail=0
for t in $names; do
	if "$dir/$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $dir/$t"; fi
done
echo "unit ($dir): $pass passed, $fail failed"
[ "$fail" = 0 ]

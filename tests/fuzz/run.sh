#!/bin/sh
# run.sh DIR SECONDS "FUZZERS": with SECONDS=0 replay the seed corpus once
# (make check); otherwise fuzz each harness for SECONDS (make fuzz).
dir=$1; secs=$2; names=$3
here=$(cd "$(dirname "$0")/../.." && pwd)
pass=0; fail=0
for f in $names; do
	corpus="$here/build/fuzz/corpus-$f"
	mkdir -p "$corpus"
	case $f in
	fuzz_cert) cp "$here"/build/fixtures/*.pem "$here"/build/fixtures/*.der \
		"$here"/build/fixtures/*.p7b "$corpus"/ 2>/dev/null ;;
	fuzz_profile) cp "$here"/profiles/*.ini "$here"/tests/unit/*.ini "$corpus"/ ;;
	esac
	[ -d "$here/tests/fuzz/corpus/$f" ] && cp "$here/tests/fuzz/corpus/$f"/* "$corpus"/ 2>/dev/null
	if [ "$secs" = 0 ]; then
		set -- -runs=0 -artifact_prefix="$dir/"
	else
		set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/"
	fi
	if ASAN_OPTIONS=detect_leaks=1 "$dir/$f" "$@" "$corpus" >"$dir/$f.log" 2>&1; then
		pass=$((pass + 1)); echo "fuzz $f: ok ($(grep -c . "$dir/$f.log") log lines)"
	else
		fail=$((fail + 1)); echo "fuzz $f: FAILED"; tail -30 "$dir/$f.log"
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]

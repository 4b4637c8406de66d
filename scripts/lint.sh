#!/bin/sh
# Lint: banned calls (STYLE.md 6: parse through lib/core/rd.h instead), and
# cppcheck's warnings. Prints "lint: N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0
bad=$(grep -nE '\b(sscanf|atoi|atol|strtok|strcpy|sprintf|gets)\s*\(' lib/ src/ -r \
	--include='*.c' --include='*.h' | grep -v 'lint-ok')
if [ -n "$bad" ]; then
	echo "lint: banned calls:"; echo "$bad"; fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
if command -v cppcheck >/dev/null; then
	# jansson's iteration macro, spelled out for cppcheck
	if cppcheck --quiet --error-exitcode=1 --enable=warning,portability --std=c11 \
		-Iinclude -Ilib -D_GNU_SOURCE --suppress=missingIncludeSystem \
		'-Djson_array_foreach(a,i,v)=for(;;)' lib src; then
		pass=$((pass + 1))
	else
		echo "lint: cppcheck found the above"; fail=$((fail + 1))
	fi
else
	echo "lint: cppcheck not installed, skipped"
fi
echo "lint: $pass passed, $fail failed"
[ "$fail" = 0 ]

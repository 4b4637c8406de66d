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
# every public header compiles on its own (it includes what it needs),
# and the umbrella header includes every one of them
hdr_fail=0
tmp=$(mktemp -d)
for h in include/phoneboot/*.h; do
	n=$(basename "$h")
	printf '#include "phoneboot/%s"\nint pb_lint_unused;\n' "$n" > "$tmp/t.c"
	# libuv's header needs POSIX 2008 (pthread_rwlock_t), as any user of it does
	${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -Iinclude $(pkg-config --cflags libuv jansson 2>/dev/null) \
		-fsyntax-only "$tmp/t.c" || { echo "lint: $h does not compile alone"; hdr_fail=1; }
	[ "$n" = phoneboot.h ] || grep -q "\"phoneboot/$n\"" include/phoneboot/phoneboot.h ||
		{ echo "lint: phoneboot.h does not include $n"; hdr_fail=1; }
done
rm -rf "$tmp"
if [ "$hdr_fail" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
echo "lint: $pass passed, $fail failed"
[ "$fail" = 0 ]

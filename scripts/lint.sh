#!/bin/sh
# Banned calls (STYLE.md 6): parse through lib/core/rd.h instead.
cd "$(dirname "$0")/.." || exit 2
bad=$(grep -nE '\b(sscanf|atoi|atol|strtok|strcpy|sprintf|gets)\s*\(' lib/ src/ -r \
	--include='*.c' --include='*.h' | grep -v 'lint-ok')
if [ -n "$bad" ]; then
	echo "lint: banned calls:"; echo "$bad"; echo "lint: 0 passed, 1 failed"; exit 1
fi
echo "lint: 1 passed, 0 failed"

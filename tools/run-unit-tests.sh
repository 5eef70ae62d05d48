#!/usr/bin/env bash
# Runs each cmocka unit test binary given on the command line and prints one
# summary line in the form CI reads: "unit: N passed, M failed".
set -u
passed=0
failed=0
for t in "$@"; do
	if "$t"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $t" >&2
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

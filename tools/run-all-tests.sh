#!/usr/bin/env bash
# Every test tier, in order of cost: formatting, unit (cmocka, ASan/UBSan), the Helm
# chart rendered with default and other values and checked object by object, BPF fixture
# tests (BPF_PROG_TEST_RUN) with the lockdown helper audit and CO-RE relocation, end to
# end (network namespaces, real servers, a real Prometheus). Prints one closing line:
# "tests: N passed, M failed".
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0

tier() {
	local name=$1
	shift
	echo "=== $name ==="
	"$@"
	local rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "=== $name FAILED (exit $rc) ===" ;;
	esac
}

tier "formatting (clang-format)" make --no-print-directory lint
tier "unit tests" make --no-print-directory unit-test
tier "helm chart (rendered and checked)" make --no-print-directory helm-test
tier "bpf tests (fixtures, lockdown helper audit, CO-RE)" make --no-print-directory bpf-test
tier "end-to-end tests" make --no-print-directory e2e-test

if [ "$skipped" -gt 0 ]; then
	echo "tests: $passed passed, $failed failed, $skipped skipped"
else
	echo "tests: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && { [ "$skipped" -eq 0 ] || [ "${CI:-}" != "true" ]; }

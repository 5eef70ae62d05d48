#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs the end-to-end tests: every tests/e2e/test_*.sh (or those named on the
# command line), each in its own bash process, one after the other since they
# share the node's netns names and the agent port.
#
#   tests/e2e/run.sh [TEST_NAME_OR_PATH...]
#
# A test passes with status 0 and skips with 77 (see require_root_kernel in
# lib.sh); anything else fails, as does a test that leaves netns, veths or
# cgroups behind. A failing test's output is printed in full; E2E_VERBOSE=1
# prints every test's. Each test gets E2E_TIMEOUT seconds (default 300).
# The exit status is non-zero when a test failed, or when one skipped while
# CI=true.

set -u

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
timeout_s=${E2E_TIMEOUT:-300}
passed=0 failed=0 skipped=0

# Everything the e2e library could leave behind, one per line.
leftovers() {
	ip netns list 2>/dev/null | awk '$1 ~ /^ms-/ { print "netns " $1 }'
	ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^msv-/ { sub(/@.*/, "", $2); print "link " $2 }'
	find /sys/fs/cgroup -maxdepth 3 -type d -name 'meshsight-e2e-*' 2>/dev/null |
		sed 's/^/cgroup /'
}

tests=()
if [ $# -gt 0 ]; then
	for arg in "$@"; do
		t=$arg
		[ -f "$t" ] || t="$dir/${arg%.sh}.sh"
		[ -f "$t" ] || t="$dir/test_${arg%.sh}.sh"
		[ -f "$t" ] || t=$(compgen -G "$dir/test_*${arg%.sh}*.sh" | head -n 1)
		[ -f "$t" ] || { echo "no such test: $arg" >&2; exit 2; }
		tests+=("$t")
	done
else
	for t in "$dir"/test_*.sh; do
		[ -f "$t" ] && tests+=("$t")
	done
fi

log=$(mktemp /tmp/meshsight-e2e-run.XXXXXX)
trap 'rm -f "$log"' EXIT

# One e2e user per machine at a time (see lib.sh); held for the whole run so
# that the leftover check below sees only what our own tests made.
lock_file=${MS_LOCK_FILE:-/run/lock/meshsight-e2e.lock}
[ -d "$(dirname "$lock_file")" ] || lock_file=/tmp/meshsight-e2e.lock
exec {lock_fd}>>"$lock_file"
if ! flock -n "$lock_fd"; then
	echo "e2e: waiting for another e2e run on this machine ($lock_file)" >&2
	flock -w "${MS_LOCK_WAIT:-900}" "$lock_fd" || { echo "e2e: lock $lock_file still held, giving up" >&2; exit 1; }
fi
export MS_E2E_LOCKED=1 MS_LOCK_FILE=$lock_file

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	before=$(leftovers)
	start=$SECONDS
	timeout --signal=TERM --kill-after=15 "$timeout_s" bash "$t" >"$log" 2>&1 {lock_fd}>&-
	rc=$?
	took=$((SECONDS - start))
	leaked=$(comm -13 <(sort <<<"$before") <(leftovers | sort) | sed '/^$/d')
	if [ -n "$leaked" ] && [ "$rc" -ne 77 ]; then
		printf 'left behind by %s:\n%s\n' "$name" "$leaked" >>"$log"
		[ "$rc" -eq 0 ] && rc=1
	fi
	case $rc in
	0)
		echo "PASS  $name (${took}s)"
		passed=$((passed + 1))
		[ "${E2E_VERBOSE:-0}" = 1 ] && sed 's/^/      /' "$log"
		;;
	77)
		echo "SKIP  $name: $(grep -m1 '^SKIP:' "$log" | sed 's/^SKIP: //')"
		skipped=$((skipped + 1))
		;;
	*)
		[ "$rc" -eq 124 ] && echo "      (timed out after ${timeout_s}s)" >>"$log"
		echo "FAIL  $name (status $rc, ${took}s)"
		sed 's/^/      /' "$log"
		failed=$((failed + 1))
		;;
	esac
done

summary="e2e: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] || exit 1
if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ]; then
	echo "e2e: tests skipped while CI=true" >&2
	exit 1
fi
# Nothing ran at all: report a skip so the caller says so too.
[ "$passed" -eq 0 ] && [ "$skipped" -gt 0 ] && exit 77
exit 0

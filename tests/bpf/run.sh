#!/usr/bin/env bash
# Tier 2 runner: the BPF fixture tests need root and kernel BTF. Where they
# cannot run, say so loudly and skip; with CI=true a skip is a failure.
set -u
bin=${1:?usage: run.sh build/tests/bpf_prog_test}

skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL: bpf tests cannot run: $1 (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "******************************************************************" >&2
	echo "SKIP: bpf tests not run: $1" >&2
	echo "******************************************************************" >&2
	exit 77
}

[ "$(id -u)" = 0 ] || skip "not root (run: sudo make test)"
[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"
exec "$bin"

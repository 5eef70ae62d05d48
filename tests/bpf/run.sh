#!/usr/bin/env bash
# Tier 2 runner, three parts:
#   1. lockdown audit: no helper that kernel lockdown refuses (or that reads
#      kernel memory) in any program (helper_audit; the object part needs no root)
#   2. the BPF fixture tests (BPF_PROG_TEST_RUN; root and kernel BTF)
#   3. CO-RE: the object relocates against a BTF that is not this kernel's
#      (bpftool gen min_core_btf), and follows fields moved in it (core_reloc)
# Where the kernel parts cannot run, say so loudly and skip; with CI=true a
# skip is a failure. A failed part fails the tier.
set -u
bin=${1:?usage: run.sh build/tests/bpf_prog_test}
out=${OUTPUT:-$(dirname "$(dirname "$bin")")}
obj=$out/meshsight.bpf.o
status=0

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

echo "--- lockdown helper audit"
"$out/tests/helper_audit" "$obj" || exit 1

[ "$(id -u)" = 0 ] || skip "not root (run: sudo make test)"
[ -r /sys/kernel/btf/vmlinux ] || skip "kernel has no BTF (/sys/kernel/btf/vmlinux)"

echo "--- BPF_PROG_TEST_RUN fixtures"
"$bin" || status=1

echo "--- the kernel HTTP/1 machine (BPF_PROG_TEST_RUN fixtures)"
"$out/tests/http1_kernel_test" || status=1

echo "--- CO-RE relocation against another BTF"
btf_dir=$(mktemp -d /tmp/meshsight-core.XXXXXX)
trap 'rm -rf "$btf_dir"' EXIT
if bpftool gen min_core_btf /sys/kernel/btf/vmlinux "$btf_dir/min.btf" "$obj"; then
	echo "min_core_btf: $(stat -c %s "$btf_dir/min.btf") bytes, $(bpftool btf dump file \
		"$btf_dir/min.btf" | grep -c '^\[') types (vmlinux: $(stat -c %s /sys/kernel/btf/vmlinux) bytes)"
	"$out/tests/core_reloc" "$obj" "$btf_dir/min.btf" "$btf_dir/shifted.btf" || status=1
else
	echo "FAIL: bpftool gen min_core_btf failed (bpftool 7+ needed)" >&2
	status=1
fi
exit $status

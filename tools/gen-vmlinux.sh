#!/usr/bin/env bash
# Regenerates vmlinux/vmlinux.h from the running kernel's BTF. The file is
# committed (see README: "Why vmlinux.h is committed"), so only run this to
# pick up types from a newer kernel; CO-RE keeps the result portable.
set -eu
cd "$(dirname "$0")/.."
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "no BTF at $btf: need a kernel with CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
bpftool btf dump file "$btf" format c > vmlinux/vmlinux.h.tmp
mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h
echo "vmlinux/vmlinux.h regenerated from $btf ($(uname -r))"

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark-only program: the skb hooks' per-packet path (bpf/skb.h, the
 * shipped handle_skb) run by BPF_PROG_TEST_RUN with repeat, on a socket
 * state that every run starts from afresh. A test run's socket is a dummy
 * one, so the state is created in its socket storage here and copied from
 * a template the benchmark wrote (tests/bpf/skb_bench.c); the copy's own
 * cost is measured apart (bench_ctl.mode 1) and taken off.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "skb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The state every run starts from: written by the benchmark, or saved by a run (bench_ctl.save). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_sock);
} bench_tmpl SEC(".maps");

/* Written by the benchmark between runs (the only thing in .bss, so it finds it at offset 0). */
struct bench_ctl {
	__u8 dir;  /* enum ms_dir of the packet */
	__u8 mode; /* 0: the template then handle_skb; 1: the template only; 2: handle_skb only */
	__u8 save; /* 1: the state after the run becomes the template */
} bench_ctl;

SEC("cgroup_skb/egress")
int skb_bench(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk, *full;
	struct ms_sock *st, *tmpl;
	__u32 zero = 0;

	if (!sk || !(full = bpf_sk_fullsock(sk)))
		return 1;
	st = bpf_sk_storage_get(&sock_state, full, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	tmpl = bpf_map_lookup_elem(&bench_tmpl, &zero);
	if (!st || !tmpl)
		return 1;
	if (bench_ctl.mode != 2)
		__builtin_memcpy(st, tmpl, sizeof(*st));
	if (bench_ctl.mode == 1)
		return 1;
	/* A direction known at run time, as in skb.bpf.c (one program for both hooks). */
	handle_skb(skb, bench_ctl.dir == MS_DIR_INGRESS ? MS_DIR_INGRESS : MS_DIR_EGRESS);
	if (bench_ctl.save)
		__builtin_memcpy(tmpl, st, sizeof(*st));
	return 1;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Test-only program: the kernel HTTP/1 machine (bpf/http1_kernel.h) on a
 * socket state the test owns. The test writes the state and the direction
 * of each packet into .bss, runs one packet with BPF_PROG_TEST_RUN and
 * reads the verdict, the trimmed segment and the ring-buffer events. The
 * same code as in skb.bpf.c runs; only where the state lives differs
 * (a global here, socket storage there), since a test run's socket is a
 * fresh dummy each time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "config.h"
#include "http1_kernel.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The socket's state: an array slot the test writes (socket storage in skb.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_sock);
} test_sock SEC(".maps");

__u8 test_dir;	  /* enum ms_dir of the next packet */
int test_verdict; /* enum seg_verdict, or -1: not a payload segment */
__u32 test_seq;	  /* the segment's seq after the machine trimmed it */
__u32 test_len;

SEC("cgroup_skb/egress")
int http1_machine(struct __sk_buff *skb)
{
	struct tcp_segment seg = {};
	__u8 dir = test_dir & 1;
	struct ms_sock *st;
	__u32 zero = 0;

	test_verdict = -1;
	st = bpf_map_lookup_elem(&test_sock, &zero);
	if (!st || parse_tcp_segment(skb, &seg) != TCP_PARSE_OK || seg.payload_len == 0)
		return 1;
	if (st->mode == MS_SOCK_NEW)
		test_verdict = http1_first_segment(skb, NULL, st, &seg, dir);
	else if (st->mode == MS_SOCK_KERNEL)
		test_verdict = http1_segment(skb, NULL, st, &seg, dir);
	else
		test_verdict = SEG_CAPTURE;
	test_seq = seg.seq;
	test_len = seg.payload_len;
	return 1;
}

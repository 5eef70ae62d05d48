// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP payload capture and live TCP statistics from the cgroup skb hooks.
 *
 * These hooks run at the socket layer of the watched cgroup: on egress before
 * any qdisc, tunnel or mTLS proxy touched the bytes, on ingress after the
 * socket lookup. That is the one place that still sees plaintext when a mesh
 * redirects a pod's traffic through an in-namespace proxy (Istio ambient's
 * ztunnel), and the socket (not the NATed packet) gives the real tuple.
 *
 * The per-packet path is handle_skb() in skb.h (shared with the benchmark,
 * tests/bpf/skb_bench.bpf.c): packets without payload leave before any map
 * access; HTTP/1 is parsed in the kernel where it can be framed exactly
 * (http1_kernel.h), and the rest is captured for userspace as before. The
 * programs never drop or alter traffic: they always return 1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "skb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup_skb/egress")
int ms_skb_egress(struct __sk_buff *skb)
{
	return handle_skb(skb, MS_DIR_EGRESS);
}

SEC("cgroup_skb/ingress")
int ms_skb_ingress(struct __sk_buff *skb)
{
	return handle_skb(skb, MS_DIR_INGRESS);
}

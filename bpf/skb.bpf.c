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
 * program never drops or alters traffic: it always returns 1.
 *
 * One program serves both hooks (the loader attaches it to egress and to
 * ingress) and tells them apart by the packet: a received one carries the
 * device it came in on (skb->ingress_ifindex, set for every packet the
 * stack receives, loopback too), one the host sends has none. With a
 * program per hook, each had its own copy of the code (~31 KB of it JITed),
 * and on a live socket a run's cost is mostly code and data fetched from
 * far caches (README "Benchmark"): one copy is half the code to keep near,
 * and the runs of one request at both ends (egress, then ingress on the
 * same CPU a few microseconds later, for pods on one node) share it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "skb.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* No attach type in the section: the one program is attached to both hooks. */
SEC("cgroup/skb")
int ms_skb(struct __sk_buff *skb)
{
	return handle_skb(skb, skb->ingress_ifindex ? MS_DIR_INGRESS : MS_DIR_EGRESS);
}

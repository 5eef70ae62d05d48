// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark-only: cgroup skb programs that do nothing. tools/bench.sh
 * attaches them (tests/bpf/skb_floor.c) where the agent's would be and
 * reads their run time, under the same load: what any program on these
 * hooks costs on this machine (the call, and kernel.bpf_stats_enabled's
 * two clock reads), measured in the same run as the agent's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup_skb/egress")
int ms_skb_floor_eg(struct __sk_buff *skb __attribute__((unused)))
{
	return 1;
}

SEC("cgroup_skb/ingress")
int ms_skb_floor_in(struct __sk_buff *skb __attribute__((unused)))
{
	return 1;
}

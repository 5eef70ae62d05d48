/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MESHSIGHT_MAPS_SOCK_CGROUP_H
#define MESHSIGHT_MAPS_SOCK_CGROUP_H

/*
 * Listening socket -> its cgroup v2 id, so that an accepted socket knows its
 * cgroup when sockops announces it. Written by the skb hooks when a packet
 * (the SYN) reaches a listener, from bpf_skb_cgroup_id(), i.e. the socket's
 * own cgroup; copied by the kernel into every socket accepted from it
 * (BPF_F_CLONE); read by sockops at passive establishment. sockops itself
 * runs in softirq there, where "current" is not the socket's process, and
 * the only other way to the socket's cgroup is a kernel-memory read
 * (bpf_probe_read_kernel), which lockdown=confidentiality refuses.
 *
 * Cost: one socket-storage lookup per SYN reaching a listener (the first
 * one also allocates ~100 bytes on the listener), and the kernel's clone of
 * that element on each accept; all of it is freed with the socket.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, __u64);
} sock_cgroup SEC(".maps") __weak;

#endif /* MESHSIGHT_MAPS_SOCK_CGROUP_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MESHSIGHT_MAPS_CONNS_H
#define MESHSIGHT_MAPS_CONNS_H

#include "../map_sizing.h"
#include "meshsight_events.h"

/*
 * Socket cookie -> connection. Written by sockops (open/close) and the skb
 * hooks (lazy entries, live TCP statistics, classification); read by
 * userspace every stats interval and pruned by it for connections that never
 * reported a close. A plain hash, not an LRU, so that a full table is counted
 * (MS_CNT_CONN_MAP_FULL) instead of silently evicting live connections.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_CONN_MAP_MAX);
	__type(key, __u64);
	__type(value, struct ms_conn);
} conns SEC(".maps") __weak;

/* Listener identity, so accepted sockets get the server's process name. */
struct ms_listen_key {
	__u64 netns_cookie;
	__u32 port;
	__u32 _pad;
};

struct ms_listener {
	__u32 pid;
	char comm[MS_COMM_LEN];
};

/*
 * Written by sockops on listen(2), read by sockops on passive establishment;
 * empty where sockops cannot call the current-task helpers (cfg_sockops_task).
 * The listener's cgroup is not here but in maps/sock_cgroup.h: only the skb
 * hooks can read a socket's own cgroup without reading kernel memory.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_LISTEN_MAP_MAX);
	__type(key, struct ms_listen_key);
	__type(value, struct ms_listener);
} listeners SEC(".maps") __weak;

#endif /* MESHSIGHT_MAPS_CONNS_H */

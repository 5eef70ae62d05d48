/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MESHSIGHT_MAPS_UNTRACKED_H
#define MESHSIGHT_MAPS_UNTRACKED_H

/*
 * Socket -> 1 once the connection table had no room for it. Written by
 * sockops and the skb hooks the first time an insert fails; read by the skb
 * hooks before trying again. So MS_CNT_CONN_MAP_FULL counts connections,
 * not packets, and an untracked socket costs one storage lookup a packet
 * instead of a failed hash insert. Freed with the socket.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u8);
} untracked SEC(".maps") __weak;

#endif /* MESHSIGHT_MAPS_UNTRACKED_H */

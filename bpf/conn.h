/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Connection-table helpers shared by the sockops and skb programs: building a
 * tuple from either hook's socket view and announcing a connection to
 * userspace.
 */
#ifndef MESHSIGHT_CONN_H
#define MESHSIGHT_CONN_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps/conns.h"
#include "maps/events.h"
#include "maps/untracked.h"

#define MS_AF_INET  2
#define MS_AF_INET6 10

/* IPv4 a.b.c.d becomes ::ffff:a.b.c.d so both families share one format. */
static __always_inline void addr_from_v4(__u8 dst[16], __u32 v4_be)
{
	__u32 *w = (__u32 *)dst;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = v4_be;
}

static __always_inline void addr_from_v6(__u8 dst[16], const __u32 v6[4])
{
	__u32 *w = (__u32 *)dst;

	w[0] = v6[0];
	w[1] = v6[1];
	w[2] = v6[2];
	w[3] = v6[3];
}

static __always_inline void tuple_from_sockops(struct ms_tuple *t, struct bpf_sock_ops *skops)
{
	__u32 local6[4], remote6[4];

	t->family = skops->family;
	if (skops->family == MS_AF_INET) {
		addr_from_v4(t->local_addr, skops->local_ip4);
		addr_from_v4(t->remote_addr, skops->remote_ip4);
	} else {
		/* Copy field by field: ctx fields may only be read one at a time. */
		local6[0] = skops->local_ip6[0];
		local6[1] = skops->local_ip6[1];
		local6[2] = skops->local_ip6[2];
		local6[3] = skops->local_ip6[3];
		remote6[0] = skops->remote_ip6[0];
		remote6[1] = skops->remote_ip6[1];
		remote6[2] = skops->remote_ip6[2];
		remote6[3] = skops->remote_ip6[3];
		addr_from_v6(t->local_addr, local6);
		addr_from_v6(t->remote_addr, remote6);
	}
	t->local_port = (__u16)skops->local_port;	       /* host order */
	t->remote_port = (__u16)bpf_ntohl(skops->remote_port); /* network order, high half */
}

/* From the socket, not the packet: NAT (kube-proxy, mesh redirects) rewrote the latter. */
static __always_inline void tuple_from_sock(struct ms_tuple *t, struct bpf_sock *sk)
{
	__u32 src6[4], dst6[4];

	t->family = sk->family;
	if (sk->family == MS_AF_INET) {
		addr_from_v4(t->local_addr, sk->src_ip4);
		addr_from_v4(t->remote_addr, sk->dst_ip4);
	} else {
		src6[0] = sk->src_ip6[0];
		src6[1] = sk->src_ip6[1];
		src6[2] = sk->src_ip6[2];
		src6[3] = sk->src_ip6[3];
		dst6[0] = sk->dst_ip6[0];
		dst6[1] = sk->dst_ip6[1];
		dst6[2] = sk->dst_ip6[2];
		dst6[3] = sk->dst_ip6[3];
		addr_from_v6(t->local_addr, src6);
		addr_from_v6(t->remote_addr, dst6);
	}
	t->local_port = (__u16)sk->src_port;
	t->remote_port = bpf_ntohs(sk->dst_port);
}

/* The table had no room for sk's connection: counted once per socket. */
static __always_inline void conn_count_untracked(struct bpf_sock *sk)
{
	__u8 *seen =
	    sk ? bpf_sk_storage_get(&untracked, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE) : NULL;

	if (seen && *seen)
		return;
	if (seen)
		*seen = 1;
	count(MS_CNT_CONN_MAP_FULL);
}

/* Was sk already found untracked? Then the table is not tried again for it. */
static __always_inline int conn_is_untracked(struct bpf_sock *sk)
{
	__u8 *seen = bpf_sk_storage_get(&untracked, sk, NULL, 0);

	return seen && *seen;
}

static __always_inline int conn_emit_open(__u64 cookie, const struct ms_conn *conn, __u32 snd_nxt,
					  __u32 rcv_nxt, __u8 seq_known)
{
	struct ms_conn_open_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(MS_CNT_RB_FULL_OPEN);
		return -1;
	}
	ev->hdr.type = MS_EV_CONN_OPEN;
	ev->hdr.flags = 0;
	ev->hdr.cookie = cookie;
	ev->hdr.ts_ns = conn->opened_ns;
	__builtin_memcpy(&ev->tuple, &conn->tuple, sizeof(ev->tuple));
	ev->cgroup_id = conn->cgroup_id;
	ev->pid = conn->pid;
	ev->snd_nxt = snd_nxt;
	ev->rcv_nxt = rcv_nxt;
	ev->role = conn->role;
	ev->l7 = conn->l7;
	ev->origin = conn->origin;
	ev->seq_known = seq_known;
	__builtin_memcpy(ev->comm, conn->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, ringbuf_wakeup_flags(ev->hdr.ts_ns));
	return 0;
}

/*
 * The kernel's bytes_acked counts the SYN of an active open (its ACK moves
 * snd_una past it); a passive open starts counting after its SYN-ACK.
 * Users compare payload bytes, so the connecting side's SYN is taken out.
 * Lazy connections (first seen mid-stream) cannot tell, and keep it.
 */
static __always_inline __u64 conn_payload_acked(const struct ms_conn *conn, __u64 bytes_acked)
{
	__u64 syn = conn->origin == MS_ORIGIN_SOCKOPS && conn->role == MS_ROLE_CLIENT;

	return bytes_acked >= syn ? bytes_acked - syn : 0;
}

#endif /* MESHSIGHT_CONN_H */

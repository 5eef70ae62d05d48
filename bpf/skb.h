/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-packet path of the cgroup skb hooks (entry points in skb.bpf.c),
 * as a header so that tests/bpf/skb_bench.bpf.c runs the same code.
 *
 * API: handle_skb() takes one packet in one direction; it never drops or
 * alters it.
 */
#ifndef MESHSIGHT_SKB_H
#define MESHSIGHT_SKB_H

#include <bpf/bpf_helpers.h>

#include "config.h"
#include "conn.h"
#include "debug.h"
#include "maps/sock_cgroup.h"
#include "http1_kernel.h"
#include "proto/http1.h"
#include "proto/http2.h"
#include "proto/tcp.h"

static __always_inline struct bpf_tcp_sock *skb_tcp_sock(struct bpf_sock *sk)
{
	struct bpf_sock *full = bpf_sk_fullsock(sk);

	return full ? bpf_tcp_sock(full) : NULL;
}

/*
 * A listener's cgroup, for the sockets it will accept (maps/sock_cgroup.h).
 * Set once per listener, from the first packet it sees (a SYN).
 */
static __always_inline void note_listener_cgroup(struct __sk_buff *skb, struct bpf_sock *sk)
{
	struct bpf_sock *full = bpf_sk_fullsock(sk);
	__u64 *id;

	if (!full)
		return;
	id = bpf_sk_storage_get(&sock_cgroup, full, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (id && !*id)
		*id = bpf_skb_cgroup_id(skb);
}

/*
 * A socket first seen mid-stream (opened before the agent attached). Its role
 * is learnt from the first message start in its payload.
 */
static __always_inline struct ms_conn *conn_create_lazy(struct __sk_buff *skb, struct bpf_sock *sk,
							__u64 cookie)
{
	struct ms_conn conn = {};
	struct ms_conn *stored;

	tuple_from_sock(&conn.tuple, sk);
	conn.cgroup_id = bpf_skb_cgroup_id(skb);
	conn.opened_ns = bpf_ktime_get_ns();
	conn.origin = MS_ORIGIN_LAZY;
	conn.l7 = cfg_capture_http ? MS_L7_UNKNOWN : MS_L7_OPAQUE;
	if (conn_is_untracked(sk))
		return NULL;
	if (bpf_map_update_elem(&conns, &cookie, &conn, BPF_NOEXIST)) {
		conn_count_untracked(bpf_sk_fullsock(sk));
		return NULL;
	}
	stored = bpf_map_lookup_elem(&conns, &cookie);
	if (stored)
		conn_emit_open(cookie, stored, 0, 0, 0);
	return stored;
}

/*
 * Bytes of this segment that the socket has already sent or received are
 * dropped here, so a retransmission is not parsed twice. Returns the offset
 * of the first new byte, or -1 when nothing is new.
 */
static __always_inline int new_data_offset(struct tcp_segment *seg, struct bpf_tcp_sock *tp,
					   __u8 dir)
{
	__u32 next, skip, snd_nxt, rcv_nxt;

	if (!tp)
		return 0; /* no TCP state to compare with: userspace deduplicates */
	/*
	 * Both read, then one chosen: dir is known only at run time (one
	 * program for both hooks), and a field picked by dir would be a
	 * variable offset into tcp_sock, which the verifier refuses.
	 */
	snd_nxt = tp->snd_nxt;
	rcv_nxt = tp->rcv_nxt;
	barrier_var(snd_nxt); /* or clang loads from a chosen address again */
	barrier_var(rcv_nxt);
	next = dir == MS_DIR_EGRESS ? snd_nxt : rcv_nxt;
	if (seq_diff(seg->seq + seg->payload_len, next) <= 0)
		return -1;
	if (seq_diff(seg->seq, next) >= 0)
		return 0;
	skip = next - seg->seq;
	seg->seq += skip;
	seg->payload_off += skip;
	seg->payload_len -= skip;
	return 0;
}

static __always_inline void mark_http(struct ms_conn *conn, __u8 role)
{
	conn->role = role;
	conn->l7 = MS_L7_HTTP1;
	count(MS_CNT_CONN_HTTP1);
}

/* HTTP/2 with prior knowledge: captured like HTTP/1, framed in userspace (user/h2.c). */
static __always_inline void mark_http2(struct ms_conn *conn)
{
	conn->l7 = MS_L7_HTTP2;
	count(MS_CNT_CONN_HTTP2);
}

static __always_inline void mark_opaque(struct ms_conn *conn, struct ms_sock *st)
{
	conn->l7 = MS_L7_OPAQUE;
	count(MS_CNT_CONN_OPAQUE);
	if (st)
		st->mode = MS_SOCK_OPAQUE; /* its packets leave before any table lookup */
}

/*
 * Decide from the first payload bytes whether the connection speaks HTTP/1.
 * Returns true when this segment should still go to userspace: it starts a
 * message, or may be the first piece of a request line split across writes.
 */
static __always_inline bool classify(struct __sk_buff *skb, struct ms_conn *conn,
				     struct ms_sock *st, const struct tcp_segment *seg, __u8 dir)
{
	__u8 head[MS_CLASSIFY_BYTES] = {};
	__u64 n = seg->payload_len; /* 64-bit: the helper reads all of it */
	bool h2_settings = false;   /* an HTTP/2 server's greeting, before the client spoke */
	__u8 max_probes;
	int start;

	if (n > MS_CLASSIFY_BYTES)
		n = MS_CLASSIFY_BYTES;
	barrier_var(n);
	if (n == 0 || n > MS_CLASSIFY_BYTES)
		return false;
	if (bpf_skb_load_bytes(skb, seg->payload_off, head, n))
		return false;
	start = http1_classify(head, n, &conn->method_len);

	if (conn->origin == MS_ORIGIN_SOCKOPS) {
		/* The client speaks first in HTTP/1; a server that greets is something else. */
		if (conn->method_len == 0 && sent_by_client(conn->role, dir) &&
		    http2_is_preface(head, n))
			mark_http2(conn);
		else if (start == HTTP1_START_REQUEST && sent_by_client(conn->role, dir))
			mark_http(conn, conn->role);
		else if (!sent_by_client(conn->role, dir) && http2_is_server_settings(head, n))
			h2_settings = true; /* wait for the client's preface (a probe) */
		else if (start != HTTP1_START_PARTIAL || !sent_by_client(conn->role, dir))
			mark_opaque(conn, st);
		max_probes = MS_CLASSIFY_PROBES_SOCKOPS;
	} else {
		/* The preface only ever opens a connection: whoever sends it is the client. */
		if (conn->method_len == 0 && http2_is_preface(head, n)) {
			conn->role = dir == MS_DIR_EGRESS ? MS_ROLE_CLIENT : MS_ROLE_SERVER;
			mark_http2(conn);
		} else if (start == HTTP1_START_REQUEST)
			mark_http(conn, dir == MS_DIR_EGRESS ? MS_ROLE_CLIENT : MS_ROLE_SERVER);
		else if (start == HTTP1_START_RESPONSE)
			mark_http(conn, dir == MS_DIR_EGRESS ? MS_ROLE_SERVER : MS_ROLE_CLIENT);
		else if (conn->method_len == 0 && http2_is_frame(head, n))
			mark_http2(conn); /* mid-stream: both ends send frames, role unknown */
		max_probes = MS_CLASSIFY_PROBES_LAZY;
	}
	if (conn->l7 == MS_L7_UNKNOWN && ++conn->probes >= max_probes)
		mark_opaque(conn, st);
	return conn->l7 == MS_L7_HTTP1 || conn->l7 == MS_L7_HTTP2 ||
	       (conn->l7 == MS_L7_UNKNOWN && (start == HTTP1_START_PARTIAL || h2_settings));
}

static __always_inline void emit_data(struct __sk_buff *skb, __u64 cookie, struct ms_conn *conn,
				      const struct tcp_segment *seg, __u8 dir)
{
	struct ms_data_scratch *s;
	struct ms_data_event *ev;
	__u64 cap = seg->payload_len; /* 64-bit: the helper reads all of it */
	__u32 zero = 0;

	if (cap > cfg_capture_bytes) {
		cap = cfg_capture_bytes;
		count(MS_CNT_CAPTURE_TRUNCATED);
	}
	/* Keep clang from reusing an unbounded copy of cap past these checks. */
	barrier_var(cap);
	if (cap > MS_CAPTURE_MAX)
		cap = MS_CAPTURE_MAX;
	barrier_var(cap);
	if (cap == 0 || cap > MS_CAPTURE_MAX)
		return;
	s = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!s)
		return;
	ev = (struct ms_data_event *)s->raw;
	if (bpf_skb_load_bytes(skb, seg->payload_off, ev->data, cap))
		return;
	ev->hdr.type = MS_EV_DATA;
	ev->hdr.flags = 0;
	ev->hdr.cookie = cookie;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->seq = seg->seq;
	ev->len = seg->payload_len;
	ev->cap_len = cap;
	ev->dir = dir;
	ev->role = conn->role;
	ev->_pad = 0;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev) + cap,
			       ringbuf_wakeup_flags(ev->hdr.ts_ns))) {
		count(MS_CNT_RB_FULL_DATA);
		conn->flags |= MS_CONN_F_LOST; /* its edge is marked partial */
	}
}

/*
 * Today's path, and the exact fallback of kernel parsing: the connection
 * table entry's counters are refreshed on every packet and payload of
 * HTTP/1 connections is copied out. st is NULL for sockets sockops did not
 * announce (opened before the agent, table full) or with kernel parsing off.
 */
static __always_inline void capture_segment(struct __sk_buff *skb, struct bpf_sock *sk,
					    struct ms_sock *st, struct tcp_segment *seg, __u8 dir)
{
	struct bpf_tcp_sock *tp;
	struct ms_conn *conn;
	__u64 cookie = st ? st->cookie : bpf_get_socket_cookie(skb);

	conn = bpf_map_lookup_elem(&conns, &cookie);
	if (!conn) {
		conn = conn_create_lazy(skb, sk, cookie);
		if (!conn)
			return;
	}
	if (!conn->cgroup_id)
		conn->cgroup_id = bpf_skb_cgroup_id(skb);
	tp = skb_tcp_sock(sk);
	conn_refresh_stats(conn, tp, bpf_ktime_get_ns());
	if (conn->l7 == MS_L7_OPAQUE) {
		if (st)
			st->mode = MS_SOCK_OPAQUE;
		return;
	}
	if (new_data_offset(seg, tp, dir) < 0) {
		count(MS_CNT_RETRANS_SKIPPED);
		return;
	}
	if (conn->l7 == MS_L7_UNKNOWN && !classify(skb, conn, st, seg, dir))
		return;
	emit_data(skb, cookie, conn, seg, dir);
}

/* A SYN leaving a connecting socket: learn the socket's own cgroup, once. */
static __always_inline void note_connect_cgroup(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct ms_conn *conn = bpf_map_lookup_elem(&conns, &cookie);

	if (conn && !conn->cgroup_id)
		conn->cgroup_id = bpf_skb_cgroup_id(skb);
}

/* A payload segment of a socket with state: SEG_CAPTURE when the capture path takes it. */
static __always_inline int sock_segment(struct __sk_buff *skb, struct bpf_sock *full,
					struct ms_sock *st, struct tcp_segment *seg, __u8 dir)
{
	if (++st->pkts % MS_REFRESH_EVERY == 0 && st->mode != MS_SOCK_CAPTURE)
		conn_refresh(full, st->cookie, bpf_ktime_get_ns());
	switch (st->mode) {
	case MS_SOCK_KERNEL:
		return http1_segment(skb, full, st, seg, dir);
	case MS_SOCK_NEW:
		return http1_first_segment(skb, full, st, seg, dir);
	case MS_SOCK_OPAQUE:
		return SEG_DONE;
	}
	return SEG_CAPTURE;
}

/*
 * Per packet, cheapest first: no socket or a listener; the headers, read
 * directly; no payload (ACKs, most of the traffic) leaves here, before any
 * map access. Then the socket's own state, and only the capture path looks
 * the connection table up.
 */
static __always_inline int handle_skb(struct __sk_buff *skb, __u8 dir)
{
	struct bpf_sock *sk = skb->sk;
	struct tcp_segment seg = {};
	struct ms_sock *st = NULL;
	struct bpf_sock *full;
	int ret;

	if (!sk)
		return 1;
	if (sk->state == BPF_TCP_LISTEN) {
		note_listener_cgroup(skb, sk);
		return 1; /* payload here is TCP Fast Open data: the child socket reports it */
	}
	ret = parse_tcp_segment(skb, &seg);
	if (ret != TCP_PARSE_OK) {
		if (ret == TCP_PARSE_MALFORMED)
			count(MS_CNT_MALFORMED_PKT);
		return 1;
	}
	if (seg.payload_len == 0) {
		/*
		 * A connecting socket's cgroup is learnt from its SYN, before
		 * sockops announces the connection: the socket's own cgroup,
		 * with no kernel-memory read.
		 */
		if (seg.syn && dir == MS_DIR_EGRESS)
			note_connect_cgroup(skb);
		return 1;
	}
	full = bpf_sk_fullsock(sk);
	if (!full)
		return 1;
	if (cfg_sock_state())
		st = bpf_sk_storage_get(&sock_state, full, NULL, 0);
	if (st && sock_segment(skb, full, st, &seg, dir) == SEG_DONE)
		return 1;
	capture_segment(skb, full, st, &seg, dir);
	return 1;
}

#endif /* MESHSIGHT_SKB_H */

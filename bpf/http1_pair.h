/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP/1 in the kernel: per socket and direction, where the next message
 * starts; per socket, the one request in flight and its response; one
 * MS_EV_HTTP_PAIR when the response ends (or the connection closes).
 *
 * This file: the pair event and what both programs need of it; sockops
 * calls http1_close() when a connection ends, to send the pair in flight
 * before the close event. The per-segment machine is http1_kernel.h.
 *
 * What stays in the kernel is only what it frames exactly: a whole head in
 * the segment that starts the message, a body of Content-Length bytes (or
 * none: HEAD, 1xx, 204, 304), one request in flight, message starts in
 * order. Body segments cost a compare and a store. Everything else (see
 * enum ms_fallback) moves the direction to capture at a message boundary,
 * and the other one at its next boundary, after the pair in flight is done
 * or handed over with the mode event; userspace's parser then takes it
 * from the first byte of a message, with nothing missing.
 */
#ifndef MESHSIGHT_HTTP1_PAIR_H
#define MESHSIGHT_HTTP1_PAIR_H

#include <bpf/bpf_helpers.h>

#include "conn.h"
#include "maps/sock_state.h"

/* Is the sender of this segment the client of the connection? */
static __always_inline int sent_by_client(__u8 role, __u8 dir)
{
	return (role == MS_ROLE_CLIENT) == (dir == MS_DIR_EGRESS);
}

static __always_inline __u8 resp_dir(const struct ms_sock *st)
{
	return st->role == MS_ROLE_CLIENT ? MS_DIR_INGRESS : MS_DIR_EGRESS;
}

/* The kernel's live TCP counters into the table entry, for userspace's scan. */
static __always_inline void conn_refresh_stats(struct ms_conn *conn, struct bpf_tcp_sock *tp,
					       __u64 now)
{
	conn->last_seen_ns = now;
	if (!tp)
		return;
	conn->bytes_acked = conn_payload_acked(conn, tp->bytes_acked);
	conn->bytes_received = tp->bytes_received;
	conn->srtt_us = tp->srtt_us >> 3;
	conn->total_retrans = tp->total_retrans;
}

/* The same for a socket with state: at message starts and every MS_REFRESH_EVERY packets. */
static __always_inline struct ms_conn *conn_refresh(struct bpf_sock *full, __u64 cookie, __u64 now)
{
	struct ms_conn *conn = bpf_map_lookup_elem(&conns, &cookie);

	if (conn)
		conn_refresh_stats(conn, full ? bpf_tcp_sock(full) : NULL, now);
	return conn;
}

static __always_inline void conn_mark_lost(__u64 cookie)
{
	struct ms_conn *conn = bpf_map_lookup_elem(&conns, &cookie);

	if (conn)
		conn->flags |= MS_CONN_F_LOST; /* its edge is marked partial */
}

static __always_inline void pair_send(struct ms_sock *st, __u64 now, __u32 flags)
{
	__u64 size = MS_PAIR_SIZE(st->pair.req.tp_len, (__u64)st->pair.req.target_len);

	st->req_inflight = 0;
	st->resp_started = 0;
	st->pair.hdr.type = MS_EV_HTTP_PAIR;
	st->pair.hdr.flags = flags;
	st->pair.hdr.cookie = st->cookie;
	st->pair.hdr.ts_ns = now;
	barrier_var(size);
	if (size > sizeof(st->pair))
		size = sizeof(st->pair);
	if (bpf_ringbuf_output(&events, &st->pair, size, ringbuf_wakeup_flags(now))) {
		count(MS_CNT_RB_FULL_PAIR);
		conn_mark_lost(st->cookie);
	}
}

/* The connection closed: the request in flight ends here, before the close event. */
static __always_inline void http1_close(struct ms_sock *st, int reset, __u64 now)
{
	__u32 flags;

	if (st->mode != MS_SOCK_KERNEL || !st->req_inflight)
		return;
	if (st->resp_started) {
		flags = MS_PAIR_F_RESP_CUT;
		st->pair.resp_bytes = st->dir[resp_dir(st)].next - st->resp_start_seq;
	} else {
		flags = MS_PAIR_F_NO_RESPONSE | (reset ? MS_PAIR_F_RESET : 0);
		st->pair.status = 0;
	}
	pair_send(st, now, flags);
}

#endif /* MESHSIGHT_HTTP1_PAIR_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The per-segment machine of kernel HTTP/1 parsing (see http1_pair.h for
 * what it keeps and why), for the skb hooks only: it defines the global
 * http1_head_scan(), so one object includes it.
 *
 * API: http1_segment() takes one payload segment of a kernel-mode socket
 * and returns SEG_DONE (the kernel has accounted for it) or SEG_CAPTURE
 * (this direction has left for capture mode; the caller sends the segment,
 * already trimmed to start at the message boundary, as MS_EV_DATA).
 * http1_first_segment() decides a new socket's mode.
 */
#ifndef MESHSIGHT_HTTP1_KERNEL_H
#define MESHSIGHT_HTTP1_KERNEL_H

#include "http1_pair.h"
#include "proto/http1_head.h"
#include "proto/tcp.h"

enum seg_verdict {
	SEG_DONE = 0,	 /* accounted for here */
	SEG_CAPTURE = 1, /* send it as payload (capture mode) */
};

/* dir's payload goes to capture from seq on (a message boundary). */
static __always_inline void dir_switch(struct ms_sock *st, __u8 dir, __u32 seq, __u8 reason,
				       int with_req)
{
	struct ms_mode_event *ev;

	if (with_req)
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	else
		ev = bpf_ringbuf_reserve(&events, offsetof(struct ms_mode_event, req), 0);
	st->dir[dir & 1].capture = 1;
	st->dir[dir & 1].pending = 0;
	if (st->dir[0].capture && st->dir[1].capture)
		st->mode = MS_SOCK_CAPTURE;
	if (!ev) {
		count(MS_CNT_RB_FULL_MODE);
		conn_mark_lost(st->cookie);
		return;
	}
	ev->hdr.type = MS_EV_MODE;
	ev->hdr.flags = with_req ? MS_MODE_F_REQ : 0;
	ev->hdr.cookie = st->cookie;
	ev->hdr.ts_ns = 0;
	ev->seq = seq;
	ev->dir = dir;
	ev->reason = reason;
	ev->_pad[0] = 0;
	ev->_pad[1] = 0;
	if (with_req)
		__builtin_memcpy(&ev->req, &st->pair.req, sizeof(ev->req));
	bpf_ringbuf_submit(ev, 0);
}

/*
 * The other direction follows at its next boundary: now if it is at one
 * (and, for the response side, no pair is in flight), else when it gets there.
 */
static __always_inline void other_follows(struct ms_sock *st, __u8 dir)
{
	__u8 other = (dir ^ 1) & 1;
	struct ms_sock_dir *od = &st->dir[other];
	int busy = od->in_msg || (other == resp_dir(st) && st->req_inflight);

	if (od->capture)
		return;
	if (busy)
		od->pending = MS_FB_PEER + 1;
	else
		dir_switch(st, other, od->next, MS_FB_PEER, 0);
}

/* Leave kernel parsing in dir at seq; with_req hands the request in flight over. */
static __always_inline int fall_back(struct ms_sock *st, __u8 dir, __u32 seq, __u8 reason,
				     int with_req)
{
	dir_switch(st, dir, seq, reason, with_req);
	if (with_req)
		st->req_inflight = 0;
	other_follows(st, dir);
	return SEG_CAPTURE;
}

/* The message in dir ended at d->msg_end. */
static __always_inline void msg_complete(struct ms_sock *st, __u8 dir, __u64 now)
{
	struct ms_sock_dir *d = &st->dir[dir & 1];

	d->in_msg = 0;
	if (dir == resp_dir(st)) {
		st->pair.resp_end_ns = now;
		pair_send(st, now, 0);
	}
	if (d->pending)
		dir_switch(st, dir, d->msg_end, d->pending - 1, 0);
}

/* The segment's first bytes, in scratch and scanned; NULL when they can't be read. */
static __always_inline struct ms_head_scratch *head_load(struct __sk_buff *skb,
							 const struct tcp_segment *seg)
{
	struct ms_head_scratch *s = head_scratch_get();
	__u64 n = seg->payload_len; /* 64-bit: the helper reads all of it */

	if (n > MS_HEAD_MAX)
		n = MS_HEAD_MAX;
	barrier_var(n);
	if (!s || n == 0 || n > MS_HEAD_MAX)
		return NULL;
	if (bpf_skb_load_bytes(skb, seg->payload_off, s->buf, n) || http1_head_scan(n))
		return NULL;
	count(MS_CNT_HEAD_SCANNED);
	return s;
}

/*
 * Word copies from scratch (unaligned 8-byte loads, as the scan does) into
 * the aligned pair: a byte-wise __builtin_memcpy of the 128-byte target
 * cost ~40 ns a request. Only the words the target needs are copied:
 * userspace reads var up to target_len (and the traceparent at
 * var[MS_TARGET_MAX]), so what follows in var is never looked at.
 */
static __always_inline void req_copy_words(__u64 *dst, const __u8 *buf, __u32 off, __u32 len)
{
	__u32 i;

	for (i = 0; i < MS_TARGET_MAX / 8; i++) {
		if (i * 8 >= len)
			break;
		dst[i] = head_word(buf, off + i * 8);
	}
}

static __always_inline void req_fill(struct ms_http_req *r, const __u8 *buf,
				     const struct http1_head *h, const struct http1_reqline *rl,
				     __u64 now)
{
	__u64 *method = (__u64 *)r->method;

	r->start_ns = now;
	r->bytes = h->head_len + (h->has_cl ? h->cl : 0);
	r->method_len = rl->method_len;
	r->version_minor = rl->version_minor;
	r->target_len = rl->target_len;
	r->tp_len = 0;
	r->flags = 0;
	method[0] = head_word(buf, 0);
	method[1] = head_word(buf, 8);
	req_copy_words((__u64 *)r->var, buf, rl->target_off, rl->target_len);
	if (rl->method_len == 4 && buf[0] == 'H' && buf[1] == 'E' && buf[2] == 'A' && buf[3] == 'D')
		r->flags |= MS_REQ_F_HEAD;
	if (h->tp_count == 1 && h->tp_ok) {
		req_copy_words((__u64 *)(r->var + MS_TARGET_MAX), buf, h->tp_off,
			       MS_HTTP_VAR_MAX - MS_TARGET_MAX);
		r->tp_len = MS_TP_LEN;
	} else if (h->tp_count) {
		r->flags |= MS_REQ_F_TP_BAD;
	}
}

/*
 * A request starts at seg. Returns SEG_DONE, SEG_CAPTURE, or -1 when it
 * can't be parsed here and nothing of this socket was parsed yet either.
 */
static __always_inline int req_start(struct __sk_buff *skb, struct bpf_sock *full,
				     struct ms_sock *st, struct tcp_segment *seg, __u8 dir,
				     __u64 now)
{
	struct ms_sock_dir *d = &st->dir[dir & 1];
	struct ms_head_scratch *s;
	struct http1_reqline rl;
	__u8 reason = MS_FB_HEAD;
	struct http1_head *h;
	__u64 total;
	__u8 *buf;

	if (st->req_inflight)
		return fall_back(st, dir, seg->seq, MS_FB_PIPELINED, 0);
	s = head_load(skb, seg);
	if (!s)
		goto hard;
	buf = s->buf;
	h = &s->h;
	if (h->bad || !h->head_len || http1_request_line(buf, h, &rl))
		goto hard;
	reason = MS_FB_FRAMING;
	if (h->chunked || h->upgrade ||
	    (rl.method_len == 7 && buf[0] == 'C' && buf[1] == 'O' && buf[2] == 'N' &&
	     buf[3] == 'N'))
		goto hard;
	reason = MS_FB_TARGET;
	if (rl.target_len > MS_TARGET_MAX)
		goto hard;
	req_fill(&st->pair.req, buf, h, &rl, now);
	st->req_inflight = 1;
	st->resp_started = 0;
	st->pair.status = 0;
	st->pair.resp_start_ns = 0;
	st->pair.resp_end_ns = 0;
	st->pair.resp_bytes = 0;
	total = st->pair.req.bytes;
	d->next = seg->seq + seg->payload_len;
	/* Counters are read at request starts, at most every MS_REFRESH_NS. */
	if (st->mode == MS_SOCK_KERNEL && now - st->refreshed_ns >= MS_REFRESH_NS) {
		st->refreshed_ns = now;
		conn_refresh(full, st->cookie, now);
	}
	if (total > seg->payload_len) {
		d->in_msg = 1;
		d->msg_end = seg->seq + (__u32)total;
	} else if (total < seg->payload_len) {
		/* Another message follows in the same skb: pipelined. */
		d->next = seg->seq + (__u32)total;
		tcp_segment_trim(seg, (__u32)total);
		return fall_back(st, dir, d->next, MS_FB_PIPELINED, 0);
	}
	return SEG_DONE;
hard:
	if (st->mode == MS_SOCK_NEW)
		return -1;
	return fall_back(st, dir, seg->seq, reason, 0);
}

static __always_inline int resp_start(struct __sk_buff *skb, struct ms_sock *st,
				      struct tcp_segment *seg, __u8 dir, __u64 now)
{
	struct ms_sock_dir *d = &st->dir[dir & 1];
	struct ms_head_scratch *s;
	__u8 reason = MS_FB_HEAD;
	struct http1_head *h;
	__u64 body, total;
	__u16 status;

	if (!st->req_inflight)
		return fall_back(st, dir, seg->seq, MS_FB_UNSOLICITED, 0);
	s = head_load(skb, seg);
	if (!s)
		goto hard;
	h = &s->h;
	if (h->bad || !h->head_len)
		goto hard;
	status = http1_status_line(s->buf, h);
	if (!status)
		goto hard;
	reason = MS_FB_FRAMING;
	if (status == 101)
		goto hard;
	if (status < 200) {
		/* Interim: not the answer, and not in its size or latency. */
		if (h->head_len != seg->payload_len || h->has_cl || h->chunked)
			goto hard;
		d->next = seg->seq + seg->payload_len;
		return SEG_DONE;
	}
	if ((st->pair.req.flags & MS_REQ_F_HEAD) || status == 204 || status == 304)
		body = 0;
	else if (h->chunked || !h->has_cl)
		goto hard; /* chunked, or read until close */
	else
		body = h->cl;
	total = h->head_len + body;
	st->pair.status = status;
	st->pair.resp_start_ns = now;
	st->pair.resp_bytes = total;
	st->resp_started = 1;
	st->resp_start_seq = seg->seq;
	d->next = seg->seq + seg->payload_len;
	if (total > seg->payload_len) {
		d->in_msg = 1;
		d->msg_end = seg->seq + (__u32)total;
		st->pair.resp_end_ns = now;
		return SEG_DONE;
	}
	d->msg_end = seg->seq + (__u32)total;
	d->next = d->msg_end;
	msg_complete(st, dir, now);
	if (total == seg->payload_len)
		return SEG_DONE;
	/* More follows in the same skb: a response nobody asked for yet. */
	tcp_segment_trim(seg, (__u32)total);
	if (d->capture)
		return SEG_CAPTURE; /* it was due to switch here anyway */
	return fall_back(st, dir, d->next, MS_FB_PIPELINED, 0);
hard:
	return fall_back(st, dir, seg->seq, reason, 1);
}

/* A segment of a kernel-mode socket. */
static __always_inline int http1_segment(struct __sk_buff *skb, struct bpf_sock *full,
					 struct ms_sock *st, struct tcp_segment *seg, __u8 dir)
{
	struct ms_sock_dir *d = &st->dir[dir & 1];
	__u32 end = seg->seq + seg->payload_len;
	__u64 now;

	if (d->capture)
		return SEG_CAPTURE;
	if (seq_diff(end, d->next) <= 0) {
		count(MS_CNT_RETRANS_SKIPPED);
		return SEG_DONE;
	}
	if (d->in_msg) {
		if (seq_diff(end, d->msg_end) < 0) {
			/* Body: only the end matters. */
			if (seq_diff(end, d->next) > 0)
				d->next = end;
			if (dir == resp_dir(st))
				st->pair.resp_end_ns = bpf_ktime_get_ns();
			return SEG_DONE;
		}
		now = bpf_ktime_get_ns();
		d->next = d->msg_end;
		msg_complete(st, dir, now);
		if (end == d->msg_end)
			return SEG_DONE;
		/* Another message starts inside this skb. */
		tcp_segment_trim(seg, d->msg_end - seg->seq);
		if (!d->capture)
			return fall_back(st, dir, d->next, MS_FB_PIPELINED, 0);
		return SEG_CAPTURE;
	}
	if (seq_diff(seg->seq, d->next) > 0)
		return fall_back(st, dir, d->next, MS_FB_GAP, 0);
	if (seq_diff(seg->seq, d->next) < 0)
		tcp_segment_trim(seg, d->next - seg->seq);
	/* Due to switch here, unless this is the response of the pair in flight. */
	if (d->pending && !(dir == resp_dir(st) && st->req_inflight))
		return fall_back(st, dir, seg->seq, d->pending - 1, 0);
	now = bpf_ktime_get_ns();
	if (sent_by_client(st->role, dir))
		return req_start(skb, full, st, seg, dir, now);
	return resp_start(skb, st, seg, dir, now);
}

/*
 * The first payload of a socket sockops announced: a whole request from
 * the client puts it in kernel mode; anything else (a server that speaks
 * first, a split or odd head, not HTTP/1 at all) leaves it to the capture
 * path from its first byte, which also classifies it. No mode event is
 * needed then: userspace starts from the handshake's sequence numbers.
 */
static __always_inline int http1_first_segment(struct __sk_buff *skb, struct bpf_sock *full,
					       struct ms_sock *st, struct tcp_segment *seg,
					       __u8 dir)
{
	__u64 now = bpf_ktime_get_ns();
	struct ms_conn *conn;
	int ret;

	if (!sent_by_client(st->role, dir) || seq_diff(seg->seq, st->dir[dir & 1].next) != 0)
		goto capture;
	ret = req_start(skb, full, st, seg, dir, now);
	if (ret < 0)
		goto capture;
	st->mode = MS_SOCK_KERNEL;
	count(MS_CNT_CONN_KERNEL);
	count(MS_CNT_CONN_HTTP1);
	conn = conn_refresh(full, st->cookie, now);
	if (conn)
		conn->l7 = MS_L7_HTTP1; /* for the scan, and the capture path if it switches */
	return ret;
capture:
	st->mode = MS_SOCK_CAPTURE;
	return SEG_CAPTURE;
}

#endif /* MESHSIGHT_HTTP1_KERNEL_H */

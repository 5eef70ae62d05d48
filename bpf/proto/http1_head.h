/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An HTTP/1 message head, parsed in the kernel from the first bytes of the
 * segment that starts the message (copied into per-CPU scratch).
 *
 * API: http1_head_scan() finds the start line's end, the empty line that
 * ends the head, Content-Length, Transfer-Encoding and the traceparent;
 * http1_request_line() and http1_status_line() then read the start line.
 * Anything the scan can't settle exactly (no empty line in the bytes given,
 * a folded or bare-LF line, a second Content-Length, a malformed value) sets
 * bad, and the caller leaves the connection to userspace's parser.
 *
 * Cost: the head is read sixteen bytes a turn; only lines whose first byte
 * is c, t, u, b or a control are looked at beyond that, and only those
 * that name a framing header cost a call. It is instruction-bound: ~3
 * instructions a byte, ~90 ns for a 237-byte nginx response head (see
 * http1_head_scan). The loop bounds are the scratch size and
 * MS_HEAD_HOT_LINES, so the verifier's work is bounded too (~175,000
 * instructions for the skb program, both directions, most of it here).
 */
#ifndef MESHSIGHT_PROTO_HTTP1_HEAD_H
#define MESHSIGHT_PROTO_HTTP1_HEAD_H

#include "../map_sizing.h"
#include "http1.h"

#define MS_HEAD_MASK (MS_HEAD_MAX - 1)
/* Lines whose first byte is hot (see head_hot) a head may have, in the kernel. */
#define MS_HEAD_HOT_LINES 64
#define MS_HEAD_WORDS	  (MS_HEAD_MAX / 8)

struct http1_head {
	__u32 n;	 /* bytes of the segment in buf */
	__u32 line1_end; /* offset just past the start line's LF, 0 if none */
	__u32 head_len;	 /* offset just past the empty line, 0 if not in buf */
	__u32 tp_off;	 /* offset of the traceparent value, when tp_count == 1 */
	__u64 cl;	 /* Content-Length, when has_cl */
	__u8 has_cl;
	__u8 chunked; /* a Transfer-Encoding header (any value) */
	__u8 upgrade; /* an Upgrade header: the parser must see the request (h2c) */
	__u8 tp_count;
	__u8 tp_ok; /* the traceparent value is MS_TP_LEN bytes then CR */
	__u8 bad;
	__u8 nhot;  /* entries of the scratch's hot[] (kept in memory: see http1_head_scan) */
	__u8 hot_i; /* head_hot_lines()'s cursor: the next entry, the current one, its bits left */
	__u64 hot_e, hot_m;
};

/*
 * Scratch a head is copied to (and its scan's result): MS_HEAD_MAX bytes and
 * room for over-reads; hot[] lists the words with lines to look at (see
 * http1_head_scan), at most one entry per word.
 */
struct ms_head_scratch {
	struct http1_head h;
	__u8 buf[MS_HEAD_MAX + 64];
	__u64 hot[MS_HEAD_WORDS];
};

/* Per-CPU scratch a message head is copied into, within one program run. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_head_scratch);
} head_scratch SEC(".maps") __weak;

static __always_inline struct ms_head_scratch *head_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&head_scratch, &zero);
}

/* Eight copies of byte b, and a word of the bytes of an 8-character string. */
#define HW_REP(b) (0x0101010101010101ULL * (__u64)(b))
/* Words are read little-endian: byte k of a word is bits 8k..8k+7 (x86, arm64). */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "http1_head.h reads heads as little-endian words"
#endif
#define HW_STR(s)                                                                                  \
	((__u64)(s)[0] | (__u64)(s)[1] << 8 | (__u64)(s)[2] << 16 | (__u64)(s)[3] << 24 |          \
	 (__u64)(s)[4] << 32 | (__u64)(s)[5] << 40 | (__u64)(s)[6] << 48 | (__u64)(s)[7] << 56)
#define HW_BYTE(k) (0x80ULL << (8 * (k)))
#define HW_LOW7	   HW_REP(0x7f)
#define HW_LOW56   0x00ffffffffffffffULL /* the first seven bytes */

static __always_inline __u64 head_word(const __u8 *buf, __u32 off)
{
	return *(const __u64 *)(buf + (off & MS_HEAD_MASK));
}

static __always_inline __u8 head_byte(const __u8 *buf, __u32 off)
{
	return buf[off & MS_HEAD_MASK];
}

/* Bit 7 of each byte of w that equals the byte in rep (exact: no carries between bytes). */
static __always_inline __u64 head_match(__u64 w, __u64 rep)
{
	__u64 x = w ^ rep;

	return ~(((x & HW_LOW7) + HW_LOW7) | x | HW_LOW7);
}

static __always_inline int head_ows(__u8 c)
{
	return c == ' ' || c == '\t';
}

/*
 * Content-Length's value at off: up to 3 OWS, 1..18 digits, CR. Trailing
 * blanks are legal but rare: they leave the message to the parser.
 */
static __always_inline void head_content_length(const __u8 *buf, __u32 off, struct http1_head *h)
{
	__u32 i;
	__u64 v = 0;
	__u8 c = 0;

	if (h->has_cl) {
		h->bad = 1; /* which of two is right is the parser's call */
		return;
	}
	for (i = 0; i < 3 && head_ows(head_byte(buf, off)); i++)
		off++;
	for (i = 0; i < 19; i++) {
		c = head_byte(buf, off + i);
		if (c < '0' || c > '9')
			break;
		v = v * 10 + (c - '0');
	}
	if (i == 0 || i > 18 || c != '\r') {
		h->bad = 1;
		return;
	}
	h->cl = v;
	h->has_cl = 1;
}

static __always_inline void head_traceparent(const __u8 *buf, __u32 off, struct http1_head *h)
{
	__u32 i;

	if (h->tp_count++)
		return; /* a second one: neither is kept */
	for (i = 0; i < 3 && head_ows(head_byte(buf, off)); i++)
		off++;
	h->tp_off = off;
	if (head_byte(buf, off + MS_TP_LEN) == '\r')
		h->tp_ok = 1;
	else if (head_ows(head_byte(buf, off + MS_TP_LEN)))
		h->bad = 1; /* trailing blanks: let the parser decide */
}

/*
 * The line that starts at ls: the empty line, or a header that frames the
 * message. Global, so verified once (see http1_head_scan).
 */
__noinline int http1_head_line(__u32 ls)
{
	struct ms_head_scratch *scratch = head_scratch_get();
	struct http1_head *h;
	const __u8 *buf;
	__u64 w0, w1, w2;
	__u8 c0;

	if (!scratch)
		return 0;
	buf = scratch->buf;
	h = &scratch->h;

	if (ls + 2 > h->n)
		return 0; /* the head goes on past what we have: head_len stays 0 */
	c0 = head_byte(buf, ls);
	if (c0 == '\r') {
		if (head_byte(buf, ls + 1) == '\n')
			h->head_len = ls + 2;
		else
			h->bad = 1;
		return 0;
	}
	if (c0 == '\n' || head_ows(c0)) {
		h->bad = 1; /* bare LF, or an obsolete folded line */
		return 0;
	}
	if ((c0 | 0x20) == 'u') {
		if ((head_word(buf, ls) | (HW_REP(0x20) & HW_LOW56)) == HW_STR("upgrade:"))
			h->upgrade = 1;
		return 0;
	}
	if ((c0 | 0x20) != 'c' && (c0 | 0x20) != 't')
		return 0;
	/* Letters are compared case-insensitively, '-' and ':' exactly. */
	w0 = head_word(buf, ls) | (HW_REP(0x20) & HW_LOW56);
	w1 = head_word(buf, ls + 8);
	w2 = head_word(buf, ls + 16);
	if (w0 == HW_STR("content-") &&
	    ((w1 | 0x0000202020202020ULL) & HW_LOW56) == HW_STR("length:\0")) {
		head_content_length(buf, ls + 15, h);
	} else if ((head_word(buf, ls) | HW_REP(0x20)) == HW_STR("transfer") &&
		   (w1 | 0x2020202020202000ULL) == HW_STR("-encodin") &&
		   ((w2 | 0x20) & 0xffff) == (HW_STR("g:\0\0\0\0\0\0") & 0xffff)) {
		h->chunked = 1;
	} else if ((head_word(buf, ls) | HW_REP(0x20)) == HW_STR("tracepar") &&
		   ((w1 | 0x00202020) & 0xffffffff) == (HW_STR("ent:\0\0\0\0") & 0xffffffff)) {
		head_traceparent(buf, ls + 12, h);
	}
	return 0;
}

/* Bit 7 of each byte of w that is at most 0x20: CR, LF, SP, HT and other controls (exact). */
static __always_inline __u64 head_le20(__u64 w)
{
	return ~(((w & HW_LOW7) + HW_REP(0x7f - 0x20)) | w) & HW_REP(0x80);
}

/*
 * Bytes that may start a line the scan must look at: CR (the empty line),
 * LF, SP and HT (malformed), c, t, u in either case (Content-Length,
 * Transfer-Encoding, traceparent, Upgrade). A superset ('b' too, other
 * controls): http1_head_line() decides exactly.
 */
static __always_inline __u64 head_hot(__u64 w)
{
	__u64 z = (w | HW_REP(0x20)) & ~HW_REP(0x01); /* c, C -> b; t, T, u, U -> t */

	return head_match(z, HW_REP('b')) | head_match(z, HW_REP('t')) | head_le20(w);
}

/* The index (0..7) of the lowest byte whose bit 7 is set in m (m != 0); no ctz in BPF. */
static __always_inline __u32 head_low_byte(__u64 m)
{
	return (((m & -m) >> 7) * 0x0001020304050607ULL) >> 56;
}

/* The hot line starts of one word (bit 7 of their bytes) and the word's index in bits 0-5. */
#define HW_HOT_WORD 0x3f

/*
 * A field read from memory every time, never kept in a register across the
 * scan's loop: the verifier would track the register's value, and a loop
 * whose paths carry different values is never pruned (2^64 paths, and the
 * load fails). The cost is one L1 load.
 */
#define head_mem(field) (*(volatile typeof(field) *)&(field))

static __always_inline void head_hot_add(struct ms_head_scratch *s, __u64 entry)
{
	__u8 i = head_mem(s->h.nhot);

	s->hot[i & (MS_HEAD_WORDS - 1)] = entry;
	head_mem(s->h.nhot) = i + 1;
}

/*
 * Would http1_head_line() do anything with the line at ls? Its own tests,
 * on the same bytes, without the call: of an nginx response's three hot
 * lines only Content-Length passes (~15 ns a call saved for the others).
 */
static __always_inline int head_line_matters(const __u8 *buf, __u32 ls)
{
	__u64 w0 = head_word(buf, ls) | (HW_REP(0x20) & HW_LOW56), w8 = w0 | (0x20ULL << 56);

	/*
	 * Branches, not a || of comparisons: clang turns that into 0/1 values
	 * OR'ed together, which the verifier tracks exactly, and it then walks
	 * each combination (32 a line).
	 */
	if (head_byte(buf, ls) <= ' ')
		return 1;
	if (w0 == HW_STR("content-"))
		return 1;
	if (w0 == HW_STR("upgrade:"))
		return 1;
	if (w8 == HW_STR("transfer"))
		return 1;
	return w8 == HW_STR("tracepar");
}

/*
 * The lines of the hot[] list, in order, by http1_head_line(); stops at the
 * first malformed one. One flat loop, a line per turn, with its cursor
 * (entry, bits left) in memory: nested loops over entries and bits cost
 * the verifier ~130,000 instructions. At most MS_HEAD_HOT_LINES lines: a
 * head with more lines starting with c, t, u, b or a control byte (which
 * takes 64 headers like "b:1", as no real head has) is left to the parser
 * as malformed, so the kernel never decides without having looked.
 */
static __always_inline void head_hot_lines(struct ms_head_scratch *s)
{
	struct http1_head *h = &s->h;
	__u32 it, ls;
	__u64 m, e;

	h->hot_i = 0;
	h->hot_m = 0;
	for (it = 0; it < MS_HEAD_HOT_LINES; it++) {
		m = head_mem(h->hot_m);
		if (!m) {
			if (head_mem(h->hot_i) >= head_mem(h->nhot))
				return;
			e = s->hot[head_mem(h->hot_i) & (MS_HEAD_WORDS - 1)];
			head_mem(h->hot_i) += 1;
			head_mem(h->hot_e) = e;
			m = e & HW_REP(0x80);
		}
		ls = (head_mem(h->hot_e) & HW_HOT_WORD) * 8 + head_low_byte(m);
		head_mem(h->hot_m) = m & (m - 1);
		if (!head_line_matters(s->buf, ls))
			continue;
		http1_head_line(ls);
		if (h->bad)
			return;
	}
	if (head_mem(h->hot_m) || head_mem(h->hot_i) < head_mem(h->nhot))
		h->bad = 1; /* lines left that were never looked at */
}

/*
 * Scans the n bytes in the scratch buffer; the result is the scratch's h.
 * Two passes. The first, two words a turn: a pair with no LF is passed over
 * with one zero-byte test; in the others the LFs (exact SWAR), hence the
 * bytes that start a line, and of those the hot ones (see head_hot); the
 * empty line is found here, the other hot lines are listed in hot[]. It
 * calls nothing, so its loop keeps everything in registers (with a call
 * per line in the loop, clang kept the loop's state on the stack). The
 * second pass gives each listed line to http1_head_line() if it would act
 * on it. A 237-byte nginx response head: 15 turns, 10 line starts, 3
 * listed lines (Content-Type, Content-Length, Connection), 1 call.
 * Lines after a malformed one are still listed, but never looked at: the
 * second pass stops there, and a malformed head is the parser's anyway.
 * Cost, measured by tests/bpf/skb_bench.c: ~90 ns for that head, ~25 ns
 * for a 41-byte wrk request (the word-at-a-time scan with a call per LF
 * before it: ~130 ns and ~40 ns).
 *
 * A global function, so the verifier checks it once, on its own, instead of
 * at every call with the caller's state (the loop would multiply the
 * caller's paths). Its arguments are scalars and it finds its memory itself:
 * kernels before 5.12 accept no pointer to memory as a global function's
 * argument. Include this header in one object only: it defines it.
 */
/* Bit 7 of some byte set iff a byte of w is 0 (the bits themselves are not exact: a yes/no). */
static __always_inline __u64 head_has_zero(__u64 w)
{
	return (w - HW_REP(0x01)) & ~w & HW_REP(0x80);
}

/* One word of the first pass (see http1_head_scan); 1 when the scan ends here. */
static __always_inline int head_scan_word(struct ms_head_scratch *s, __u64 x, __u32 w, __u32 n,
					  __u64 *carry)
{
	struct http1_head *h = &s->h;
	__u64 lf, starts, hot, cr, c;
	__u32 off = w * 8, ls, k;

	lf = head_match(x, HW_REP('\n'));
	if (lf && n - off < 8)
		lf &= (1ULL << (8 * (n - off))) - 1; /* past n is stale scratch */
	/* A line starts after each LF: in this word, or (carry) at the next one's first byte. */
	starts = lf << 8 | *carry;
	*carry = lf >> 56;
	if (!starts)
		return 0;
	if (!head_mem(h->line1_end))
		h->line1_end = off + head_low_byte(starts);
	hot = starts & head_hot(x);
	if (!hot)
		return 0;
	cr = hot & head_match(x, HW_REP('\r'));
	if (!cr) {
		head_hot_add(s, hot | w);
		return 0;
	}
	/* The first CR line ends the head: only the lines before it count. */
	k = head_low_byte(cr);
	hot &= (1ULL << (8 * k)) - 1;
	if (hot)
		head_hot_add(s, hot | w);
	ls = off + k;
	if (ls + 2 > n)
		return 1; /* the head goes on past what we have: head_len stays 0 */
	/*
	 * The byte after the CR, from x or the next word's first: not
	 * buf[ls + 1], which would make the verifier track k, hence the carry,
	 * exactly, and explore every word once per value it has seen.
	 */
	if (k < 7)
		c = x >> (8 * k + 8);
	else
		c = head_byte(s->buf, off + 8);
	if ((__u8)c == '\n')
		h->head_len = ls + 2;
	else
		h->bad = 1;
	return 1;
}

__noinline int http1_head_scan(__u32 n)
{
	struct ms_head_scratch *scratch = head_scratch_get();
	__u64 x0, x1, carry = 0;
	struct http1_head *h;
	__u32 w, nw, p;
	const __u8 *buf;

	if (!scratch || n > MS_HEAD_MAX)
		return -1;
	buf = scratch->buf;
	h = &scratch->h;
	__builtin_memset(h, 0, sizeof(*h));
	h->n = n;
	nw = (n + 7) / 8;

	/*
	 * Two words a turn; a pair with no LF (and no line starting at its
	 * first byte) costs a dozen instructions: most of a head's words.
	 */
	for (p = 0; p < MS_HEAD_WORDS / 2; p++) {
		w = p * 2;
		if (w >= nw)
			break;
		x0 = head_word(buf, w * 8);
		x1 = head_word(buf, w * 8 + 8);
		if (!carry &&
		    !(head_has_zero(x0 ^ HW_REP('\n')) | head_has_zero(x1 ^ HW_REP('\n'))))
			continue;
		if (head_scan_word(scratch, x0, w, n, &carry) || w + 1 >= nw ||
		    head_scan_word(scratch, x1, w + 1, n, &carry))
			break;
	}
	if (h->head_len && !h->bad)
		head_hot_lines(scratch);
	if (h->head_len > h->n)
		h->bad = 1;
	return 0;
}

struct http1_reqline {
	__u32 method_len;
	__u32 target_off, target_len;
	__u8 version_minor;
};

/*
 * "METHOD SP target SP HTTP/1.x CRLF" in buf[0, h->line1_end). Returns 0, or
 * -1 when it is not one (the caller falls back: userspace says why).
 */
static __always_inline int http1_request_line(const __u8 *buf, const struct http1_head *h,
					      struct http1_reqline *rl)
{
	__u32 i, e = h->line1_end - 1; /* the LF */
	__u8 v;

	rl->method_len = 0;
	for (i = 0; i < MS_METHOD_MAX + 1; i++) {
		if (head_byte(buf, i) == ' ') {
			rl->method_len = i;
			break;
		}
		if (!http1_is_upper(head_byte(buf, i)))
			return -1;
	}
	if (rl->method_len < MS_METHOD_MIN || e < rl->method_len + 12)
		return -1;
	if (head_byte(buf, e - 1) != '\r' || head_byte(buf, e - 10) != ' ' ||
	    (head_word(buf, e - 9) & HW_LOW56) != (HW_STR("HTTP/1.\0") & HW_LOW56))
		return -1;
	v = head_byte(buf, e - 2);
	if (v != '0' && v != '1')
		return -1;
	rl->version_minor = v - '0';
	rl->target_off = rl->method_len + 1;
	rl->target_len = e - 10 - rl->target_off;
	return rl->target_len ? 0 : -1;
}

/* "HTTP/1.x SSS" then SP or CR: the status code, or 0 when it is not a status line. */
static __always_inline __u16 http1_status_line(const __u8 *buf, const struct http1_head *h)
{
	__u8 d0 = head_byte(buf, 9), d1 = head_byte(buf, 10), d2 = head_byte(buf, 11);
	__u8 after = head_byte(buf, 12);

	if (h->line1_end < 14 || (head_word(buf, 0) & HW_LOW56) != (HW_STR("HTTP/1.\0") & HW_LOW56))
		return 0;
	if (head_byte(buf, 7) < '0' || head_byte(buf, 7) > '9' || head_byte(buf, 8) != ' ')
		return 0;
	if (d0 < '1' || d0 > '5' || d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9')
		return 0;
	if (after != ' ' && after != '\r')
		return 0;
	return (d0 - '0') * 100 + (d1 - '0') * 10 + (d2 - '0');
}

#endif /* MESHSIGHT_PROTO_HTTP1_HEAD_H */

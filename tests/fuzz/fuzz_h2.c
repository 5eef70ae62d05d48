// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for user/core/h2.c and user/core/hpack.c. The input is a script of
 * pieces, as in fuzz_http1.c, so splits, sides, capture cuts and gaps are
 * explored as well as the bytes:
 *
 *   ctl:  bit 0 side (client/server), bits 1-2 how much is captured
 *         (0 all, 1 half, 2 nothing: a gap, 3 all and then a hidden tail),
 *         bit 3 the piece is one raw HPACK block for a decoder of its own
 *   n:    piece length - 1
 *
 * The client side starts with the preface, prepended here so that the
 * fuzzer reaches frames at once. Build: see tools/fuzz.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/h2.h"
#include "core/hpack.h"

#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s\n", #cond);                          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void on_txn(void *ctx, const struct http1_txn *t, const char *msg)
{
	(void)ctx;
	check(t->flags & HTTP1_TXN_F_H2);
	check(t->status == 0 || (t->status >= 200 && t->status <= 599));
	check(memchr(t->path, 0, sizeof(t->path)) != NULL);
	check(memchr(t->method, 0, sizeof(t->method)) != NULL);
	/* No query, fragment, parameters or encoded '?' ever leaves the parser. */
	check(!strpbrk(t->path, "?#;") && !strstr(t->path, "%3F") && !strstr(t->path, "%3f"));
	check(!(t->flags & HTTP1_TXN_F_UNNAMED) || (!t->method[0] && !t->path[0]));
	check(!msg || strlen(msg) < HTTP1_GRPC_MESSAGE_MAX);
	check(!t->resp_end_ns || t->resp_end_ns >= t->req_start_ns);
}

static void on_field(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen,
		     unsigned flags)
{
	(void)ctx;
	if (flags & HPACK_F_UNKNOWN) {
		check(!name && !value);
		return;
	}
	check(nlen <= HPACK_NAME_MAX && vlen <= HPACK_VALUE_MAX);
	check(!value || hpack_value_wanted(name, nlen));
	if (nlen)
		check(name[0] || 1); /* touch the bytes: ASan checks they are in bounds */
	if (vlen)
		check(value[vlen - 1] || 1);
}

static void hpack_piece(const uint8_t *p, size_t n)
{
	struct hpack_dec d;

	hpack_init(&d);
	hpack_decode(&d, p, n, on_field, NULL);
	hpack_decode(&d, p, n, on_field, NULL); /* again, against the table it built */
	check(d.size <= d.max_size || d.lost);
	hpack_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h2_conn c;
	struct h2_stats stats;
	uint64_t ts = 1;
	size_t pos = 0;

	memset(&stats, 0, sizeof(stats));
	h2_conn_init(&c, &stats);
	h2_conn_feed(&c, HTTP1_SIDE_REQUEST, (const uint8_t *)H2_PREFACE, H2_PREFACE_LEN,
		     H2_PREFACE_LEN, ts, on_txn, NULL);
	while (pos + 2 <= size) {
		uint8_t ctl = data[pos];
		size_t n = (size_t)data[pos + 1] + 1, cap;

		pos += 2;
		if (n > size - pos)
			n = size - pos;
		if (ctl & 8) {
			hpack_piece(data + pos, n);
			pos += n;
			continue;
		}
		switch ((ctl >> 1) & 3) {
		case 0:
			cap = n;
			break;
		case 1:
			cap = n / 2;
			break;
		case 2:
			cap = 0;
			break;
		default:
			cap = n;
			break;
		}
		h2_conn_feed(&c, ctl & 1, cap ? data + pos : NULL, cap,
			     ((ctl >> 1) & 3) == 3 ? n + 1000 : n, ts++, on_txn, NULL);
		pos += n;
	}
	h2_conn_close(&c, size & 1, ts, on_txn, NULL);
	h2_conn_free(&c);
	return 0;
}

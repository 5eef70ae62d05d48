// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for user/core/http1.c: the input is a script of pieces, each
 * introduced by two control bytes, so the fuzzer explores splits, sides,
 * capture cuts and gaps as well as the bytes themselves.
 *
 *   ctl:  bit 0 side (request/response), bits 1-2 how much is captured
 *         (0 all, 1 half, 2 nothing: a gap, 3 all and then a hidden tail)
 *   n:    piece length - 1
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iuser \
 *        tests/fuzz/fuzz_http1.c user/core/http1.c -o /tmp/fuzz_http1
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http1.h"

static uint64_t last_req_start;

/* A broken invariant is a crash the fuzzer keeps, with the expression that failed. */
#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s\n", #cond);                          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void on_txn(void *ctx, const struct http1_txn *t)
{
	size_t tp, m;

	(void)ctx;
	check(t->status == 0 || (t->status >= 100 && t->status <= 599));
	check(t->status || (t->flags & HTTP1_TXN_F_NO_RESPONSE));
	check(memchr(t->path, 0, sizeof(t->path)) != NULL);
	check(memchr(t->method, 0, sizeof(t->method)) != NULL);
	m = strnlen(t->method, sizeof(t->method));
	tp = strnlen(t->traceparent, sizeof(t->traceparent));
	if (t->flags & HTTP1_TXN_F_START_EST) {
		/* Its response and a start no later than it: no method, path or traceparent. */
		check(t->flags & HTTP1_TXN_F_PATH_DROPPED);
		check(m == 0 && !t->path[0] && tp == 0);
		check(t->status && t->req_start_ns <= t->resp_start_ns);
		check(t->resp_end_ns >= t->resp_start_ns);
		return;
	}
	check(m >= 3 && m < HTTP1_METHOD_MAX);
	check(strspn(t->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == m ||
	      ((t->flags & HTTP1_TXN_F_PATH_DROPPED) && !strcmp(t->method, "_OTHER")));
	check(!(t->flags & HTTP1_TXN_F_PATH_DROPPED) || (!t->path[0] && tp == 0));
	/* Query, fragment, ;parameters and an encoded '?' are never kept. */
	check(!strcmp(t->method, "CONNECT") || !strpbrk(t->path, "?#;"));
	check(!strcmp(t->method, "CONNECT") ||
	      (!strstr(t->path, "%3F") && !strstr(t->path, "%3f")));
	/* Nor a CONNECT target's userinfo. */
	check(strcmp(t->method, "CONNECT") || !strchr(t->path, '@'));
	check(tp == 0 || tp == 55);
	/* Timestamps only grow here, so causality must show in every report. */
	check(t->req_start_ns >= last_req_start);
	last_req_start = t->req_start_ns;
	if (t->status) {
		check(t->resp_start_ns >= t->req_start_ns);
		check(t->resp_end_ns >= t->resp_start_ns);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_conn c;
	struct http1_stats stats;
	uint64_t ts = 1;
	size_t pos = 0;

	memset(&stats, 0, sizeof(stats));
	last_req_start = 0;
	http1_conn_init(&c, &stats);
	while (pos + 2 <= size) {
		uint8_t ctl = data[pos], n = data[pos + 1];
		enum http1_side side = ctl & 1;
		size_t len = (size_t)n + 1, cap;
		const uint8_t *buf = data + pos + 2;

		pos += 2;
		if (((ctl >> 1) & 3) == 2) {
			http1_conn_feed(&c, side, NULL, 0, len * 97, ts++, on_txn, NULL);
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		cap = ((ctl >> 1) & 3) == 1 ? len / 2 : len;
		pos += cap;
		if (((ctl >> 1) & 3) == 3)
			len += ctl >> 3;
		http1_conn_feed(&c, side, buf, cap, len, ts++, on_txn, NULL);
		check(c.count <= HTTP1_PIPELINE_MAX);
		check(c.bcount <= HTTP1_BACKLOG_MAX);
		check(!c.bcount ||
		      c.count == HTTP1_PIPELINE_MAX); /* backlog only behind a full pending[] */
	}
	http1_conn_close(&c, size & 1, ts, on_txn, NULL);
	check(c.count == 0 && c.bcount == 0);
	return 0;
}

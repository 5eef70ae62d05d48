// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/http1.c: whole conversations fed piece by piece, as
 * reassembly would hand them over, checking what is reported (and what is
 * not) and which errors are counted.
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/http1.h"

#define MAX_TXNS 128
#define REQ	 HTTP1_SIDE_REQUEST
#define RESP	 HTTP1_SIDE_RESPONSE

struct fixture {
	struct http1_conn conn;
	struct http1_stats stats;
	struct http1_txn txns[MAX_TXNS];
	unsigned int ntxns;
};

static void collect(void *ctx, const struct http1_txn *txn)
{
	struct fixture *fx = ctx;

	assert_true(fx->ntxns < MAX_TXNS);
	fx->txns[fx->ntxns++] = *txn;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	http1_conn_init(&fx->conn, &fx->stats);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* A piece whose bytes were all captured. */
static void feed(struct fixture *fx, enum http1_side side, const char *s, uint64_t ts)
{
	size_t n = strlen(s);

	http1_conn_feed(&fx->conn, side, (const uint8_t *)s, n, n, ts, collect, fx);
}

/* A piece of len bytes of which only the first cap (from s) were captured. */
static void feed_cut(struct fixture *fx, enum http1_side side, const char *s, size_t cap,
		     size_t len, uint64_t ts)
{
	http1_conn_feed(&fx->conn, side, (const uint8_t *)s, cap, len, ts, collect, fx);
}

static void feed_gap(struct fixture *fx, enum http1_side side, size_t len, uint64_t ts)
{
	http1_conn_feed(&fx->conn, side, NULL, 0, len, ts, collect, fx);
}

static void close_conn(struct fixture *fx, bool reset, uint64_t ts)
{
	http1_conn_close(&fx->conn, reset, ts, collect, fx);
}

/* A final response with no body. */
static void feed_status(struct fixture *fx, unsigned int status, uint64_t ts)
{
	char resp[64];

	snprintf(resp, sizeof(resp), "HTTP/1.1 %u OK\r\nContent-Length: 0\r\n\r\n", status);
	feed(fx, RESP, resp, ts);
}

static uint64_t err(struct fixture *fx, enum http1_error e)
{
	return fx->stats.errors[e];
}

static uint64_t total_errors(struct fixture *fx)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < HTTP1_ERR__MAX; i++)
		n += fx->stats.errors[i];
	return n;
}

static void test_get_200(void **state)
{
	struct fixture *fx = *state;
	const char *req = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

	feed(fx, REQ, req, 100);
	assert_int_equal(fx->ntxns, 0);
	feed(fx, RESP, resp, 250);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].method, "GET");
	assert_string_equal(fx->txns[0].path, "/index.html");
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[0].version_minor, 1);
	assert_int_equal(fx->txns[0].req_start_ns, 100);
	assert_int_equal(fx->txns[0].resp_start_ns, 250);
	assert_int_equal(fx->txns[0].resp_end_ns, 250);
	assert_int_equal(fx->txns[0].req_bytes, strlen(req));
	assert_int_equal(fx->txns[0].resp_bytes, strlen(resp));
	assert_int_equal(fx->txns[0].flags, 0);
	assert_string_equal(fx->txns[0].traceparent, "");
	assert_int_equal(total_errors(fx), 0);
	close_conn(fx, false, 300);
	assert_int_equal(fx->ntxns, 1);
}

static void test_keepalive_5(void **state)
{
	struct fixture *fx = *state;
	char req[64];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		snprintf(req, sizeof(req), "GET /r%u HTTP/1.1\r\n\r\n", i);
		feed(fx, REQ, req, 1000 * i);
		feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 1000 * i + 10);
		feed(fx, RESP, "ok", 1000 * i + 20);
	}
	assert_int_equal(fx->ntxns, 5);
	for (i = 0; i < 5; i++) {
		snprintf(req, sizeof(req), "/r%u", i);
		assert_string_equal(fx->txns[i].path, req);
		assert_int_equal(fx->txns[i].resp_start_ns - fx->txns[i].req_start_ns, 10);
		assert_int_equal(fx->txns[i].resp_end_ns, 1000 * i + 20);
	}
	assert_int_equal(total_errors(fx), 0);
}

static void test_split_lines(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GE", 10);
	feed(fx, REQ, "T /a?x=1 HT", 11);
	feed(fx, REQ, "TP/1.1\r\nHost: x\r\n\r\n", 12);
	feed(fx, RESP, "HTTP/1", 20);
	feed(fx, RESP, ".1 40", 21);
	feed(fx, RESP, "4 Not Found\r\nContent-Length: 0\r\n\r\n", 22);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].method, "GET");
	assert_string_equal(fx->txns[0].path, "/a");
	assert_int_equal(fx->txns[0].status, 404);
	assert_int_equal(fx->txns[0].req_start_ns, 10);
	assert_int_equal(fx->txns[0].resp_start_ns, 20);
	assert_int_equal(fx->txns[0].resp_end_ns, 22);
	assert_int_equal(total_errors(fx), 0);
}

static void test_pipelined(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ,
	     "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	     "GET /c HTTP/1.1\r\nHost: h\r\n\r\n",
	     5);
	feed(fx, RESP,
	     "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
	     "HTTP/1.1 404 NF\r\nContent-Length: 1\r\n\r\nB"
	     "HTTP/1.1 500 E\r\nContent-Length: 1\r\n\r\nC",
	     9);
	assert_int_equal(fx->ntxns, 3);
	assert_string_equal(fx->txns[0].path, "/a");
	assert_string_equal(fx->txns[1].path, "/b");
	assert_string_equal(fx->txns[2].path, "/c");
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[1].status, 404);
	assert_int_equal(fx->txns[2].status, 500);
	assert_int_equal(fx->txns[2].req_start_ns, 5);
	assert_int_equal(fx->txns[2].resp_start_ns, 9);
	assert_int_equal(total_errors(fx), 0);
}

static void test_post_chunked_trailers(void **state)
{
	struct fixture *fx = *state;
	const char *resp = "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
			   "5;ext=1\r\nhello\r\n"
			   "A\r\n0123456789\r\n"
			   "0\r\nX-Checksum: abc\r\n\r\n";

	const char *req = "POST /upload HTTP/1.1\r\nContent-Length: 11\r\n\r\n";

	feed(fx, REQ, req, 1);
	feed(fx, REQ, "hello", 1);
	feed(fx, REQ, " world", 2);
	feed(fx, RESP, resp, 3);
	feed(fx, REQ, "GET /next HTTP/1.1\r\n\r\n", 4);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].method, "POST");
	assert_int_equal(fx->txns[0].status, 201);
	assert_int_equal(fx->txns[0].resp_bytes, strlen(resp));
	assert_int_equal(fx->txns[0].req_bytes, strlen(req) + 11);
	assert_string_equal(fx->txns[1].path, "/next");
	assert_int_equal(fx->txns[1].status, 200);
	assert_int_equal(total_errors(fx), 0);
}

static void test_chunked_request(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	     1);
	feed(fx, REQ, "GET /y HTTP/1.1\r\n\r\n", 2);
	feed(fx, RESP,
	     "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
	assert_int_equal(fx->ntxns, 2);
	assert_int_equal(fx->txns[0].status, 204);
	assert_string_equal(fx->txns[1].path, "/y");
	assert_int_equal(total_errors(fx), 0);
}

static void test_head(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "HEAD /big HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 2);
	assert_int_equal(fx->ntxns, 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 3);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].method, "HEAD");
	assert_string_equal(fx->txns[1].path, "/small");
	assert_int_equal(fx->txns[1].resp_start_ns, 3);
	assert_int_equal(total_errors(fx), 0);
}

static void test_100_continue(void **state)
{
	struct fixture *fx = *state;
	const char *final = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	feed(fx, REQ, "POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 10);
	feed(fx, RESP, "HTTP/1.1 100 Continue\r\n\r\n", 11);
	assert_int_equal(fx->ntxns, 0);
	feed(fx, REQ, "data", 12);
	feed(fx, RESP, final, 20);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[0].resp_start_ns, 20);
	assert_int_equal(fx->txns[0].resp_bytes, strlen(final));
	assert_int_equal(total_errors(fx), 0);
}

static void test_101_upgrade(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 1);
	feed(fx, RESP,
	     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 2);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].status, 101);
	assert_false(http1_conn_alive(&fx->conn));
	assert_int_equal(err(fx, HTTP1_ERR_UPGRADED), 1);
	feed(fx, REQ, "\x81\x85garbage", 3);
	close_conn(fx, false, 4);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_REQUEST_LINE), 0);
}

static void test_connect(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 Connection established\r\n\r\n", 2);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "db.internal:5432");
	assert_false(http1_conn_alive(&fx->conn));
}

static void test_204_304(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "DELETE /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 204 No Content\r\n\r\n", 2);
	feed(fx, RESP, "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 3);
	assert_int_equal(fx->ntxns, 2);
	assert_int_equal(fx->txns[0].status, 204);
	assert_int_equal(fx->txns[1].status, 304);
	assert_int_equal(fx->txns[1].resp_end_ns, 3);
}

static void test_read_until_close(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /old HTTP/1.0\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.0 200 OK\r\n\r\nsome", 2);
	feed_cut(fx, RESP, " body", 5, 3000, 3);
	assert_int_equal(fx->ntxns, 0);
	close_conn(fx, false, 9);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].version_minor, 0);
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[0].resp_end_ns, 3);
	assert_int_equal(fx->txns[0].resp_bytes, 19 + 4 + 3000);
	assert_int_equal(fx->txns[0].flags, 0);
	assert_int_equal(total_errors(fx), 0);
}

static void test_garbage_then_request(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "\x16\x03\x01\x02\x00garbage GET / HTTP/1.1\r\n\r\n", 1);
	feed(fx, REQ, "get /lower HTTP/1.1\r\n\r\n", 2);
	feed(fx, REQ, "GET /ok HTTP/1.1\r\n\r\n", 3);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 4);
	close_conn(fx, false, 5);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/ok");
	assert_int_equal(err(fx, HTTP1_ERR_BAD_REQUEST_LINE), 1);
	assert_int_equal(fx->stats.resyncs, 1);
}

static void test_bad_request_lines(void **state)
{
	static const char *const bad[] = {
	    "GET /a HTTP/2.0\r\n\r\n",	   "GET  /a HTTP/1.1\r\n\r\n",
	    "GE /a HTTP/1.1\r\n\r\n",	   "VERYLONGMETHODXX /a HTTP/1.1\r\n\r\n",
	    "GET /a\x01 HTTP/1.1\r\n\r\n", "GET /a HTTP/1.1\rX\n\r\n",
	    "GET /a HTTP/1.1 \r\n\r\n",
	};
	struct fixture *fx = *state;
	unsigned int i;

	/* A fresh connection each: after the first, most would not even resync. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http1_conn_init(&fx->conn, &fx->stats);
		feed(fx, REQ, bad[i], i);
	}
	close_conn(fx, true, 99);
	assert_int_equal(fx->ntxns, 0);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_REQUEST_LINE), sizeof(bad) / sizeof(bad[0]));
}

static void test_bad_status_and_unmatched(void **state)
{
	struct fixture *fx = *state;

	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 1);
	feed(fx, REQ, "GET / HTTP/1.1\r\n\r\n", 2);
	feed(fx, RESP, "HTTP/1.1 99 Odd\r\n\r\n", 3);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_STATUS_LINE), 1);
	feed(fx, RESP, "HTTP/1.1 600 Odd\r\n\r\n", 4);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_STATUS_LINE), 2);
	feed(fx, RESP, "HTTP/1.1 2000 Odd\r\n\r\n", 5);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_STATUS_LINE), 3);
	feed(fx, RESP, "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 6);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].status, 503);
	assert_int_equal(fx->txns[0].resp_start_ns, 6);
}

static void test_gap_in_cl_body(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /f HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n0123", 2);
	feed_gap(fx, RESP, 1000, 3);
	feed(fx, RESP, "x", 4);
	feed_gap(fx, RESP, 1994, 5);
	assert_int_equal(fx->ntxns, 0);
	feed(fx, RESP, "z", 6);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].resp_end_ns, 6);
	assert_int_equal(fx->txns[0].flags, 0);
	feed(fx, REQ, "GET /g HTTP/1.1\r\n\r\n", 7);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 8);
	assert_int_equal(fx->ntxns, 2);
	assert_int_equal(total_errors(fx), 0);
}

static void test_gap_in_chunked_body(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 2);
	/* The gap swallows the next chunk-size line: framing is lost. */
	feed_gap(fx, RESP, 500, 3);
	feed(fx, RESP, "more body that is not a status line", 4);
	assert_int_equal(err(fx, HTTP1_ERR_BODY_GAP), 1);
	assert_int_equal(fx->ntxns, 0);
	feed(fx, RESP, "HTTP/1.1 404 NF\r\nContent-Length: 0\r\n\r\n", 5);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].path, "/a");
	assert_int_equal(fx->txns[0].status, 200);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_RESP_CUT);
	assert_int_equal(fx->txns[0].resp_end_ns, 4);
	assert_string_equal(fx->txns[1].path, "/b");
	assert_int_equal(fx->txns[1].status, 404);
	assert_int_equal(fx->stats.resyncs, 1);
}

static void test_gap_inside_chunk_data(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nab", 2);
	feed_gap(fx, RESP, 0x400 - 2, 3);
	feed(fx, RESP, "\r\n0\r\n\r\n", 4);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].flags, 0);
	assert_int_equal(total_errors(fx), 0);
}

static void test_capture_cut_body(void **state)
{
	struct fixture *fx = *state;
	const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
	char seg[1024];
	size_t hl = strlen(head);

	memset(seg, 'x', sizeof(seg));
	memcpy(seg, head, hl);
	feed(fx, REQ, "GET /big HTTP/1.1\r\n\r\n", 1);
	/* 64000-byte segments of which 1024 were captured. */
	feed_cut(fx, RESP, seg, sizeof(seg), 64000, 2);
	feed_cut(fx, RESP, seg + hl, sizeof(seg) - hl, 100000 + hl - 64000, 3);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].resp_bytes, 100000 + hl);
	assert_int_equal(fx->txns[0].resp_end_ns, 3);
	assert_int_equal(total_errors(fx), 0);
}

static void test_capture_cut_head(void **state)
{
	struct fixture *fx = *state;
	const char *req = "GET /a HTTP/1.1\r\nCookie: aaaaaaaaaaaaaaaaaaaa";
	const char *resp = "HTTP/1.1 302 Found\r\nLocation: /elsewhere";

	feed_cut(fx, REQ, req, strlen(req), 5000, 1);
	feed(fx, REQ, "bbbbbbbbb\r\n\r\n", 2);
	feed(fx, REQ, "GET /b HTTP/1.1\r\n\r\n", 3);
	assert_int_equal(err(fx, HTTP1_ERR_HEAD_CUT), 1);
	feed_cut(fx, RESP, resp, strlen(resp), 3000, 4);
	feed(fx, RESP, "more of that head\r\n\r\n", 5);
	assert_int_equal(err(fx, HTTP1_ERR_HEAD_CUT), 2);
	assert_int_equal(fx->ntxns, 0);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 6);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].path, "/a");
	assert_int_equal(fx->txns[0].status, 302);
	assert_int_equal(fx->txns[0].flags, HTTP1_TXN_F_RESP_CUT);
	assert_int_equal(fx->txns[0].resp_end_ns, 5);
	assert_string_equal(fx->txns[1].path, "/b");
	assert_int_equal(fx->txns[1].status, 200);
	assert_int_equal(fx->txns[1].flags, 0);
}

static void test_cut_request_line(void **state)
{
	struct fixture *fx = *state;
	char seg[1024];

	/* A URL longer than the capture: the request is real, its path partial. */
	memcpy(seg, "GET /", 5);
	memset(seg + 5, 'p', sizeof(seg) - 5);
	feed_cut(fx, REQ, seg, sizeof(seg), 3000, 1);
	feed(fx, RESP, "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n", 2);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].status, 414);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_PATH_CUT);
	assert_int_equal(strlen(fx->txns[0].path), HTTP1_PATH_MAX - 1);
}

static void test_close_pending(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	close_conn(fx, true, 3);
	assert_int_equal(fx->ntxns, 2);
	assert_int_equal(fx->txns[1].status, 0);
	assert_string_equal(fx->txns[1].path, "/b");
	assert_int_equal(fx->txns[1].flags, HTTP1_TXN_F_NO_RESPONSE | HTTP1_TXN_F_RESET);
	assert_int_equal(fx->txns[1].resp_start_ns, 0);
	close_conn(fx, true, 4);
	assert_int_equal(fx->ntxns, 2);
}

static void test_close_mid_response(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
	close_conn(fx, false, 3);
	assert_int_equal(fx->ntxns, 1);
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[0].flags, HTTP1_TXN_F_RESP_CUT);
}

static void test_traceparent(void **state)
{
	struct fixture *fx = *state;
	const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	char req[256];

	snprintf(req, sizeof(req), "GET /a HTTP/1.1\r\nTraceParent:  %s \r\n\r\n", tp);
	feed(fx, REQ, req, 1);
	feed(fx, REQ,
	     "GET /b HTTP/1.1\r\ntraceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-"
	     "00f067aa0ba902b7-01\r\n\r\n",
	     2);
	feed(fx, REQ,
	     "GET /c HTTP/1.1\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
	     "00f067aa0ba902b7-01-extra\r\n\r\n",
	     3);
	snprintf(req, sizeof(req), "GET /d HTTP/1.1\r\ntraceparent: %s\r\ntraceparent: %s\r\n\r\n",
		 tp, tp);
	feed(fx, REQ, req, 4);
	feed(fx, REQ, "GET /e HTTP/1.1\r\ntraceparent: 00-abc\r\n\r\n", 5);
	close_conn(fx, false, 6);
	assert_int_equal(fx->ntxns, 5);
	assert_string_equal(fx->txns[0].traceparent, tp);
	assert_string_equal(fx->txns[1].traceparent, "");
	assert_string_equal(fx->txns[2].traceparent, "");
	assert_string_equal(fx->txns[3].traceparent, "");
	assert_string_equal(fx->txns[4].traceparent, "");
	assert_int_equal(total_errors(fx), 0);
}

static void test_no_secrets(void **state)
{
	struct fixture *fx = *state;
	const char *req = "POST /login?user=bob&token=SECRETQUERY#frag HTTP/1.1\r\n"
			  "Authorization: Bearer SECRETTOKEN\r\n"
			  "Cookie: session=SECRETCOOKIE\r\n"
			  "Content-Length: 12\r\n\r\nSECRETBODY!!";
	const char *resp = "HTTP/1.1 200 OK\r\nSet-Cookie: id=SECRETSET\r\n"
			   "Content-Length: 10\r\n\r\nSECRETRESP";
	static const char *const secrets[] = {
	    "SECRET", "Bearer", "session", "user=", "frag",
	};
	unsigned int i;

	feed(fx, REQ, req, 1);
	feed(fx, RESP, resp, 2);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/login");
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		assert_null(
		    memmem(&fx->txns[0], sizeof(fx->txns[0]), secrets[i], strlen(secrets[i])));
		assert_null(memmem(&fx->conn, sizeof(fx->conn), secrets[i], strlen(secrets[i])));
	}
}

static void test_paths(void **state)
{
	struct fixture *fx = *state;
	char req[512];

	feed(fx, REQ, "GET http://example.com:8080/p/q?x#y HTTP/1.1\r\n\r\n", 1);
	feed(fx, REQ, "GET http://example.com HTTP/1.1\r\n\r\n", 2);
	feed(fx, REQ, "OPTIONS * HTTP/1.1\r\n\r\n", 3);
	feed(fx, REQ, "GET /s#frag HTTP/1.1\r\n\r\n", 4);
	snprintf(req, sizeof(req), "GET /%0300d?q HTTP/1.1\r\n\r\n", 0);
	feed(fx, REQ, req, 5);
	close_conn(fx, false, 6);
	assert_int_equal(fx->ntxns, 5);
	assert_string_equal(fx->txns[0].path, "/p/q");
	assert_string_equal(fx->txns[1].path, "/");
	assert_string_equal(fx->txns[2].path, "*");
	assert_string_equal(fx->txns[2].method, "OPTIONS");
	assert_string_equal(fx->txns[3].path, "/s");
	assert_int_equal(fx->txns[3].flags & HTTP1_TXN_F_PATH_CUT, 0);
	assert_int_equal(strlen(fx->txns[4].path), HTTP1_PATH_MAX - 1);
	assert_true(fx->txns[4].flags & HTTP1_TXN_F_PATH_CUT);
}

/* Path parameters and an encoded query never reach the path. */
static void test_path_scrubbed(void **state)
{
	static const char *const cases[][2] = {
	    {"/a;jsessionid=SECRET1/b;v=SECRET2?q", "/a/b"},
	    {"/cart;jsessionid=SECRET3", "/cart"},
	    {"/x%3Fsecret=SECRET4", "/x"},
	    {"/y%3ftoken=SECRET5&z", "/y"},
	    {"/%%3FSECRET6", "/%"},
	    {"/z%253F", "/z%253F"},
	    {"/p%2F%33/%3", "/p%2F%33/%3"},
	    {"http://u:SECRET7@h/q;s=SECRET8/r", "/q/r"},
	};
	struct fixture *fx = *state;
	char req[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", cases[i][0]);
		feed(fx, REQ, req, i + 1);
		feed_status(fx, 200, i + 1);
		assert_int_equal(fx->ntxns, i + 1);
		assert_string_equal(fx->txns[i].path, cases[i][1]);
		assert_null(memmem(&fx->txns[i], sizeof(fx->txns[i]), "SECRET", 6));
	}
	assert_null(memmem(&fx->conn, sizeof(fx->conn), "SECRET", 6));
	assert_int_equal(total_errors(fx), 0);
}

/* CONNECT user:password@host:port: the userinfo is not kept, even cut short. */
static void test_connect_userinfo(void **state)
{
	const char *req = "CONNECT admin:SECRETPW@host.example:443 HTTP/1.1\r\n"
			  "Host: host.example:443\r\n\r\n";
	struct fixture *fx = *state;
	struct fixture other = {0};

	feed(fx, REQ, req, 1);
	feed(fx, RESP, "HTTP/1.1 200 Connection established\r\n\r\n", 2);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "host.example:443");
	assert_null(memmem(&fx->txns[0], sizeof(fx->txns[0]), "SECRETPW", 8));
	assert_null(memmem(&fx->txns[0], sizeof(fx->txns[0]), "admin", 5));

	/* The capture ends inside the userinfo: no '@' is seen, nothing is kept. */
	http1_conn_init(&other.conn, &other.stats);
	http1_conn_feed(&other.conn, REQ, (const uint8_t *)req, 20, strlen(req), 1, collect,
			&other);
	http1_conn_close(&other.conn, false, 2, collect, &other);
	assert_int_equal(other.ntxns, 1);
	assert_string_equal(other.txns[0].method, "CONNECT");
	assert_string_equal(other.txns[0].path, "");
	assert_true(other.txns[0].flags & HTTP1_TXN_F_PATH_CUT);
	assert_null(memmem(&other.conn, sizeof(other.conn), "admin", 5));
}

static void test_bad_content_length(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde", 1);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_HEADER), 1);
	feed(fx, REQ, "POST /b HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", 2);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_HEADER), 2);
	feed(fx, REQ, "POST /c HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", 3);
	feed(fx, REQ, "GET /d HTTP/1.1\r\n\r\n", 4);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_HEADER), 2);
	close_conn(fx, false, 5);
	/* The request lines were complete: all four requests are real. */
	assert_int_equal(fx->ntxns, 4);
	assert_string_equal(fx->txns[3].path, "/d");
}

static void test_long_header_skipped(void **state)
{
	struct fixture *fx = *state;
	char *big = malloc(70000);
	size_t n;

	assert_non_null(big);
	n = (size_t)snprintf(big, 70000, "GET /a HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'v', 30000);
	strcpy(big + n + 30000, "\r\n\r\n");
	feed(fx, REQ, big, 1);
	assert_int_equal(total_errors(fx), 0);
	/* A head longer than 64 KiB is given up on. */
	n = (size_t)snprintf(big, 70000, "GET /b HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'v', 66000);
	strcpy(big + n + 66000, "\r\n\r\n");
	feed(fx, REQ, big, 2);
	assert_int_equal(err(fx, HTTP1_ERR_BAD_HEADER), 1);
	free(big);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/a");
}

/* 100 requests in one segment, then their 100 responses: every one is counted. */
static void test_pipeline_100(void **state)
{
	const unsigned int kept = HTTP1_PIPELINE_MAX + HTTP1_BACKLOG_MAX;
	struct fixture *fx = *state;
	char *reqs = malloc(100 * 64), *p = reqs;
	unsigned int i;

	assert_non_null(reqs);
	for (i = 0; i < 100; i++)
		p += sprintf(p, "GET /%u HTTP/1.1\r\nHost: h\r\n\r\n", i);
	feed(fx, REQ, reqs, 1);
	free(reqs);
	for (i = 0; i < 100; i++)
		feed_status(fx, 200 + i, 10 + i);
	assert_int_equal(fx->ntxns, 100);
	for (i = 0; i < 100; i++) {
		struct http1_txn *t = &fx->txns[i];

		assert_int_equal(t->status, 200 + i);
		assert_int_equal(t->resp_start_ns, 10 + i);
		assert_int_equal(t->resp_bytes,
				 strlen("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
		assert_int_equal(!!(t->flags & HTTP1_TXN_F_PATH_DROPPED), i >= HTTP1_PIPELINE_MAX);
		assert_int_equal(!!(t->flags & HTTP1_TXN_F_START_EST), i >= kept);
		/* One segment: even the requests past both queues have their exact start. */
		assert_int_equal(t->req_start_ns, 1);
		if (i < kept) {
			/* Method and size are kept through the backlog. */
			assert_string_equal(t->method, "GET");
			assert_int_equal(t->req_bytes, (i < 10 ? 28 : 29));
		}
		if (i < HTTP1_PIPELINE_MAX) {
			char want[8];

			snprintf(want, sizeof(want), "/%u", i);
			assert_string_equal(t->path, want);
		} else {
			assert_string_equal(t->path, "");
		}
	}
	assert_int_equal(err(fx, HTTP1_ERR_PIPELINE_OVERFLOW), 100 - kept);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 0);
	close_conn(fx, false, 300);
	assert_int_equal(fx->ntxns, 100);
}

/*
 * The same burst where the kernel captured only its first 1024 bytes: the
 * requests in the rest are unseen, but their responses still count them.
 */
static void test_pipeline_100_capture_cut(void **state)
{
	struct fixture *fx = *state;
	char *reqs = malloc(100 * 64), *p = reqs;
	unsigned int i, whole = 1024 / 29; /* 29-byte requests wholly captured */

	assert_non_null(reqs);
	for (i = 0; i < 100; i++)
		p += sprintf(p, "GET /%02u HTTP/1.1\r\nHost: h\r\n\r\n", i);
	feed_cut(fx, REQ, reqs, 1024, (size_t)(p - reqs), 1);
	free(reqs);
	for (i = 0; i < 100; i++)
		feed_status(fx, 200 + i, 10 + i);
	assert_int_equal(fx->ntxns, 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(fx->txns[i].status, 200 + i);
		/* The next one is cut inside its request line: seen, so still timed. */
		assert_int_equal(!!(fx->txns[i].flags & HTTP1_TXN_F_START_EST), i > whole);
		/* The unseen ones started with the segment that hid them. */
		assert_int_equal(fx->txns[i].req_start_ns, 1);
	}
	assert_int_equal(err(fx, HTTP1_ERR_HEAD_CUT), 1);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 0);
}

static void test_pipeline_overflow(void **state)
{
	const unsigned int kept = HTTP1_PIPELINE_MAX + HTTP1_BACKLOG_MAX;
	struct fixture *fx = *state;
	char req[64];
	unsigned int i;

	/* Two requests past both queues: counted when their responses come. */
	for (i = 0; i < kept + 2; i++) {
		snprintf(req, sizeof(req), "%s /%u HTTP/1.1\r\n\r\n", i % 2 ? "PUT" : "DELETE", i);
		feed(fx, REQ, req, 1);
	}
	assert_int_equal(err(fx, HTTP1_ERR_PIPELINE_OVERFLOW), 2);
	for (i = 0; i < kept + 1; i++)
		feed_status(fx, 200 + i % 90, 2);
	/* This one fits again; the last overflow's response must not land on it. */
	feed(fx, REQ, "GET /late HTTP/1.1\r\n\r\n", 3);
	feed_status(fx, 404, 4);
	feed_status(fx, 299, 5);
	assert_int_equal(fx->ntxns, kept + 3);
	for (i = 0; i < kept + 2; i++) {
		assert_int_equal(fx->txns[i].status, i == kept + 1 ? 404 : 200 + i % 90);
		if (i < kept)
			assert_string_equal(fx->txns[i].method, i % 2 ? "PUT" : "DELETE");
	}
	assert_true(fx->txns[kept].flags & HTTP1_TXN_F_START_EST);
	assert_true(fx->txns[kept + 1].flags & HTTP1_TXN_F_START_EST);
	assert_int_equal(fx->txns[kept].req_start_ns, 1);
	assert_int_equal(fx->txns[kept + 1].req_start_ns, 1);
	assert_string_equal(fx->txns[kept + 2].path, "/late");
	assert_int_equal(fx->txns[kept + 2].status, 299);
	assert_int_equal(fx->txns[kept + 2].flags, 0);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 0);
}

/* A backlog request still sending its body when it moves up keeps its size right. */
static void test_backlog_promoted_mid_body(void **state)
{
	struct fixture *fx = *state;
	unsigned int i;

	for (i = 0; i < HTTP1_PIPELINE_MAX; i++)
		feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\n", 1);
	feed(fx, REQ, "POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", 2);
	feed_status(fx, 200, 3); /* /b moves into pending[] */
	feed(fx, REQ, "cd", 4);
	for (i = 0; i < HTTP1_PIPELINE_MAX; i++)
		feed_status(fx, 201, 5);
	assert_int_equal(fx->ntxns, HTTP1_PIPELINE_MAX + 1);
	assert_string_equal(fx->txns[HTTP1_PIPELINE_MAX].method, "POST");
	assert_int_equal(fx->txns[HTTP1_PIPELINE_MAX].req_bytes,
			 strlen("POST /b HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd"));
	assert_int_equal(fx->txns[HTTP1_PIPELINE_MAX].req_start_ns, 2);
	assert_int_equal(total_errors(fx), 0);
}

static void test_resync_pairs_newest(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n", 1);
	/* Responses to /a and /b, and the start of /c's, are lost. */
	feed_gap(fx, RESP, 800, 2);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 3);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/c");
	assert_int_equal(err(fx, HTTP1_ERR_HEAD_CUT), 1);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 2);
}

static void test_response_before_request(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "GET /late HTTP/1.1\r\n\r\n", 50);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 40);
	assert_int_equal(fx->ntxns, 0);
	assert_int_equal(err(fx, HTTP1_ERR_UNMATCHED_RESPONSE), 1);
}

static void test_bare_lf_and_leading_crlf(void **state)
{
	struct fixture *fx = *state;

	feed(fx, REQ, "\r\nGET /lf HTTP/1.1\nHost: x\n\n", 1);
	feed(fx, RESP, "HTTP/1.1 200\nContent-Length: 2\n\nok", 2);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/lf");
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(total_errors(fx), 0);
}

static void test_null_stats(void **state)
{
	struct fixture *fx = *state;

	http1_conn_init(&fx->conn, NULL);
	feed(fx, REQ, "garbage\r\n", 1);
	feed(fx, RESP, "garbage\r\n", 1);
	feed_gap(fx, RESP, 10, 2);
	close_conn(fx, false, 3);
	assert_int_equal(fx->ntxns, 0);
	assert_string_equal(http1_error_name(HTTP1_ERR_BODY_GAP), "body_gap");
	assert_string_equal(http1_error_name(HTTP1_ERR__MAX), "unknown");
}

/*
 * Datapath v2: a target the kernel copied keeps exactly the path the byte
 * parser keeps from the same request, for every rule (query, fragment,
 * ;params, %3F, absolute form, the length cut) and for targets it rejects.
 */
static void test_target_path_matches_parser(void **state)
{
	static const char *const targets[] = {
	    "/",
	    "/a/b/c",
	    "/a?q=secret&token=x",
	    "/a#frag",
	    "/login;jsessionid=S3cret/next",
	    "/x;p=1?y=2",
	    "/enc%3Fq=secret",
	    "/enc%3fq=secret",
	    "/pct%41ok/%3",
	    "/p%3",
	    "http://host:8080/abs/path?q=1",
	    "http://host",
	    "https://host?q",
	    "*",
	    "/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345678901234567890123456789",
	    "/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "01234567890123456789012345678901234567890123456789012345?q",
	    "/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234%3Fq",
	    "ftp:/one-slash",
	    "1bad",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct fixture *fx = calloc(1, sizeof(*fx));
		struct http1_txn t = {0};
		char req[512];
		int rc;

		assert_non_null(fx);
		http1_conn_init(&fx->conn, &fx->stats);
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", targets[i]);
		feed(fx, REQ, req, 1);
		feed_status(fx, 200, 2);
		rc = http1_target_path(targets[i], strlen(targets[i]), &t);
		/* A rejected request leaves its response answering nobody (no method). */
		if (fx->ntxns == 1 && fx->txns[0].method[0]) {
			if (rc)
				fail_msg("target %s: kept by the parser as '%s', refused here",
					 targets[i], fx->txns[0].path);
			assert_string_equal(t.path, fx->txns[0].path);
			assert_int_equal(t.flags & HTTP1_TXN_F_PATH_CUT,
					 fx->txns[0].flags & HTTP1_TXN_F_PATH_CUT);
		} else {
			assert_int_equal(rc, -1); /* the parser rejected the request line */
			assert_string_equal(t.path, "");
		}
		free(fx);
	}
}

static void test_traceparent_check(void **state)
{
	(void)state;
	assert_true(
	    http1_traceparent_ok("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55));
	assert_false(
	    http1_traceparent_ok("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", 55));
	assert_false(
	    http1_traceparent_ok("00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01", 55));
	assert_false(
	    http1_traceparent_ok("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0", 54));
}

/* A request the kernel parsed, handed over before its response: the next response answers it. */
static void test_inject_oldest(void **state)
{
	struct fixture *fx = *state;
	struct http1_txn t = {0};

	feed(fx, REQ, "GET /second HTTP/1.1\r\n\r\n", 20);
	strcpy(t.method, "GET");
	strcpy(t.path, "/first");
	t.req_start_ns = 10;
	t.req_bytes = 30;
	assert_int_equal(http1_conn_inject(&fx->conn, &t), 0);
	feed(fx, RESP, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 30);
	feed_status(fx, 404, 40);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].path, "/first");
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[0].req_start_ns, 10);
	assert_string_equal(fx->txns[1].path, "/second");
	assert_int_equal(fx->txns[1].status, 404);
	assert_int_equal(total_errors(fx), 0);
}

static void test_inject_full(void **state)
{
	struct fixture *fx = *state;
	struct http1_txn t = {0};
	int i;

	for (i = 0; i < HTTP1_PIPELINE_MAX - 1; i++)
		feed(fx, REQ, "GET / HTTP/1.1\r\n\r\n", 1);
	assert_int_equal(http1_conn_inject(&fx->conn, &t), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_get_200),
	    T(test_keepalive_5),
	    T(test_split_lines),
	    T(test_pipelined),
	    T(test_post_chunked_trailers),
	    T(test_chunked_request),
	    T(test_head),
	    T(test_100_continue),
	    T(test_101_upgrade),
	    T(test_connect),
	    T(test_204_304),
	    T(test_read_until_close),
	    T(test_garbage_then_request),
	    T(test_bad_request_lines),
	    T(test_bad_status_and_unmatched),
	    T(test_gap_in_cl_body),
	    T(test_gap_in_chunked_body),
	    T(test_gap_inside_chunk_data),
	    T(test_capture_cut_body),
	    T(test_capture_cut_head),
	    T(test_cut_request_line),
	    T(test_close_pending),
	    T(test_close_mid_response),
	    T(test_traceparent),
	    T(test_no_secrets),
	    T(test_paths),
	    T(test_bad_content_length),
	    T(test_long_header_skipped),
	    T(test_pipeline_100),
	    T(test_pipeline_100_capture_cut),
	    T(test_pipeline_overflow),
	    T(test_backlog_promoted_mid_body),
	    T(test_path_scrubbed),
	    T(test_connect_userinfo),
	    T(test_resync_pairs_newest),
	    T(test_response_before_request),
	    T(test_bare_lf_and_leading_crlf),
	    T(test_null_stats),
	    T(test_target_path_matches_parser),
	    T(test_traceparent_check),
	    T(test_inject_oldest),
	    T(test_inject_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/h2.c: HTTP/2 conversations built frame by frame, fed as
 * reassembly hands them over (whole, byte by byte, with capture cuts and
 * gaps), checking the streams reported and the errors counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/h2.h"

#define MAX_TXNS 300
#define REQ	 HTTP1_SIDE_REQUEST
#define RESP	 HTTP1_SIDE_RESPONSE

struct fixture {
	struct h2_conn conn;
	struct h2_stats stats;
	struct http1_txn txns[MAX_TXNS];
	char msgs[MAX_TXNS][HTTP1_GRPC_MESSAGE_MAX];
	unsigned int ntxns;
};

/* A byte string being built: frames, header blocks. */
struct buf {
	uint8_t b[1 << 16];
	size_t n;
};

static void collect(void *ctx, const struct http1_txn *txn, const char *msg)
{
	struct fixture *fx = ctx;

	assert_true(fx->ntxns < MAX_TXNS);
	if (msg)
		snprintf(fx->msgs[fx->ntxns], sizeof(fx->msgs[0]), "%s", msg);
	fx->txns[fx->ntxns++] = *txn;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	h2_conn_init(&fx->conn, &fx->stats);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	h2_conn_free(&fx->conn);
	free(fx);
	return 0;
}

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_byte(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

/* HPACK literal without indexing, new name, raw strings (names < 127 bytes). */
static void lit(struct buf *blk, const char *name, const char *value)
{
	size_t vl = strlen(value);

	put_byte(blk, 0x00);
	put_byte(blk, (uint8_t)strlen(name));
	put(blk, name, strlen(name));
	if (vl < 127) {
		put_byte(blk, (uint8_t)vl);
	} else { /* 7-bit prefix integer */
		put_byte(blk, 0x7f);
		vl -= 127;
		while (vl >= 128) {
			put_byte(blk, (uint8_t)(vl % 128 + 128));
			vl /= 128;
		}
		put_byte(blk, (uint8_t)vl);
		vl = strlen(value);
	}
	put(blk, value, vl);
}

/* HPACK literal with incremental indexing, new name. */
static void lit_indexed(struct buf *blk, const char *name, const char *value)
{
	size_t at = blk->n;

	lit(blk, name, value);
	blk->b[at] = 0x40;
}

static void frame(struct buf *out, uint8_t type, uint8_t flags, uint32_t id, const void *p,
		  size_t n)
{
	uint8_t h[9] = {
	    (uint8_t)(n >> 16),	 (uint8_t)(n >> 8),   (uint8_t)n,	  type,	      flags,
	    (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};

	put(out, h, sizeof(h));
	if (n)
		put(out, p, n);
}

static void headers(struct buf *out, uint32_t id, bool end_stream, const struct buf *blk)
{
	frame(out, 1, 0x04 | (end_stream ? 0x01 : 0), id, blk->b, blk->n);
}

static void data(struct buf *out, uint32_t id, bool end_stream, size_t n)
{
	static const uint8_t zeros[16384];

	frame(out, 0, end_stream ? 0x01 : 0, id, zeros, n);
}

static void rst(struct buf *out, uint32_t id, uint32_t code)
{
	uint8_t p[4] = {(uint8_t)(code >> 24), (uint8_t)(code >> 16), (uint8_t)(code >> 8),
			(uint8_t)code};

	frame(out, 3, 0, id, p, 4);
}

static void preface(struct buf *out)
{
	put(out, H2_PREFACE, H2_PREFACE_LEN);
	frame(out, 4, 0, 0, NULL, 0); /* empty SETTINGS */
}

static void request_block(struct buf *blk, const char *method, const char *path, bool grpc)
{
	blk->n = 0;
	lit(blk, ":method", method);
	put_byte(blk, 0x86); /* :scheme http */
	lit(blk, ":path", path);
	lit(blk, ":authority", "svc:8080");
	if (grpc)
		lit(blk, "content-type", "application/grpc");
}

static void status_block(struct buf *blk, const char *status)
{
	blk->n = 0;
	lit(blk, ":status", status);
}

static void feed(struct fixture *fx, enum http1_side side, const struct buf *b, uint64_t ts)
{
	h2_conn_feed(&fx->conn, side, b->b, b->n, b->n, ts, collect, fx);
}

static void feed_bytewise(struct fixture *fx, enum http1_side side, const struct buf *b,
			  uint64_t ts)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		h2_conn_feed(&fx->conn, side, b->b + i, 1, 1, ts, collect, fx);
}

/* Prior knowledge: two streams, one 200 with a body, one 404 headers-only. */
static void run_two_streams(struct fixture *fx, bool bytewise)
{
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};

	preface(c);
	request_block(&blk, "GET", "/a?secret=1", false);
	headers(c, 1, true, &blk);
	request_block(&blk, "POST", "/b", false);
	headers(c, 3, false, &blk);
	data(c, 3, true, 100);
	(bytewise ? feed_bytewise : feed)(fx, REQ, c, 1000);

	s->n = 0;
	frame(s, 4, 0, 0, NULL, 0);
	status_block(&blk, "200");
	headers(s, 1, false, &blk);
	data(s, 1, true, 500);
	status_block(&blk, "404");
	headers(s, 3, true, &blk);
	(bytewise ? feed_bytewise : feed)(fx, RESP, s, 3000);
	free(c);
	free(s);
}

static void test_two_streams(void **state)
{
	struct fixture *fx = *state;

	run_two_streams(fx, false);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].method, "GET");
	assert_string_equal(fx->txns[0].path, "/a"); /* the query never leaves the parser */
	assert_int_equal(fx->txns[0].status, 200);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_H2);
	assert_false(fx->txns[0].flags & HTTP1_TXN_F_GRPC);
	assert_int_equal(fx->txns[0].req_start_ns, 1000);
	assert_int_equal(fx->txns[0].resp_start_ns, 3000);
	assert_int_equal(fx->txns[0].resp_end_ns, 3000);
	assert_true(fx->txns[0].resp_bytes >= 500);
	assert_string_equal(fx->txns[1].method, "POST");
	assert_int_equal(fx->txns[1].status, 404);
	assert_true(fx->txns[1].req_bytes >= 100);
	assert_int_equal(fx->stats.streams, 2);
	assert_int_equal(fx->stats.unnamed, 0);
}

static void test_two_streams_bytewise(void **state)
{
	struct fixture *fx = *state;

	run_two_streams(fx, true);
	assert_int_equal(fx->ntxns, 2);
	assert_string_equal(fx->txns[0].path, "/a");
	assert_int_equal(fx->txns[1].status, 404);
	assert_int_equal(fx->stats.errors[H2_ERR_FRAMING_LOST], 0);
}

/* gRPC: headers, a message, trailers; then a trailers-only error. */
static void test_grpc(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};

	preface(c);
	request_block(&blk, "POST", "/pkg.Greeter/SayHello", true);
	headers(c, 1, false, &blk);
	data(c, 1, true, 12);
	request_block(&blk, "POST", "/pkg.Greeter/Fail", true);
	headers(c, 3, false, &blk);
	data(c, 3, true, 12);
	feed(fx, REQ, c, 10);

	blk.n = 0;
	put_byte(&blk, 0x88); /* :status 200 */
	lit(&blk, "content-type", "application/grpc");
	headers(s, 1, false, &blk);
	data(s, 1, false, 20);
	blk.n = 0;
	lit(&blk, "grpc-status", "0");
	headers(s, 1, true, &blk);
	/* trailers-only */
	blk.n = 0;
	put_byte(&blk, 0x88);
	lit(&blk, "content-type", "application/grpc");
	lit(&blk, "grpc-status", "5");
	lit(&blk, "grpc-message", "no%20such%20user");
	headers(s, 3, true, &blk);
	feed(fx, RESP, s, 20);

	assert_int_equal(fx->ntxns, 2);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_GRPC);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_GRPC_STATUS);
	assert_int_equal(fx->txns[0].grpc_status, 0);
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[1].grpc_status, 5);
	assert_string_equal(fx->msgs[1], "no%20such%20user");
	assert_string_equal(fx->txns[1].path, "/pkg.Greeter/Fail");
	free(c);
	free(s);
}

static void test_rst_and_goaway(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};
	uint8_t ga[8] = {0, 0, 0, 3, 0, 0, 0, 0};

	preface(c);
	request_block(&blk, "GET", "/x", false);
	headers(c, 1, true, &blk);
	headers(c, 3, true, &blk);
	headers(c, 5, true, &blk);
	feed(fx, REQ, c, 10);
	rst(s, 1, 8);			   /* CANCEL */
	frame(s, 7, 0, 0, ga, sizeof(ga)); /* last stream 3: 5 refused */
	feed(fx, RESP, s, 20);
	assert_int_equal(fx->ntxns, 2);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_STREAM_RESET);
	assert_int_equal(fx->txns[0].status, 0);
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_REFUSED);
	h2_conn_close(&fx->conn, false, 30, collect, fx);
	assert_int_equal(fx->ntxns, 3);
	assert_true(fx->txns[2].flags & HTTP1_TXN_F_NO_RESPONSE);
	free(c);
	free(s);
}

/*
 * A connection opened before the agent: no preface, the tables of both
 * directions unknown. Streams are counted, unnamed, and the loss is counted;
 * nothing is named from a guess.
 */
static void test_midstream(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};

	h2_conn_free(&fx->conn);
	h2_conn_init_midstream(&fx->conn, &fx->stats);
	assert_true(h2_is_frame_start((const uint8_t *)"\x00\x00\x03\x01\x05\x00\x00\x00\x07", 9));
	assert_false(h2_is_frame_start((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	request_block(&blk, "GET", "/later", false);
	headers(c, 7, true, &blk);
	headers(c, 9, true, &blk);
	feed(fx, REQ, c, 10);
	status_block(&blk, "200");
	headers(s, 7, true, &blk);
	headers(s, 9, true, &blk);
	feed(fx, RESP, s, 20);
	assert_int_equal(fx->ntxns, 2);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_UNNAMED);
	assert_string_equal(fx->txns[0].path, "");
	assert_int_equal(fx->stats.unnamed, 2);
	assert_int_equal(fx->stats.errors[H2_ERR_RESYNC], 2);
	assert_int_equal(fx->stats.errors[H2_ERR_HPACK_LOST], 2);
	assert_int_equal(fx->stats.errors[H2_ERR_BAD_PREFACE], 0);
	free(c);
	free(s);
}

/* A block over HEADERS + CONTINUATION, with padding and priority on the HEADERS. */
static void test_continuation(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *p = calloc(1, sizeof(*p)), blk = {0};
	char big[3000];
	size_t half;

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	preface(c);
	request_block(&blk, "GET", "/continued", false);
	lit(&blk, "x-large", big);
	half = blk.n / 2;
	/* HEADERS: PADDED | PRIORITY, no END_HEADERS */
	put_byte(p, 4); /* pad length */
	put(p, "\x00\x00\x00\x00\x10", 5);
	put(p, blk.b, half);
	put(p, "\0\0\0\0", 4);
	frame(c, 1, 0x01 | 0x08 | 0x20, 1, p->b, p->n);
	frame(c, 9, 0, 1, blk.b + half, 10);
	frame(c, 9, 0x04, 1, blk.b + half + 10, blk.n - half - 10);
	feed(fx, REQ, c, 10);
	c->n = 0;
	status_block(&blk, "204");
	headers(c, 1, true, &blk);
	feed(fx, RESP, c, 20);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/continued");
	assert_int_equal(fx->txns[0].status, 204);
	free(c);
	free(p);
}

/* A capture cut inside DATA payload is skipped exactly; the next frames still parse. */
static void test_capture_cut_in_data(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};

	preface(c);
	request_block(&blk, "GET", "/big", false);
	headers(c, 1, true, &blk);
	headers(c, 3, true, &blk);
	feed(fx, REQ, c, 10);
	status_block(&blk, "200");
	headers(s, 1, false, &blk);
	data(s, 1, true, 16000);
	/* captured: headers + the DATA frame header + 100 bytes; the rest exists */
	h2_conn_feed(&fx->conn, RESP, s->b, s->n - 15900, s->n, 20, collect, fx);
	s->n = 0;
	status_block(&blk, "201");
	headers(s, 3, true, &blk);
	feed(fx, RESP, s, 30);
	assert_int_equal(fx->ntxns, 2);
	assert_int_equal(fx->txns[0].status, 200);
	assert_int_equal(fx->txns[1].status, 201);
	assert_int_equal(fx->stats.errors[H2_ERR_FRAMING_LOST], 0);
	free(c);
	free(s);
}

/* A header block cut: HPACK lost, later streams still counted, never named. */
static void test_header_block_lost(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), blk = {0};
	size_t at;

	preface(c);
	request_block(&blk, "GET", "/one", false);
	lit_indexed(&blk, "x-id", "abc");
	at = c->n;
	headers(c, 1, true, &blk);
	/* cut 5 bytes into the block */
	h2_conn_feed(&fx->conn, REQ, c->b, at + 9 + 5, c->n, 10, collect, fx);
	c->n = 0;
	request_block(&blk, "GET", "/two", false);
	headers(c, 3, true, &blk);
	feed(fx, REQ, c, 20);
	assert_int_equal(fx->stats.errors[H2_ERR_HPACK_LOST], 1);
	c->n = 0;
	put_byte(&blk, 0);
	blk.n = 0;
	put_byte(&blk, 0x88);
	headers(c, 1, true, &blk);
	headers(c, 3, true, &blk);
	feed(fx, RESP, c, 30);
	assert_int_equal(fx->ntxns, 2);
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_UNNAMED);
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_UNNAMED);
	assert_string_equal(fx->txns[1].path, "");
	assert_int_equal(fx->txns[1].status, 200);
	assert_int_equal(fx->stats.unnamed, 2);
	free(c);
}

/* A gap over a frame header: framing lost, found again at a later piece's start. */
static void test_framing_lost_and_resync(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};

	preface(c);
	request_block(&blk, "GET", "/r", false);
	headers(c, 1, true, &blk);
	headers(c, 3, true, &blk);
	feed(fx, REQ, c, 10);
	/* server: two DATA frames in one segment, captured up to the first's payload */
	status_block(&blk, "200");
	headers(s, 1, false, &blk);
	data(s, 1, false, 1000);
	data(s, 1, true, 1000);
	h2_conn_feed(&fx->conn, RESP, s->b, s->n - 1500, s->n, 20, collect, fx);
	assert_int_equal(fx->stats.errors[H2_ERR_FRAMING_LOST], 1);
	s->n = 0;
	put_byte(&blk, 0);
	blk.n = 0;
	put_byte(&blk, 0x88);
	headers(s, 3, true, &blk);
	feed(fx, RESP, s, 30);
	assert_int_equal(fx->stats.errors[H2_ERR_RESYNC], 1);
	assert_int_equal(fx->ntxns, 1); /* stream 3 */
	assert_int_equal(fx->txns[0].status, 200);
	h2_conn_close(&fx->conn, false, 40, collect, fx);
	assert_int_equal(fx->ntxns, 2); /* stream 1 ended inside the loss: cut at close */
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_RESP_CUT);
	free(c);
	free(s);
}

/* The client's frames lost past the capture: its streams still count, from their responses. */
static void test_request_lost_counted_from_response(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};
	char big[20000];

	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	preface(c);
	feed(fx, REQ, c, 10);
	c->n = 0;
	request_block(&blk, "POST", "/demo.Echo/Ok", true);
	lit(&blk, "x-big", big);
	frame(c, 1, 0, 1, blk.b, 16384);		    /* HEADERS */
	frame(c, 9, 0x04, 1, blk.b + 16384, blk.n - 16384); /* CONTINUATION */
	data(c, 1, true, 10);
	request_block(&blk, "POST", "/demo.Echo/Ok", true);
	headers(c, 3, false, &blk); /* a second call, wholly inside the lost bytes */
	data(c, 3, true, 10);
	/* 4096 bytes captured of the segment: the rest (and the next frame headers) lost */
	h2_conn_feed(&fx->conn, REQ, c->b, 4096, c->n, 20, collect, fx);
	assert_int_equal(fx->stats.errors[H2_ERR_FRAMING_LOST], 1);
	blk.n = 0;
	put_byte(&blk, 0x88);
	lit(&blk, "content-type", "application/grpc");
	lit(&blk, "grpc-status", "0");
	headers(s, 1, true, &blk);
	headers(s, 3, true, &blk);
	feed(fx, RESP, s, 30);
	assert_int_equal(fx->ntxns, 2);
	/* Stream 1's HEADERS frame started in the capture: its start is known. */
	assert_true(fx->txns[0].flags & HTTP1_TXN_F_UNNAMED);
	assert_false(fx->txns[0].flags & HTTP1_TXN_F_START_EST);
	assert_int_equal(fx->txns[0].req_start_ns, 20);
	/* Stream 3 was all lost: counted from its response, start estimated. */
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_UNNAMED);
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_START_EST);
	assert_int_equal(fx->txns[1].grpc_status, 0);
	assert_true(fx->txns[1].flags & HTTP1_TXN_F_GRPC);
	assert_string_equal(fx->txns[1].path, "");
	/* Both are done: stray frames for them are not new streams. */
	feed(fx, RESP, s, 40);
	assert_int_equal(fx->ntxns, 2);
	free(c);
	free(s);
}

/* 150 concurrent streams with indexed paths churning a small table. */
static void test_many_streams_dynamic_table(void **state)
{
	struct fixture *fx = *state;
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};
	uint32_t i;
	char path[32];

	preface(c);
	blk.n = 0;
	put_byte(&blk, 0x3f); /* table size update to 128: evictions from the start */
	put_byte(&blk, 0x61);
	for (i = 0; i < 150; i++) {
		snprintf(path, sizeof(path), "/item/%u", i);
		if (i)
			blk.n = 0;
		lit(&blk, ":method", "GET");
		lit_indexed(&blk, ":path", path);
		headers(c, 2 * i + 1, true, &blk);
	}
	feed(fx, REQ, c, 10);
	assert_true(fx->conn.dir[REQ].hpack.evictions > 100);
	for (i = 0; i < 150; i++) {
		blk.n = 0;
		put_byte(&blk, 0x88);
		headers(s, 2 * i + 1, true, &blk);
	}
	feed(fx, RESP, s, 20);
	assert_int_equal(fx->ntxns, 150);
	for (i = 0; i < 150; i++) {
		snprintf(path, sizeof(path), "/item/%u", 2 * 0 + i);
		assert_string_equal(fx->txns[i].path, path);
	}
	assert_int_equal(fx->stats.unnamed, 0);
	free(c);
	free(s);
}

static void test_upgrade(void **state)
{
	struct fixture *fx = *state;
	struct http1_txn up = {.method = "GET", .path = "/up", .req_start_ns = 5, .req_bytes = 90};
	struct buf *c = calloc(1, sizeof(*c)), *s = calloc(1, sizeof(*s)), blk = {0};
	const char *req = "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";

	assert_true(h2_upgrade_requested((const uint8_t *)req, strlen(req)));
	assert_false(
	    h2_upgrade_requested((const uint8_t *)"GET / HTTP/1.1\r\nUpgrade: websocket\r\n", 36));
	h2_conn_upgraded(&fx->conn, &up);
	preface(c);
	feed(fx, REQ, c, 10);
	frame(s, 4, 0, 0, NULL, 0);
	status_block(&blk, "200");
	headers(s, 1, true, &blk);
	feed(fx, RESP, s, 20);
	assert_int_equal(fx->ntxns, 1);
	assert_string_equal(fx->txns[0].path, "/up");
	assert_int_equal(fx->txns[0].req_start_ns, 5);
	assert_int_equal(fx->txns[0].status, 200);
	free(c);
	free(s);
}

static void test_bad_preface_and_helpers(void **state)
{
	struct fixture *fx = *state;
	const char *svc, *m;
	size_t sl, ml;
	struct buf b = {0};

	put(&b, "GET / HTTP/1.1\r\n\r\n", 18);
	feed(fx, REQ, &b, 1);
	assert_int_equal(fx->stats.errors[H2_ERR_BAD_PREFACE], 1);
	assert_true(h2_grpc_split("/pkg.Svc/Do", &svc, &sl, &m, &ml));
	assert_int_equal(sl, 7);
	assert_memory_equal(svc, "pkg.Svc", 7);
	assert_string_equal(m, "Do");
	assert_false(h2_grpc_split("/nope", &svc, &sl, &m, &ml));
	assert_false(h2_grpc_split("/a/b/c", &svc, &sl, &m, &ml));
	assert_true(h2_is_preface((const uint8_t *)H2_PREFACE, H2_PREFACE_LEN));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_two_streams),
	    T(test_two_streams_bytewise),
	    T(test_grpc),
	    T(test_rst_and_goaway),
	    T(test_midstream),
	    T(test_continuation),
	    T(test_capture_cut_in_data),
	    T(test_header_block_lost),
	    T(test_framing_lost_and_resync),
	    T(test_request_lost_counted_from_response),
	    T(test_many_streams_dynamic_table),
	    T(test_upgrade),
	    T(test_bad_preface_and_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

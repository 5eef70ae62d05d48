// SPDX-License-Identifier: BSD-2-Clause
/*
 * Flow table: raw ring-buffer records in, edges out. These tests replay the
 * event sequences the kernel produces for a client and a server on one node
 * and check what a user would read on /api/v1/edges: one request per edge,
 * both reporters, right status, latency and byte counts. The mesh tunnel
 * tests replay an Istio ambient path (ztunnel on both nodes) and check that
 * the proxy's sockets stay out of the edges while the app's edge is marked
 * mutual_tls, whichever order the sockets open in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows_fixture.h"

/* Client 10.0.0.1:40000 -> server 10.0.0.2:8080; role picks the local end. */
static void send_open(struct env *e, uint64_t cookie, uint8_t role, uint32_t snd, uint32_t rcv,
		      uint64_t ts)
{
	struct ms_conn_open_event ev = {.hdr = {MS_EV_CONN_OPEN, 0, cookie, ts}};
	const char *client = "10.0.0.1", *server = "10.0.0.2";

	to_addr(role == MS_ROLE_CLIENT ? client : server, ev.tuple.local_addr);
	to_addr(role == MS_ROLE_CLIENT ? server : client, ev.tuple.remote_addr);
	ev.tuple.local_port = role == MS_ROLE_CLIENT ? 40000 : 8080;
	ev.tuple.remote_port = role == MS_ROLE_CLIENT ? 8080 : 40000;
	ev.tuple.family = AF_INET;
	ev.role = role;
	ev.seq_known = 1;
	ev.snd_nxt = snd;
	ev.rcv_nxt = rcv;
	strcpy(ev.comm, role == MS_ROLE_CLIENT ? "curl" : "httpd");
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

static void send_data(struct env *e, uint64_t cookie, uint8_t dir, uint8_t role, uint32_t seq,
		      const char *bytes, uint64_t ts)
{
	size_t n = strlen(bytes);
	struct ms_data_event *ev = calloc(1, sizeof(*ev) + n);

	ev->hdr = (struct ms_event_hdr){MS_EV_DATA, 0, cookie, ts};
	ev->seq = seq;
	ev->len = n;
	ev->cap_len = n;
	ev->dir = dir;
	ev->role = role;
	memcpy(ev->data, bytes, n);
	assert_int_equal(flowtab_handle_event(&e->ft, ev, sizeof(*ev) + n), 0);
	free(ev);
}

static void send_close(struct env *e, uint64_t cookie, uint64_t acked, uint64_t received,
		       bool reset, uint64_t ts)
{
	struct ms_conn_close_event ev = {
	    .hdr = {MS_EV_CONN_CLOSE, reset ? MS_CLOSE_F_RESET : 0, cookie, ts}};

	ev.bytes_acked = acked;
	ev.bytes_received = received;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

static struct edge *the_edge(struct env *e, uint8_t proto)
{
	struct edge_key k = edge_key_of("10.0.0.1", "10.0.0.2", 8080, proto);

	return agg_find(&e->agg, &k);
}

static uint64_t status_count(const struct edge_view *v, uint16_t code)
{
	uint16_t i;

	for (i = 0; i < v->nstatuses; i++)
		if (v->statuses[i].code == code)
			return v->statuses[i].count;
	return 0;
}

#define REQ	"GET /items HTTP/1.1\r\nHost: shop\r\n\r\n"
#define RESP	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
#define RESP503 "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"

/* Datapath v2: a pair the kernel parsed, as it is sent (up to its target). */
static void send_pair(struct env *e, uint64_t cookie, const char *method, const char *target,
		      uint16_t status, uint64_t t0)
{
	struct ms_http_pair_event ev = {.hdr = {MS_EV_HTTP_PAIR, 0, cookie, t0 + 5 * MS}};

	ev.req.method_len = strlen(method);
	memcpy(ev.req.method, method, ev.req.method_len);
	ev.req.target_len = strlen(target);
	memcpy(ev.req.var, target, ev.req.target_len);
	ev.req.version_minor = 1;
	ev.req.start_ns = t0;
	ev.req.bytes = 40;
	ev.status = status;
	ev.resp_start_ns = t0 + 4 * MS;
	ev.resp_end_ns = t0 + 5 * MS;
	ev.resp_bytes = 60;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, MS_PAIR_SIZE(0, ev.req.target_len)), 0);
}

static void test_kernel_pairs_count_like_parsed_ones(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	send_open(e, 9, MS_ROLE_CLIENT, 100, 500, 0);
	send_pair(e, 9, "GET", "/items?token=secret", 200, 1 * MS);
	send_pair(e, 9, "POST", "/items;jsessionid=x", 503, 10 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 2);
	assert_int_equal(edge->view[REPORTER_SOURCE].errors, 1);
	assert_int_equal(status_count(&edge->view[REPORTER_SOURCE], 200), 1);
	assert_int_equal(e->ft.stats.kernel_txns, 2);
	assert_int_equal(e->ft.stats.capture_txns, 0);
	/* A pair cut short by its size is refused and counted. */
	{
		struct ms_http_pair_event ev = {.hdr = {MS_EV_HTTP_PAIR, 0, 9, 20 * MS}};

		ev.req.method_len = 3;
		ev.req.target_len = 100;
		assert_int_equal(flowtab_handle_event(&e->ft, &ev, MS_PAIR_SIZE(0, 10)), -EINVAL);
		assert_int_equal(e->ft.stats.malformed_events, 1);
	}
}

/*
 * The kernel hands a connection over mid-way: a pair first, then the
 * response side switches with the request in flight, and its chunked
 * response (which the kernel cannot frame) is parsed here against it.
 */
static void test_handover_with_request_in_flight(void **state)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "2\r\nok\r\n0\r\n\r\n";
	struct ms_mode_event mode = {.hdr = {MS_EV_MODE, MS_MODE_F_REQ, 9, 0}};
	struct env *e = *state;
	struct edge *edge;

	send_open(e, 9, MS_ROLE_CLIENT, 100, 500, 0);
	send_pair(e, 9, "GET", "/one", 200, 1 * MS);
	mode.seq = 600; /* the response side's boundary */
	mode.dir = MS_DIR_INGRESS;
	mode.reason = MS_FB_FRAMING;
	mode.req.method_len = 3;
	memcpy(mode.req.method, "GET", 3);
	mode.req.target_len = 4;
	memcpy(mode.req.var, "/two", 4);
	mode.req.start_ns = 20 * MS;
	mode.req.bytes = 30;
	assert_int_equal(flowtab_handle_event(&e->ft, &mode, sizeof(mode)), 0);
	send_data(e, 9, MS_DIR_INGRESS, MS_ROLE_CLIENT, 600, chunked, 30 * MS);
	/* The request side follows at its boundary; its next request is captured too. */
	mode = (struct ms_mode_event){
	    .hdr = {MS_EV_MODE, 0, 9, 0}, .seq = 170, .dir = MS_DIR_EGRESS, .reason = MS_FB_PEER};
	assert_int_equal(flowtab_handle_event(&e->ft, &mode, offsetof(struct ms_mode_event, req)),
			 0);
	send_data(e, 9, MS_DIR_EGRESS, MS_ROLE_CLIENT, 170, REQ, 40 * MS);
	send_data(e, 9, MS_DIR_INGRESS, MS_ROLE_CLIENT, 600 + strlen(chunked), RESP503, 45 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 3);
	assert_int_equal(status_count(&edge->view[REPORTER_SOURCE], 200), 2);
	assert_int_equal(status_count(&edge->view[REPORTER_SOURCE], 503), 1);
	assert_int_equal(e->ft.stats.kernel_txns, 1);
	assert_int_equal(e->ft.stats.capture_txns, 2);
	assert_int_equal(e->ft.stats.fallbacks[MS_FB_FRAMING], 1);
	assert_int_equal(e->ft.stats.fallbacks[MS_FB_PEER], 1);
	assert_int_equal(e->ft.http_stats.errors[HTTP1_ERR_UNMATCHED_RESPONSE], 0);
}

/* Both ends local: the same request lands once in each reporter's view of one edge. */
static void test_both_ends_one_edge(void **state)
{
	struct env *e = *state;
	const struct edge_view *v;
	enum edge_reporter which;
	struct edge *edge;

	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_data(e, 1, MS_DIR_EGRESS, MS_ROLE_CLIENT, 100, REQ, 10 * MS);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, REQ, 11 * MS);
	send_data(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, RESP, 41 * MS);
	send_data(e, 1, MS_DIR_INGRESS, MS_ROLE_CLIENT, 500, RESP, 42 * MS);
	send_close(e, 1, strlen(REQ), strlen(RESP), false, 50 * MS);
	send_close(e, 2, strlen(RESP), strlen(REQ), false, 50 * MS);

	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(e->agg.edges.count, 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	v = edge_primary_view(edge, &which);
	assert_int_equal(which, REPORTER_DESTINATION);
	assert_int_equal(status_count(v, 200), 1);
	assert_int_equal(v->errors, 0);
	/* server saw 11 ms -> 41 ms; the client 10 -> 42 */
	assert_int_equal(v->latency.max_ns, 30 * MS);
	assert_int_equal(edge->view[REPORTER_SOURCE].latency.max_ns, 32 * MS);
	assert_int_equal(v->bytes_sent, strlen(REQ));
	assert_int_equal(v->bytes_received, strlen(RESP));
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_sent, strlen(REQ));
	assert_int_equal(v->conns_opened, 1);
	assert_int_equal(v->conns_closed, 1);
	assert_string_equal(edge->src.comm, "curl");
	assert_string_equal(edge->dst.comm, "httpd");
	assert_int_equal(flowtab_count(&e->ft), 0);
}

/* Keep-alive: many requests on one connection are each counted. */
static void test_keepalive_counts_each(void **state)
{
	struct env *e = *state;
	uint32_t cseq = 100, sseq = 500;
	struct edge *edge;
	int i;

	send_open(e, 3, MS_ROLE_SERVER, sseq, cseq, 0);
	for (i = 0; i < 10; i++) {
		const char *resp = i % 5 == 4 ? RESP503 : RESP;

		send_data(e, 3, MS_DIR_INGRESS, MS_ROLE_SERVER, cseq, REQ, (i * 10 + 1) * MS);
		cseq += strlen(REQ);
		send_data(e, 3, MS_DIR_EGRESS, MS_ROLE_SERVER, sseq, resp, (i * 10 + 6) * MS);
		sseq += strlen(resp);
	}
	send_close(e, 3, 0, 0, false, 200 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 10);
	assert_int_equal(status_count(&edge->view[REPORTER_DESTINATION], 503), 2);
	assert_int_equal(edge->view[REPORTER_DESTINATION].errors, 2);
	assert_false(edge->view[REPORTER_SOURCE].seen);
}

/* Ingress segments out of order and duplicated still give one exact request. */
static void test_out_of_order_and_duplicates(void **state)
{
	struct env *e = *state;
	const char *part1 = "GET /a HTTP/1.1\r\n", *part2 = "Host: x\r\n\r\n";
	struct edge *edge;

	send_open(e, 4, MS_ROLE_SERVER, 500, 100, 0);
	send_data(e, 4, MS_DIR_INGRESS, MS_ROLE_SERVER, 100 + strlen(part1), part2, 2 * MS);
	send_data(e, 4, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, part1, 3 * MS);
	send_data(e, 4, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, part1, 4 * MS); /* retransmit */
	send_data(e, 4, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, RESP, 9 * MS);
	send_close(e, 4, 0, 0, false, 10 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(status_count(&edge->view[REPORTER_DESTINATION], 200), 1);
}

/* A reset before the response: the request counts, as status 0 and an error. */
static void test_reset_mid_request(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	send_open(e, 5, MS_ROLE_CLIENT, 100, 500, 0);
	send_data(e, 5, MS_DIR_EGRESS, MS_ROLE_CLIENT, 100, REQ, 1 * MS);
	send_close(e, 5, strlen(REQ), 0, true, 5 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(status_count(&edge->view[REPORTER_SOURCE], 0), 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].errors, 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].conns_reset, 1);
}

/* No payload ever: a tcp edge, with its connection and bytes. */
static void test_opaque_is_tcp_edge(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	send_open(e, 6, MS_ROLE_CLIENT, 100, 500, 0);
	send_close(e, 6, 1234, 99, false, 5 * MS);
	assert_null(the_edge(e, EDGE_PROTO_HTTP));
	edge = the_edge(e, EDGE_PROTO_TCP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 0);
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_sent, 1234);
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_received, 99);
	assert_int_equal(edge->view[REPORTER_SOURCE].conns_opened, 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].conns_closed, 1);
}

/* Live counters from the kernel scan are added as deltas, never twice. */
static void test_kernel_scan_deltas(void **state)
{
	struct env *e = *state;
	struct ms_conn kc = {.l7 = MS_L7_OPAQUE, .opened_ns = 1, .last_seen_ns = 2 * MS};
	struct edge *edge;

	send_open(e, 7, MS_ROLE_CLIENT, 100, 500, 0);
	kc.bytes_acked = 100;
	kc.bytes_received = 10;
	flowtab_sync_kernel(&e->ft, 7, &kc, 3 * MS);
	kc.bytes_acked = 250;
	flowtab_sync_kernel(&e->ft, 7, &kc, 4 * MS);
	send_close(e, 7, 300, 10, false, 5 * MS);
	edge = the_edge(e, EDGE_PROTO_TCP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_sent, 300);
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_received, 10);
}

/*
 * Quiet past the idle time: a connection sockops announced is kept until
 * its close (sockops reports it), with its last bytes; one first seen
 * mid-stream (nothing reports its close) is forgotten, kernel entry too.
 */
static void test_idle_only_forgets_unreported(void **state)
{
	struct env *e = *state;
	struct ms_conn kc = {.l7 = MS_L7_OPAQUE, .opened_ns = 1, .last_seen_ns = 2 * MS};
	uint64_t later = 2 * MS + limits.idle_ns + MS;
	struct ms_conn_open_event lazy = {.hdr = {MS_EV_CONN_OPEN, 0, 9, 1}};
	struct edge *edge;

	send_open(e, 8, MS_ROLE_CLIENT, 100, 500, 1);
	kc.bytes_acked = 40;
	flowtab_sync_kernel(&e->ft, 8, &kc, 3 * MS);
	assert_false(flowtab_sync_kernel(&e->ft, 8, &kc, later));
	flowtab_expire(&e->ft, later);
	assert_int_equal(e->ft.stats.flows_evicted_idle, 0);
	send_close(e, 8, 70, 5, false, later + MS);
	edge = the_edge(e, EDGE_PROTO_TCP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].bytes_sent, 70);
	assert_int_equal(edge->view[REPORTER_SOURCE].conns_closed, 1);

	lazy.origin = MS_ORIGIN_LAZY;
	lazy.role = MS_ROLE_CLIENT;
	lazy.tuple.family = AF_INET;
	to_addr("10.0.0.1", lazy.tuple.local_addr);
	to_addr("10.0.0.3", lazy.tuple.remote_addr);
	lazy.tuple.local_port = 40001;
	lazy.tuple.remote_port = 9000;
	assert_int_equal(flowtab_handle_event(&e->ft, &lazy, sizeof(lazy)), 0);
	kc.origin = MS_ORIGIN_LAZY;
	assert_true(flowtab_sync_kernel(&e->ft, 9, &kc, later));
	flowtab_expire(&e->ft, later);
	assert_int_equal(e->ft.stats.flows_evicted_idle, 1);
}

/* Damaged records and payload for unknown connections are counted, not trusted. */
static void test_bad_records_counted(void **state)
{
	struct env *e = *state;
	struct ms_data_event ev = {.hdr = {MS_EV_DATA, 0, 99, 0}, .cap_len = 50, .len = 50};
	uint32_t junk = 77;

	assert_int_equal(flowtab_handle_event(&e->ft, &junk, sizeof(junk)), -EINVAL);
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), -EINVAL); /* cap > size */
	assert_int_equal(e->ft.stats.malformed_events, 2);
	send_data(e, 99, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1, REQ, 0);
	assert_int_equal(e->ft.stats.data_without_flow, 1);
	assert_int_equal(e->agg.edges.count, 0);
}

/* A connection first seen mid-stream takes its role from the kernel's verdict. */
static void test_lazy_flow_role_from_data(void **state)
{
	struct env *e = *state;
	struct ms_conn_open_event ev = {.hdr = {MS_EV_CONN_OPEN, 0, 8, 0}};
	struct edge *edge;

	ev.origin = MS_ORIGIN_LAZY;
	ev.tuple.local_port = 50000;
	ev.tuple.remote_port = 8080;
	to_addr("10.0.0.1", ev.tuple.local_addr);
	to_addr("10.0.0.2", ev.tuple.remote_addr);
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
	send_data(e, 8, MS_DIR_INGRESS, MS_ROLE_CLIENT, 7000, RESP, 1 * MS);
	send_data(e, 8, MS_DIR_EGRESS, MS_ROLE_CLIENT, 300, REQ, 2 * MS);
	send_data(e, 8, MS_DIR_INGRESS, MS_ROLE_CLIENT, 7000 + strlen(RESP), RESP503, 3 * MS);
	send_close(e, 8, 0, 0, false, 4 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	/* the response to a request we never saw is not a request */
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(status_count(&edge->view[REPORTER_SOURCE], 503), 1);
}

/* A socket with any tuple: "ip:port" local and remote, in a given cgroup. */
static void send_open_at(struct env *e, uint64_t cookie, uint8_t role, const char *local,
			 uint16_t lport, const char *remote, uint16_t rport, uint64_t cgroup)
{
	struct ms_conn_open_event ev = {.hdr = {MS_EV_CONN_OPEN, 0, cookie, 0}};

	to_addr(local, ev.tuple.local_addr);
	to_addr(remote, ev.tuple.remote_addr);
	ev.tuple.local_port = lport;
	ev.tuple.remote_port = rport;
	ev.tuple.family = AF_INET;
	ev.role = role;
	ev.cgroup_id = cgroup;
	ev.seq_known = 1;
	ev.snd_nxt = 1000;
	ev.rcv_nxt = 2000;
	strcpy(ev.comm, "ztunnel");
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

#define ZTUNNEL_CG 77

static bool is_ztunnel(void *ctx, uint64_t cgroup_id)
{
	return cgroup_id == *(const uint64_t *)ctx;
}

static const uint64_t ztunnel_cg = ZTUNNEL_CG;

/*
 * ztunnel's four sockets for the app connection 10.0.0.1:40000 ->
 * 10.0.0.2:8080, which travels as 10.0.0.1:50000 -> 10.0.0.2:15008:
 * the redirected accept (client pod), HBONE out and in, and the connect to
 * the server app spoofing the client's address (server pod). Cookies 11-14.
 */
static void ztunnel_open(struct env *e)
{
	send_open_at(e, 11, MS_ROLE_SERVER, "127.0.0.1", 15001, "10.0.0.1", 40000, ZTUNNEL_CG);
	send_open_at(e, 12, MS_ROLE_CLIENT, "10.0.0.1", 50000, "10.0.0.2", 15008, ZTUNNEL_CG);
	send_open_at(e, 13, MS_ROLE_SERVER, "10.0.0.2", 15008, "10.0.0.1", 50000, ZTUNNEL_CG);
	send_open_at(e, 14, MS_ROLE_CLIENT, "10.0.0.1", 40000, "10.0.0.2", 8080, ZTUNNEL_CG);
}

/* What the tunnel sockets carry: the app's plaintext, re-sent, and TLS. */
static void ztunnel_traffic(struct env *e)
{
	send_data(e, 11, MS_DIR_INGRESS, MS_ROLE_SERVER, 2000, REQ, 10 * MS);
	send_data(e, 11, MS_DIR_EGRESS, MS_ROLE_SERVER, 1000, RESP, 42 * MS);
	send_data(e, 12, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, "\x16\x03\x01 tls", 10 * MS);
	send_data(e, 14, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 11 * MS);
	send_data(e, 14, MS_DIR_INGRESS, MS_ROLE_CLIENT, 2000, RESP, 41 * MS);
}

static void ztunnel_close(struct env *e)
{
	uint64_t c;

	for (c = 11; c <= 14; c++)
		send_close(e, c, 100, 50, false, 60 * MS);
}

/* One request from app 1 (client) to app 2 (server) on the usual tuple. */
static void app_request(struct env *e)
{
	send_data(e, 1, MS_DIR_EGRESS, MS_ROLE_CLIENT, 100, REQ, 10 * MS);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, REQ, 11 * MS);
	send_data(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, RESP, 41 * MS);
	send_data(e, 1, MS_DIR_INGRESS, MS_ROLE_CLIENT, 500, RESP, 42 * MS);
	send_close(e, 1, strlen(REQ), strlen(RESP), false, 50 * MS);
	send_close(e, 2, strlen(RESP), strlen(REQ), false, 50 * MS);
}

/* The one edge is the app's, both views count the request once, and it is mTLS. */
static void assert_ambient_edge(struct env *e)
{
	struct edge *edge = the_edge(e, EDGE_PROTO_HTTP);

	assert_non_null(edge);
	assert_int_equal(e->agg.edges.count, 1);
	assert_true(edge->mutual_tls);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(status_count(&edge->view[REPORTER_DESTINATION], 200), 1);
	assert_string_equal(edge->src.comm, "curl");
	assert_string_equal(edge->dst.comm, "httpd");
	assert_int_equal(e->ft.stats.tunnel_flows, 4);
	assert_int_equal(e->ft.stats.tunnel_carried, 2);
	assert_int_equal(e->ft.stats.tunnel_bytes, 4 * 150);
	assert_int_equal(e->ft.stats.transactions, 2);
	assert_int_equal(flowtab_count(&e->ft), 0);
}

static void test_ambient_tunnel_opens_first(void **state)
{
	struct env *e = *state;

	e->ft.is_tunnel_cgroup = is_ztunnel;
	e->ft.tunnel_cgroup_ctx = (void *)&ztunnel_cg;
	ztunnel_open(e);
	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	ztunnel_traffic(e);
	app_request(e);
	ztunnel_close(e);
	assert_ambient_edge(e);
}

static void test_ambient_app_opens_first(void **state)
{
	struct env *e = *state;

	e->ft.is_tunnel_cgroup = is_ztunnel;
	e->ft.tunnel_cgroup_ctx = (void *)&ztunnel_cg;
	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	ztunnel_open(e);
	ztunnel_traffic(e);
	app_request(e);
	ztunnel_close(e);
	assert_ambient_edge(e);
}

/* Only the server is on this node: its socket alone marks the edge. */
static void test_ambient_server_side_only(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	e->ft.is_tunnel_cgroup = is_ztunnel;
	e->ft.tunnel_cgroup_ctx = (void *)&ztunnel_cg;
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_open_at(e, 14, MS_ROLE_CLIENT, "10.0.0.1", 40000, "10.0.0.2", 8080, ZTUNNEL_CG);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, REQ, 11 * MS);
	send_data(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, RESP, 41 * MS);
	send_close(e, 2, strlen(RESP), strlen(REQ), false, 50 * MS);
	send_close(e, 14, strlen(REQ), strlen(RESP), false, 50 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_true(edge->mutual_tls);
	assert_false(edge->view[REPORTER_SOURCE].seen);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(e->ft.stats.tunnel_carried, 1);
}

/*
 * The same app traffic next to a tunnel that carries something else (and
 * with the cgroup callback in place): the app's edge is not marked.
 */
static void test_app_without_tunnel_not_marked(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	e->ft.is_tunnel_cgroup = is_ztunnel;
	e->ft.tunnel_cgroup_ctx = (void *)&ztunnel_cg;
	send_open_at(e, 11, MS_ROLE_SERVER, "127.0.0.1", 15001, "10.0.0.1", 40001, ZTUNNEL_CG);
	send_open_at(e, 14, MS_ROLE_CLIENT, "10.0.0.1", 40001, "10.0.0.2", 8080, ZTUNNEL_CG);
	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	app_request(e);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_false(edge->mutual_tls);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(e->ft.stats.tunnel_carried, 0);
	assert_int_equal(e->ft.stats.tunnel_flows, 2);
}

/* A tunnel port at either end is enough; the kernel's scan adds nothing either. */
static void test_tunnel_ports_make_no_edge(void **state)
{
	struct env *e = *state;
	struct ms_conn kc = {.l7 = MS_L7_OPAQUE, .opened_ns = 1, .last_seen_ns = 2 * MS};

	send_open_at(e, 12, MS_ROLE_CLIENT, "10.0.0.1", 50000, "10.0.0.2", 15008, 5);
	send_open_at(e, 13, MS_ROLE_SERVER, "10.0.0.2", 15008, "10.0.0.1", 50000, 6);
	send_open_at(e, 15, MS_ROLE_SERVER, "10.0.0.2", 15006, "10.0.0.1", 50001, 6);
	kc.bytes_acked = 300;
	flowtab_sync_kernel(&e->ft, 12, &kc, 3 * MS);
	send_data(e, 15, MS_DIR_INGRESS, MS_ROLE_SERVER, 2000, REQ, 3 * MS);
	send_close(e, 12, 300, 20, false, 5 * MS);
	send_close(e, 13, 20, 300, true, 5 * MS);
	send_close(e, 15, 0, strlen(REQ), false, 5 * MS);
	assert_int_equal(e->agg.edges.count, 0);
	assert_int_equal(e->ft.stats.tunnel_flows, 3);
	assert_int_equal(e->ft.stats.tunnel_bytes, 640 + strlen(REQ));
	assert_int_equal(e->ft.stats.transactions, 0);
}

/* A client whose ephemeral port happens to be a tunnel port is an application socket. */
static void test_tunnel_port_only_on_the_listening_side(void **state)
{
	struct env *e = *state;

	send_open_at(e, 21, MS_ROLE_CLIENT, "10.0.0.1", 15001, "10.0.0.2", 8080, 5);
	send_data(e, 21, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 1 * MS);
	send_open_at(e, 22, MS_ROLE_SERVER, "10.0.0.2", 8080, "10.0.0.1", 15006, 6);
	send_data(e, 22, MS_DIR_INGRESS, MS_ROLE_SERVER, 2000, REQ, 1 * MS);
	assert_int_equal(e->ft.stats.tunnel_flows, 0);
	assert_int_equal(e->agg.edges.count, 1); /* both sockets' views of one edge */
	assert_true(e->agg.lru_head->view[REPORTER_SOURCE].seen);
	assert_true(e->agg.lru_head->view[REPORTER_DESTINATION].seen);
}

#define SELF_PID 4242

static bool exclude_self(void *ctx, uint32_t pid, const char *comm, uint64_t cgroup_id)
{
	(void)ctx;
	(void)cgroup_id;
	return pid == SELF_PID || !strcmp(comm, "otelcol");
}

static void send_open_pid(struct env *e, uint64_t cookie, uint8_t role, uint32_t pid,
			  const char *comm)
{
	struct ms_conn_open_event ev = {.hdr = {MS_EV_CONN_OPEN, 0, cookie, 0}};
	bool client = role == MS_ROLE_CLIENT;

	to_addr(client ? "10.0.0.1" : "10.0.0.2", ev.tuple.local_addr);
	to_addr(client ? "10.0.0.2" : "10.0.0.1", ev.tuple.remote_addr);
	ev.tuple.local_port = client ? 40000 : 4318;
	ev.tuple.remote_port = client ? 4318 : 40000;
	ev.tuple.family = AF_INET;
	ev.role = role;
	ev.pid = pid;
	ev.seq_known = 1;
	ev.snd_nxt = 1000;
	ev.rcv_nxt = 2000;
	strcpy(ev.comm, comm);
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

/*
 * The agent's own export to a collector on this node: neither its socket
 * nor the collector's makes an edge, whichever opens first.
 */
static void test_excluded_socket_and_its_peer(void **state)
{
	struct env *e = *state;
	int order;

	e->ft.is_excluded = exclude_self;
	for (order = 0; order < 2; order++) {
		uint64_t c = 100 + order * 2, s = c + 1;

		if (order == 0) {
			send_open_pid(e, c, MS_ROLE_CLIENT, SELF_PID, "meshsight");
			send_open_pid(e, s, MS_ROLE_SERVER, 77, "collector");
		} else {
			send_open_pid(e, s, MS_ROLE_SERVER, 77, "collector");
			send_open_pid(e, c, MS_ROLE_CLIENT, SELF_PID, "meshsight");
		}
		send_data(e, c, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 1 * MS);
		send_data(e, s, MS_DIR_INGRESS, MS_ROLE_SERVER, 2000, REQ, 1 * MS);
		send_data(e, s, MS_DIR_EGRESS, MS_ROLE_SERVER, 1000, RESP, 2 * MS);
		send_close(e, c, strlen(REQ), strlen(RESP), false, 3 * MS);
		send_close(e, s, strlen(RESP), strlen(REQ), false, 3 * MS);
	}
	assert_int_equal(e->agg.edges.count, 0);
	assert_int_equal(e->ft.stats.transactions, 0);
	assert_int_equal(e->ft.stats.excluded_flows, 4);
	/* An excluded process name, as a server: its client is another process. */
	send_open_pid(e, 200, MS_ROLE_SERVER, 91, "otelcol");
	send_data(e, 200, MS_DIR_INGRESS, MS_ROLE_SERVER, 2000, REQ, 1 * MS);
	assert_int_equal(e->agg.edges.count, 0);
	/* Anyone else is observed (send_open: curl to port 8080). */
	send_open(e, 300, MS_ROLE_CLIENT, 1000, 5000, 0);
	send_data(e, 300, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 1 * MS);
	assert_int_equal(e->agg.edges.count, 1);
}

/* Owners by address, changed by the test: pod-a, then pod-b at 10.0.0.1. */
static const char *client_owner = "pod-a";

static bool owner_of(void *ctx, const uint8_t addr[16], uint64_t cgroup_id, uint16_t port,
		     char uid[EDGE_UID_MAX])
{
	uint8_t client[16];

	(void)ctx;
	(void)cgroup_id;
	(void)port;
	to_addr("10.0.0.1", client);
	snprintf(uid, EDGE_UID_MAX, "%s", memcmp(addr, client, 16) ? "server-pod" : client_owner);
	return true;
}

/*
 * The client's address moves to another pod between two connections: the
 * second connection starts a new edge, whenever the housekeeping check
 * would have run, and the first pod's counts are not carried over.
 */
static void test_new_owner_starts_a_new_edge(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	e->ft.owner = owner_of;
	client_owner = "pod-a";
	send_open(e, 1, MS_ROLE_CLIENT, 1000, 5000, 0);
	send_data(e, 1, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 1 * MS);
	send_data(e, 1, MS_DIR_INGRESS, MS_ROLE_CLIENT, 5000, RESP, 2 * MS);
	send_close(e, 1, strlen(REQ), strlen(RESP), false, 3 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_string_equal(edge->src.pod_uid, "pod-a");
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);

	client_owner = "pod-b";
	send_open(e, 2, MS_ROLE_CLIENT, 1000, 5000, 4 * MS);
	send_data(e, 2, MS_DIR_EGRESS, MS_ROLE_CLIENT, 1000, REQ, 5 * MS);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_CLIENT, 5000, RESP, 6 * MS);
	send_close(e, 2, strlen(REQ), strlen(RESP), false, 7 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_string_equal(edge->src.pod_uid, "pod-b");
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(e->agg.stats.retired_renamed, 1);
}

/* The port list: bad input is refused with a reason and the old list kept. */

/* ---- HTTP/2 ---- */

static void send_bytes(struct env *e, uint64_t cookie, uint8_t dir, uint8_t role, uint32_t seq,
		       const uint8_t *bytes, size_t n, uint64_t ts)
{
	struct ms_data_event *ev = calloc(1, sizeof(*ev) + n);

	ev->hdr = (struct ms_event_hdr){MS_EV_DATA, 0, cookie, ts};
	ev->seq = seq;
	ev->len = n;
	ev->cap_len = n;
	ev->dir = dir;
	ev->role = role;
	memcpy(ev->data, bytes, n);
	assert_int_equal(flowtab_handle_event(&e->ft, ev, sizeof(*ev) + n), 0);
	free(ev);
}

struct bytes {
	uint8_t b[2048];
	size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* HPACK literal without indexing, new name. */
static void hlit(struct bytes *blk, const char *name, const char *value)
{
	uint8_t h[2] = {0, (uint8_t)strlen(name)}, vl = (uint8_t)strlen(value);

	put(blk, h, 2);
	put(blk, name, strlen(name));
	put(blk, &vl, 1);
	put(blk, value, vl);
}

static void h2frame(struct bytes *out, uint8_t type, uint8_t flags, uint32_t id,
		    const struct bytes *payload)
{
	size_t n = payload ? payload->n : 0;
	uint8_t h[9] = {0, (uint8_t)(n >> 8), (uint8_t)n, type, flags, 0, 0, 0, (uint8_t)id};

	put(out, h, 9);
	if (n)
		put(out, payload->b, n);
}

static void grpc_request(struct bytes *c, uint32_t id, const char *path)
{
	struct bytes blk = {0}, msg = {.n = 10};

	hlit(&blk, ":method", "POST");
	hlit(&blk, ":path", path);
	hlit(&blk, "content-type", "application/grpc");
	h2frame(c, 1, 0x04, id, &blk);
	h2frame(c, 0, 0x01, id, &msg);
}

static void grpc_response(struct bytes *s, uint32_t id, const char *code)
{
	struct bytes blk = {0}, msg = {.n = 7};

	hlit(&blk, ":status", "200");
	hlit(&blk, "content-type", "application/grpc");
	h2frame(s, 1, 0x04, id, &blk);
	h2frame(s, 0, 0, id, &msg);
	blk.n = 0;
	hlit(&blk, "grpc-status", code);
	h2frame(s, 1, 0x05, id, &blk);
}

/* Prior knowledge, both ends local: one "grpc" edge, statuses by code, no "http" edge. */
static void test_h2c_grpc_edge(void **state)
{
	struct env *e = *state;
	struct bytes c = {0}, s = {0};
	const struct edge_view *v;
	struct edge *edge;

	put(&c, H2_PREFACE, H2_PREFACE_LEN);
	h2frame(&c, 4, 0, 0, NULL);
	grpc_request(&c, 1, "/shop.Cart/Add");
	grpc_request(&c, 3, "/shop.Cart/Add");
	h2frame(&s, 4, 0, 0, NULL);
	grpc_response(&s, 1, "0");
	grpc_response(&s, 3, "14");

	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_bytes(e, 1, MS_DIR_EGRESS, MS_ROLE_CLIENT, 100, c.b, c.n, 10 * MS);
	send_bytes(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, c.b, c.n, 11 * MS);
	send_bytes(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, s.b, s.n, 20 * MS);
	send_bytes(e, 1, MS_DIR_INGRESS, MS_ROLE_CLIENT, 500, s.b, s.n, 21 * MS);
	edge = the_edge(e, EDGE_PROTO_GRPC);
	assert_non_null(edge);
	assert_null(the_edge(e, EDGE_PROTO_HTTP));
	assert_null(the_edge(e, EDGE_PROTO_TCP));
	v = &edge->view[REPORTER_DESTINATION];
	assert_int_equal(v->requests, 2);
	assert_int_equal(v->grpc_statuses[0], 1);
	assert_int_equal(v->grpc_statuses[14], 1);
	assert_int_equal(v->errors, 1);
	assert_int_equal(status_count(v, 200), 2);
	assert_int_equal(v->conns_opened, 1);
	assert_int_equal(v->latency.count, 2);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 2);
	assert_int_equal(v->nseries, 2); /* /shop.Cart/Add with status 0 and 14 */
	assert_string_equal(v->series[0].rpc, "/shop.Cart/Add");
	send_close(e, 1, c.n, s.n, false, 30 * MS);
	send_close(e, 2, s.n, c.n, false, 30 * MS);
	assert_int_equal(v->requests, 2); /* nothing left open to report at close */
	assert_int_equal(v->conns_closed, 1);
	assert_int_equal(e->ft.h2_stats.streams, 4);
}

/* The server's SETTINGS greeting comes first (servers send it on accept): still gRPC. */
static void test_h2c_server_greets_first(void **state)
{
	struct env *e = *state;
	struct bytes c = {0}, greet = {0}, s = {0};
	struct edge *edge;

	h2frame(&greet, 4, 0, 0, NULL);
	put(&c, H2_PREFACE, H2_PREFACE_LEN);
	h2frame(&c, 4, 0, 0, NULL);
	grpc_request(&c, 1, "/shop.Cart/Add");
	grpc_response(&s, 1, "0");

	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_bytes(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, greet.b, greet.n, 1 * MS);
	send_bytes(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, c.b, c.n, 10 * MS);
	send_bytes(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500 + greet.n, s.b, s.n, 20 * MS);
	edge = the_edge(e, EDGE_PROTO_GRPC);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(edge->view[REPORTER_DESTINATION].grpc_statuses[0], 1);
	assert_false(edge->partial);
	assert_null(the_edge(e, EDGE_PROTO_HTTP));
}

/* HTTP/1.1 Upgrade: h2c answered 101: stream 1 is the request, on an "http2" edge. */
static void test_h2c_upgrade_edge(void **state)
{
	struct env *e = *state;
	const char *req = "GET /up HTTP/1.1\r\nHost: svc\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
	const char *sw = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			 "Upgrade: h2c\r\n\r\n";
	struct bytes s = {0}, c = {0}, blk = {0};
	const struct edge_view *v;
	struct edge *edge;

	put(&s, sw, strlen(sw));
	h2frame(&s, 4, 0, 0, NULL);
	hlit(&blk, ":status", "200");
	h2frame(&s, 1, 0x05, 1, &blk);
	put(&c, H2_PREFACE, H2_PREFACE_LEN);
	h2frame(&c, 4, 0, 0, NULL);

	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, req, 10 * MS);
	send_bytes(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, s.b, s.n, 20 * MS);
	send_bytes(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100 + strlen(req), c.b, c.n, 21 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP2);
	assert_non_null(edge);
	assert_null(the_edge(e, EDGE_PROTO_HTTP));
	v = &edge->view[REPORTER_DESTINATION];
	assert_int_equal(v->requests, 1);
	assert_int_equal(status_count(v, 200), 1);
	assert_int_equal(status_count(v, 101), 0);
	assert_int_equal(v->errors, 0);
	assert_int_equal(v->series[0].version_major, 2);
	assert_int_equal(v->latency_sum_ns, 10 * MS);
}

/* A server that ignores the upgrade keeps the connection HTTP/1. */
static void test_h2c_upgrade_refused(void **state)
{
	struct env *e = *state;
	const char *req = "GET /up HTTP/1.1\r\nHost: svc\r\nUpgrade: h2c\r\n\r\n";
	struct edge *edge;

	send_open(e, 2, MS_ROLE_SERVER, 500, 100, 0);
	send_data(e, 2, MS_DIR_INGRESS, MS_ROLE_SERVER, 100, req, 10 * MS);
	send_data(e, 2, MS_DIR_EGRESS, MS_ROLE_SERVER, 500, RESP, 20 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_null(the_edge(e, EDGE_PROTO_HTTP2));
}

/* Preface, then close before any stream: still an "http2" edge, with its connection. */
static void test_h2c_no_stream(void **state)
{
	struct env *e = *state;
	struct bytes c = {0};
	struct edge *edge;

	put(&c, H2_PREFACE, H2_PREFACE_LEN);
	send_open(e, 1, MS_ROLE_CLIENT, 100, 500, 0);
	send_bytes(e, 1, MS_DIR_EGRESS, MS_ROLE_CLIENT, 100, c.b, c.n, 10 * MS);
	assert_null(the_edge(e, EDGE_PROTO_HTTP2)); /* not decided yet */
	send_close(e, 1, c.n, 0, false, 30 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP2);
	assert_non_null(edge);
	assert_int_equal(edge->view[REPORTER_SOURCE].conns_opened, 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 0);
}

static void test_tunnel_ports_parsing(void **state)
{
	struct env *e = *state;
	static const char *const bad[] = {
	    "abc",
	    "15008,",
	    ",15008",
	    "15008,,15001",
	    "0",
	    "65536",
	    "123456",
	    "15008,15008",
	    "15008 ",
	    "-1",
	    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	};
	char err[128];
	size_t i;

	assert_int_equal(e->ft.ntunnel_ports, 3); /* the default: 15008, 15001, 15006 */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(flowtab_set_tunnel_ports(&e->ft, bad[i], err, sizeof(err)),
				 -EINVAL);
		assert_true(strlen(err) > 10);
		assert_int_equal(e->ft.ntunnel_ports, 3);
	}
	assert_int_equal(flowtab_set_tunnel_ports(&e->ft, "65535,1", err, sizeof(err)), 0);
	assert_int_equal(e->ft.ntunnel_ports, 2);
	assert_int_equal(flowtab_set_tunnel_ports(&e->ft, "9999", err, sizeof(err)), 0);
	send_open_at(e, 16, MS_ROLE_CLIENT, "10.0.0.1", 40000, "10.0.0.2", 9999, 5);
	send_close(e, 16, 1, 1, false, 1 * MS);
	assert_int_equal(e->agg.edges.count, 0);

	/* "" turns port matching off: HBONE's port is just another server port */
	assert_int_equal(flowtab_set_tunnel_ports(&e->ft, "", err, sizeof(err)), 0);
	assert_int_equal(e->ft.ntunnel_ports, 0);
	send_open_at(e, 12, MS_ROLE_CLIENT, "10.0.0.1", 50000, "10.0.0.2", 15008, 5);
	send_close(e, 12, 1, 1, false, 1 * MS);
	assert_int_equal(e->agg.edges.count, 1);
	assert_int_equal(e->ft.stats.tunnel_flows, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_both_ends_one_edge, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_pairs_count_like_parsed_ones, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_handover_with_request_in_flight, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_counts_each, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_order_and_duplicates, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reset_mid_request, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opaque_is_tcp_edge, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_scan_deltas, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_only_forgets_unreported, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_records_counted, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_flow_role_from_data, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ambient_tunnel_opens_first, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ambient_app_opens_first, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ambient_server_side_only, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_without_tunnel_not_marked, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tunnel_ports_make_no_edge, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tunnel_ports_parsing, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tunnel_port_only_on_the_listening_side,
					    flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_excluded_socket_and_its_peer, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_new_owner_starts_a_new_edge, flows_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_h2c_grpc_edge, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2c_server_greets_first, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2c_upgrade_edge, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2c_upgrade_refused, flows_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_h2c_no_stream, flows_setup, teardown),
	};

	return cmocka_run_group_tests_name("flows", tests, NULL, NULL);
}

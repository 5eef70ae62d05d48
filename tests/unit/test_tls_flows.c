// SPDX-License-Identifier: BSD-2-Clause
/*
 * HTTPS through libssl, userspace side: MS_EV_TLS_DATA records in, edges
 * out. A TLS connection is opaque to the kernel (its ClientHello is no HTTP
 * request); the clear bytes of each SSL call come tagged with the socket's
 * cookie and must count on that socket's own flow, once, on an edge marked
 * tls, while its ciphertext is ignored. Without a handshake mark an opaque
 * connection still becomes a tcp edge, after the grace.
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

#define REQ  "GET /items?secret=1 HTTP/1.1\r\nHost: shop\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static int setup(void **state)
{
	struct env *e;

	flows_setup(state);
	e = *state;
	e->ft.tls_grace_ns = FLOW_TLS_GRACE_NS; /* as the agent sets it with --tls on */
	return 0;
}

/* Client 10.0.0.1:40000 -> server 10.0.0.2:8443; role picks the local end. */
static void send_open(struct env *e, uint64_t cookie, uint8_t role, uint64_t ts)
{
	struct ms_conn_open_event ev = {.hdr = {MS_EV_CONN_OPEN, 0, cookie, ts}};
	const char *client = "10.0.0.1", *server = "10.0.0.2";

	to_addr(role == MS_ROLE_CLIENT ? client : server, ev.tuple.local_addr);
	to_addr(role == MS_ROLE_CLIENT ? server : client, ev.tuple.remote_addr);
	ev.tuple.local_port = role == MS_ROLE_CLIENT ? 40000 : 8443;
	ev.tuple.remote_port = role == MS_ROLE_CLIENT ? 8443 : 40000;
	ev.tuple.family = AF_INET;
	ev.role = role;
	ev.seq_known = 1;
	ev.snd_nxt = 1000;
	ev.rcv_nxt = 5000;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

/* One SSL call: len bytes moved, the first cap of bytes captured. */
static void send_tls(struct env *e, uint64_t cookie, uint8_t dir, const char *bytes, size_t cap,
		     uint32_t len, uint64_t ts)
{
	struct ms_tls_data_event *ev = calloc(1, sizeof(*ev) + cap);

	ev->hdr = (struct ms_event_hdr){MS_EV_TLS_DATA, bytes ? 0 : MS_TLS_F_HANDSHAKE, cookie, ts};
	ev->pid = 42;
	ev->len = len;
	ev->cap_len = cap;
	ev->dir = dir;
	if (cap)
		memcpy(ev->data, bytes, cap);
	assert_int_equal(flowtab_handle_event(&e->ft, ev, sizeof(*ev) + cap), 0);
	free(ev);
}

static void send_clear(struct env *e, uint64_t cookie, uint8_t dir, const char *s, uint64_t ts)
{
	send_tls(e, cookie, dir, s, strlen(s), strlen(s), ts);
}

static void send_close(struct env *e, uint64_t cookie, uint64_t ts)
{
	struct ms_conn_close_event ev = {.hdr = {MS_EV_CONN_CLOSE, 0, cookie, ts}};

	ev.bytes_acked = 3000;
	ev.bytes_received = 2000;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), 0);
}

/* What the agent's kernel scan reports for a TLS connection: opaque. */
static void scan_opaque(struct env *e, uint64_t cookie, uint64_t now)
{
	struct ms_conn kc = {.l7 = MS_L7_OPAQUE, .opened_ns = 1, .last_seen_ns = now};

	flowtab_sync_kernel(&e->ft, cookie, &kc, now);
}

static struct edge *the_edge(struct env *e, uint8_t proto)
{
	struct edge_key k = edge_key_of("10.0.0.1", "10.0.0.2", 8443, proto);

	return agg_find(&e->agg, &k);
}

/* Both ends of one HTTPS request: one http edge, tls, counted once from each end. */
static void test_clear_bytes_count_on_the_socket_flow(void **state)
{
	struct env *e = *state;
	struct ms_data_event cipher = {.hdr = {MS_EV_DATA, 0, 1, 0}, .seq = 1000};
	struct edge *edge;

	send_open(e, 1, MS_ROLE_CLIENT, 0);
	send_open(e, 2, MS_ROLE_SERVER, 0);
	scan_opaque(e, 1, 1 * MS); /* the ClientHello was classified: within the grace */
	scan_opaque(e, 2, 1 * MS);
	send_tls(e, 1, MS_DIR_EGRESS, NULL, 0, 0, 2 * MS); /* handshake marks */
	send_tls(e, 2, MS_DIR_EGRESS, NULL, 0, 0, 2 * MS);
	scan_opaque(e, 1, 5000 * MS); /* past the grace, but marked: it waits */
	cipher.len = 20;
	assert_int_equal(flowtab_handle_event(&e->ft, &cipher, sizeof(cipher)), 0);
	/* The request in two SSL_write calls, read in one SSL_read. */
	send_clear(e, 1, MS_DIR_EGRESS, "GET /items?secret=1 HTTP/1.1\r\n", 10 * MS);
	send_clear(e, 1, MS_DIR_EGRESS, "Host: shop\r\n\r\n", 10 * MS);
	send_clear(e, 2, MS_DIR_INGRESS, REQ, 11 * MS);
	send_clear(e, 2, MS_DIR_EGRESS, RESP, 20 * MS);
	send_clear(e, 1, MS_DIR_INGRESS, RESP, 21 * MS);
	send_close(e, 1, 50 * MS);
	send_close(e, 2, 50 * MS);

	assert_null(the_edge(e, EDGE_PROTO_TCP));
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_true(edge->tls);
	assert_false(edge->mutual_tls);
	assert_false(edge->partial); /* the ciphertext was no gap: it was ignored */
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 1);
	assert_int_equal(edge->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(edge->view[REPORTER_SOURCE].statuses[0].code, 200);
	assert_int_equal(e->ft.stats.events[MS_EV_TLS_DATA], 7);
	assert_int_equal(e->ft.stats.tls_late, 0);
}

/* Keep-alive with a response longer than the capture: each request once. */
static void test_keepalive_and_cut_response(void **state)
{
	const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
	struct env *e = *state;
	struct edge *edge;
	int i;

	send_open(e, 3, MS_ROLE_CLIENT, 0);
	for (i = 0; i < 3; i++) {
		send_clear(e, 3, MS_DIR_EGRESS, REQ, (10 + 10 * i) * MS);
		/* One SSL_read of the whole response; only the head was captured. */
		send_tls(e, 3, MS_DIR_INGRESS, head, strlen(head), strlen(head) + 5000,
			 (15 + 10 * i) * MS);
	}
	send_close(e, 3, 100 * MS);
	edge = the_edge(e, EDGE_PROTO_HTTP);
	assert_non_null(edge);
	assert_true(edge->tls);
	assert_int_equal(edge->view[REPORTER_SOURCE].requests, 3);
	assert_false(edge->partial);
}

/* No mark: an opaque connection is tcp once the grace is over, and late bytes are counted. */
static void test_opaque_without_mark_is_tcp_after_grace(void **state)
{
	struct env *e = *state;
	struct edge *edge;

	send_open(e, 4, MS_ROLE_CLIENT, 0);
	scan_opaque(e, 4, 1000 * MS);
	assert_null(the_edge(e, EDGE_PROTO_TCP));
	scan_opaque(e, 4, FLOW_TLS_GRACE_NS + 2 * MS);
	edge = the_edge(e, EDGE_PROTO_TCP);
	assert_non_null(edge);
	assert_false(edge->tls);
	send_clear(e, 4, MS_DIR_EGRESS, REQ, FLOW_TLS_GRACE_NS + 3 * MS);
	assert_int_equal(e->ft.stats.tls_late, 1);
	assert_null(the_edge(e, EDGE_PROTO_HTTP));
}

/* Without the TLS probes (grace 0) the kernel's opaque verdict is final at once. */
static void test_no_grace_without_probes(void **state)
{
	struct env *e = *state;

	e->ft.tls_grace_ns = 0;
	send_open(e, 5, MS_ROLE_CLIENT, 0);
	scan_opaque(e, 5, 2 * MS);
	assert_non_null(the_edge(e, EDGE_PROTO_TCP));
}

/* Damaged records are refused and counted; clear bytes of no known connection too. */
static void test_bad_tls_records(void **state)
{
	struct env *e = *state;
	struct ms_tls_data_event ev = {.hdr = {MS_EV_TLS_DATA, 0, 6, 0}, .len = 10, .cap_len = 20};

	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev) + 20),
			 -EINVAL); /* cap > len */
	ev.cap_len = 5;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), -EINVAL); /* cap > size */
	ev.cap_len = 0;
	ev.dir = 2;
	assert_int_equal(flowtab_handle_event(&e->ft, &ev, sizeof(ev)), -EINVAL);
	assert_int_equal(e->ft.stats.malformed_events, 3);
	send_clear(e, 77, MS_DIR_EGRESS, REQ, 0);
	assert_int_equal(e->ft.stats.data_without_flow, 1);
	assert_int_equal(e->agg.edges.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clear_bytes_count_on_the_socket_flow, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_and_cut_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opaque_without_mark_is_tcp_after_grace, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_no_grace_without_probes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_tls_records, setup, teardown),
	};

	return cmocka_run_group_tests_name("tls_flows", tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/aggregator.c: what one edge counts from finished HTTP
 * transactions and TCP updates, the two reporter views, and the memory
 * bounds (edge limit with LRU eviction, idle expiry). Runs under ASan/LSan,
 * so agg_free leaving anything behind fails the run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/aggregator.h"
#include "test_util.h"

#define MS(x) ((uint64_t)(x)*1000000ULL)

/* A finished transaction; latency_ns 0 with status 0 means no response. */
static struct http1_txn txn(uint16_t status, uint64_t latency_ns, uint64_t req_bytes,
			    uint64_t resp_bytes)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	strcpy(t.path, "/");
	t.version_minor = 1;
	t.status = status;
	t.req_start_ns = MS(1000);
	if (status) {
		t.resp_start_ns = t.req_start_ns + latency_ns;
		t.resp_end_ns = t.resp_start_ns + 1;
	}
	t.req_bytes = req_bytes;
	t.resp_bytes = resp_bytes;
	return t;
}

static struct edge *new_edge(struct aggregator *a, uint8_t src_host, uint64_t now)
{
	struct edge_key k = key_of(src_host, 200, 80, EDGE_PROTO_HTTP);
	struct edge *e = agg_edge(a, &k, now);

	assert_non_null(e);
	return e;
}

static void record_at(struct aggregator *a, struct edge *e, enum edge_reporter r, uint16_t status,
		      uint64_t latency_ns, uint64_t now)
{
	struct http1_txn t = txn(status, latency_ns, 100, 1000);

	agg_record_http(a, e, r, &t, now);
}

static void record(struct aggregator *a, struct edge *e, enum edge_reporter r, uint16_t status,
		   uint64_t latency_ns)
{
	record_at(a, e, r, status, latency_ns, 1);
}

static void test_http_requests_errors_statuses(void **state)
{
	static const uint16_t codes[] = {200, 404, 503, 200, 0, 500, 200, 301, 404};
	struct aggregator a;
	struct edge *e;
	struct edge_view *v;
	size_t i;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 0), 0);
	e = new_edge(&a, 1, 1);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		record(&a, e, REPORTER_SOURCE, codes[i], MS(10));
	v = &e->view[REPORTER_SOURCE];

	assert_true(v->seen);
	assert_false(e->view[REPORTER_DESTINATION].seen);
	assert_int_equal(v->requests, 9);
	/* 503, 500 and the request that got no response; 404s are not errors. */
	assert_int_equal(v->errors, 3);
	assert_true(edge_is_error_status(0));
	assert_true(edge_is_error_status(500));
	assert_true(edge_is_error_status(599));
	assert_false(edge_is_error_status(499));
	assert_false(edge_is_error_status(200));

	/* Sorted by code, each counted. */
	assert_int_equal(v->nstatuses, 6);
	assert_int_equal(v->statuses[0].code, 0);
	assert_int_equal(v->statuses[0].count, 1);
	assert_int_equal(v->statuses[1].code, 200);
	assert_int_equal(v->statuses[1].count, 3);
	assert_int_equal(v->statuses[2].code, 301);
	assert_int_equal(v->statuses[2].count, 1);
	assert_int_equal(v->statuses[3].code, 404);
	assert_int_equal(v->statuses[3].count, 2);
	assert_int_equal(v->statuses[4].code, 500);
	assert_int_equal(v->statuses[4].count, 1);
	assert_int_equal(v->statuses[5].code, 503);
	assert_int_equal(v->statuses[5].count, 1);

	/* Bytes of every transaction, answered or not. */
	assert_int_equal(v->request_bytes, 900);
	assert_int_equal(v->response_bytes, 9000);
	/* The unanswered request has no latency. */
	assert_int_equal(v->latency.count, 8);
	agg_free(&a);
}

static void test_latency_buckets_are_upper_inclusive(void **state)
{
	struct aggregator a;
	struct edge_view *v;
	struct edge *e;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 0), 0);
	e = new_edge(&a, 1, 1);
	v = &e->view[REPORTER_DESTINATION];

	assert_true(edge_latency_bounds_s[22] == 0.06);
	record(&a, e, REPORTER_DESTINATION, 200, MS(50)); /* (0.04, 0.06] */
	assert_int_equal(v->latency_buckets[22], 1);
	record(&a, e, REPORTER_DESTINATION, 200, MS(60)); /* le="0.06" includes 0.06 */
	assert_int_equal(v->latency_buckets[22], 2);
	record(&a, e, REPORTER_DESTINATION, 200, MS(5)); /* (0.004, 0.006] */
	assert_int_equal(v->latency_buckets[15], 1);
	record(&a, e, REPORTER_DESTINATION, 200, 1000); /* 1 us: le="4e-05" */
	assert_int_equal(v->latency_buckets[0], 1);
	record(&a, e, REPORTER_DESTINATION, 200, MS(10001)); /* above 10 s: +Inf */
	assert_int_equal(v->latency_buckets[EDGE_LATENCY_BOUNDS], 1);

	assert_int_equal(v->latency.count, 5);
	assert_int_equal(v->latency_sum_ns, MS(50) + MS(60) + MS(5) + 1000 + MS(10001));
	assert_int_equal(v->latency.max_ns, MS(10001));
	agg_free(&a);
}

static void assert_within_1pct(uint64_t got, uint64_t want)
{
	double rel = ((double)got - (double)want) / (double)want;

	if (rel > 0.01 || rel < -0.01)
		fail_msg("got %llu, want %llu within 1%%", (unsigned long long)got,
			 (unsigned long long)want);
}

static void test_latency_quantiles(void **state)
{
	struct aggregator a;
	struct edge_view *v;
	struct edge *e;
	uint32_t i;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 0), 0);
	e = new_edge(&a, 1, 1);
	/* 1 ms .. 1001 ms, in an order that is not sorted. */
	for (i = 0; i < 1001; i++)
		record(&a, e, REPORTER_SOURCE, 200, MS(1 + (i * 389) % 1001));
	v = &e->view[REPORTER_SOURCE];

	assert_within_1pct(sketch_quantile(&v->latency, 0.50), MS(501));
	assert_within_1pct(sketch_quantile(&v->latency, 0.95), MS(951));
	assert_within_1pct(sketch_quantile(&v->latency, 0.99), MS(991));
	assert_int_equal(v->latency.max_ns, MS(1001));
	agg_free(&a);
}

static void test_reporters_are_independent(void **state)
{
	enum edge_reporter which;
	const struct edge_view *pv;
	struct aggregator a;
	struct edge *e;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 0), 0);
	e = new_edge(&a, 1, 1);
	/* Only the client's socket saw it so far: its view is the one to read. */
	record(&a, e, REPORTER_SOURCE, 200, MS(2));
	record(&a, e, REPORTER_SOURCE, 500, MS(2));
	pv = edge_primary_view(e, &which);
	assert_int_equal(which, REPORTER_SOURCE);
	assert_ptr_equal(pv, &e->view[REPORTER_SOURCE]);

	/* The server's socket saw other requests: counted apart. */
	record(&a, e, REPORTER_DESTINATION, 404, MS(1));
	assert_int_equal(e->view[REPORTER_SOURCE].requests, 2);
	assert_int_equal(e->view[REPORTER_SOURCE].errors, 1);
	assert_int_equal(e->view[REPORTER_SOURCE].nstatuses, 2);
	assert_int_equal(e->view[REPORTER_SOURCE].latency.count, 2);
	assert_int_equal(e->view[REPORTER_DESTINATION].requests, 1);
	assert_int_equal(e->view[REPORTER_DESTINATION].errors, 0);
	assert_int_equal(e->view[REPORTER_DESTINATION].nstatuses, 1);
	assert_int_equal(e->view[REPORTER_DESTINATION].statuses[0].code, 404);
	assert_int_equal(e->view[REPORTER_DESTINATION].latency.count, 1);

	/* Once the destination has seen the edge it is preferred. */
	pv = edge_primary_view(e, &which);
	assert_int_equal(which, REPORTER_DESTINATION);
	assert_ptr_equal(pv, &e->view[REPORTER_DESTINATION]);
	assert_ptr_equal(edge_primary_view(e, NULL), &e->view[REPORTER_DESTINATION]);
	agg_free(&a);
}

static void test_tcp_open_close(void **state)
{
	struct edge_key k = key_of(1, 2, 5432, EDGE_PROTO_TCP);
	struct aggregator a;
	struct edge_view *v;
	struct edge *e;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 0), 0);
	e = agg_edge(&a, &k, 10);
	assert_non_null(e);
	assert_ptr_equal(agg_edge(&a, &k, 11), e); /* find, not a second edge */
	assert_ptr_equal(agg_find(&a, &k), e);
	assert_int_equal(a.stats.edges_created, 1);
	v = &e->view[REPORTER_SOURCE];

	agg_record_open(&a, e, REPORTER_SOURCE, 20);
	agg_record_open(&a, e, REPORTER_SOURCE, 21);
	agg_record_tcp(&a, e, REPORTER_SOURCE, 100, 2000, 1, 150, 30);
	agg_record_tcp(&a, e, REPORTER_SOURCE, 50, 500, 2, 0, 31); /* no new RTT sample */
	agg_record_close(&a, e, REPORTER_SOURCE, false, 40);
	agg_record_close(&a, e, REPORTER_SOURCE, true, 41);

	assert_true(v->seen);
	assert_int_equal(v->conns_opened, 2);
	assert_int_equal(v->conns_closed, 2);
	assert_int_equal(v->conns_reset, 1);
	assert_int_equal(v->bytes_sent, 150);
	assert_int_equal(v->bytes_received, 2500);
	assert_int_equal(v->retransmits, 3);
	assert_int_equal(v->srtt_us, 150);
	agg_record_tcp(&a, e, REPORTER_SOURCE, 1, 0, 0, 90, 42);
	assert_int_equal(v->srtt_us, 90);
	/* TCP updates leave the HTTP counters alone. */
	assert_int_equal(v->requests, 0);
	assert_int_equal(v->latency.count, 0);
	assert_int_equal(e->last_ns, 42);
	assert_false(e->view[REPORTER_DESTINATION].seen);
	agg_free(&a);
}

static void test_limit_evicts_least_recently_updated(void **state)
{
	struct edge_key ka = key_of(1, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kb = key_of(2, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kc = key_of(3, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kd = key_of(4, 200, 80, EDGE_PROTO_HTTP);
	struct edge *ea, *eb, *ec;
	struct aggregator a;

	(void)state;
	assert_int_equal(agg_init(&a, 3, 0), 0);
	ea = agg_edge(&a, &ka, 1);
	eb = agg_edge(&a, &kb, 2);
	ec = agg_edge(&a, &kc, 3);
	assert_non_null(ea);
	assert_non_null(eb);
	assert_non_null(ec);
	/* a is the oldest edge but the most recently updated one. */
	record_at(&a, ea, REPORTER_SOURCE, 200, MS(1), 4);
	agg_record_open(&a, ec, REPORTER_SOURCE, 5);

	assert_non_null(agg_edge(&a, &kd, 6));
	assert_int_equal(a.edges.count, 3);
	assert_int_equal(a.stats.evicted_limit, 1);
	assert_null(agg_find(&a, &kb));
	assert_ptr_equal(agg_find(&a, &ka), ea);
	assert_ptr_equal(agg_find(&a, &kc), ec);
	assert_non_null(agg_find(&a, &kd));
	assert_int_equal(ea->view[REPORTER_SOURCE].requests, 1);

	/* Next to go is a (updated before c and d were). */
	assert_non_null(agg_edge(&a, &kb, 7));
	assert_int_equal(a.stats.evicted_limit, 2);
	assert_null(agg_find(&a, &ka));
	assert_int_equal(a.stats.edges_created, 5);
	assert_int_equal(a.stats.evicted_idle, 0);
	agg_free(&a);
}

static void test_expire_drops_only_idle_edges(void **state)
{
	struct edge_key ka = key_of(1, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kb = key_of(2, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kc = key_of(3, 200, 80, EDGE_PROTO_HTTP);
	struct edge_key kd = key_of(4, 200, 80, EDGE_PROTO_HTTP);
	struct aggregator a;
	struct edge *ea;

	(void)state;
	assert_int_equal(agg_init(&a, 16, 1000), 0);
	ea = agg_edge(&a, &ka, 100);
	assert_non_null(agg_edge(&a, &kb, 200));
	assert_non_null(agg_edge(&a, &kc, 1000));
	assert_non_null(agg_edge(&a, &kd, 1500));
	/* a was created first but updated last. */
	record_at(&a, ea, REPORTER_SOURCE, 200, MS(1), 1600);

	agg_expire(&a, 1100); /* nothing idle for more than 1000 yet */
	assert_int_equal(a.edges.count, 4);
	assert_int_equal(a.stats.evicted_idle, 0);

	/* At 2000: b idle 1800 goes, c idle exactly 1000 stays, d and a stay. */
	agg_expire(&a, 2000);
	assert_int_equal(a.edges.count, 3);
	assert_int_equal(a.stats.evicted_idle, 1);
	assert_null(agg_find(&a, &kb));
	assert_non_null(agg_find(&a, &kc));
	assert_non_null(agg_find(&a, &kd));
	assert_non_null(agg_find(&a, &ka));

	agg_expire(&a, 2501); /* c (1501) and d (1001) idle, a (901) not */
	assert_int_equal(a.edges.count, 1);
	assert_int_equal(a.stats.evicted_idle, 3);
	assert_ptr_equal(agg_find(&a, &ka), ea);
	assert_int_equal(a.stats.evicted_limit, 0);
	agg_free(&a);
}

static const struct edge_series *find_series(const struct edge_view *v, const char *method,
					     uint16_t status)
{
	uint16_t i;

	for (i = 0; i < v->nseries; i++)
		if (v->series[i].status == status && !strcmp(v->series[i].method, method))
			return &v->series[i];
	return NULL;
}

/* Histograms per (method, status, version), unknown methods folded into _OTHER. */
static void test_series_by_method_and_status(void **state)
{
	struct aggregator a;
	struct edge *e;
	struct http1_txn t;
	const struct edge_series *s;
	const struct edge_view *v;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	e = new_edge(&a, 1, 1);
	t = txn(200, MS(30), 1, 1);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(2000));
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(2000));
	strcpy(t.method, "PROPFIND");
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(2000));
	strcpy(t.method, "BREW");
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(2000));
	t = txn(0, 0, 1, 0); /* no response: lasts until the close at now */
	strcpy(t.method, "POST");
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(1250));

	v = &e->view[REPORTER_DESTINATION];
	assert_int_equal(v->nseries, 3);
	s = find_series(v, "GET", 200);
	assert_non_null(s);
	assert_int_equal(s->count, 2);
	assert_int_equal(s->sum_ns, MS(60));
	assert_int_equal(s->buckets[20], 2); /* 30 ms <= 0.03 s */
	s = find_series(v, "_OTHER", 200);
	assert_non_null(s);
	assert_int_equal(s->count, 2);
	s = find_series(v, "POST", 0);
	assert_non_null(s);
	assert_int_equal(s->max_ns, MS(250));
	assert_string_equal(edge_method_class("PATCH"), "PATCH");
	assert_string_equal(edge_method_class("get"), "_OTHER");
	agg_free(&a);
}

/* One transaction with exact timestamps and sizes, in ns from a fixed start. */
static struct http1_txn istio_txn(uint16_t status, uint64_t resp_start, uint64_t resp_end,
				  uint64_t req_bytes, uint64_t resp_bytes)
{
	struct http1_txn t = txn(status, 0, req_bytes, resp_bytes);

	t.resp_start_ns = resp_start ? t.req_start_ns + resp_start : 0;
	t.resp_end_ns = resp_end ? t.req_start_ns + resp_end : 0;
	return t;
}

/*
 * Istio's histograms: Envoy's bounds, upper-inclusive, on the exact values;
 * the duration runs to the response's last byte (or the close when none came).
 */
/* Prometheus' histogram_quantile over a view's buckets: linear within a bucket. */
static double prom_quantile(const struct edge_view *v, double q)
{
	double rank = q * (double)v->latency.count, lower = 0, cum = 0;
	int b;

	for (b = 0; b < EDGE_LATENCY_BOUNDS; b++) {
		double n = (double)v->latency_buckets[b];

		if (cum + n >= rank && n > 0)
			return lower + (edge_latency_bounds_s[b] - lower) * (rank - cum) / n;
		cum += n;
		lower = edge_latency_bounds_s[b];
	}
	return edge_latency_bounds_s[EDGE_LATENCY_BOUNDS - 1]; /* +Inf: the last bound */
}

/*
 * The buckets resolve mesh latencies: for any latency from 50 us to 10 s,
 * all requests alike (the worst case for interpolation), the median
 * Prometheus computes is within 25% of the true one.
 */
static void test_buckets_resolve_median_within_25_percent(void **state)
{
	double worst = 0;
	int i;

	(void)state;
	for (i = 0; i <= 400; i++) {
		uint64_t ns = (uint64_t)(50e3 * pow(10e9 / 50e3, i / 400.0));
		struct aggregator a;
		struct edge *e;
		double got, err;
		int k;

		assert_int_equal(agg_init(&a, 4, 0), 0);
		e = new_edge(&a, 1, 1);
		for (k = 0; k < 20; k++)
			record(&a, e, REPORTER_DESTINATION, 200, ns);
		got = prom_quantile(&e->view[REPORTER_DESTINATION], 0.5);
		err = fabs(got - ns / 1e9) / (ns / 1e9);
		if (err > worst)
			worst = err;
		if (err > 0.25)
			fail_msg("%.6f s reads as %.6f s (%.0f%% off)", ns / 1e9, got, err * 100);
		agg_free(&a);
	}
	print_message("worst median error 50 us - 10 s: %.1f%%\n", worst * 100);
}

static uint64_t cumulative(const uint64_t *buckets, int upto)
{
	uint64_t sum = 0;
	int b;

	for (b = 0; b <= upto; b++)
		sum += buckets[b];
	return sum;
}

static void test_istio_envoy_histograms(void **state)
{
	const uint64_t us = 1000;
	struct aggregator a;
	struct edge *e;
	struct http1_txn t;
	const struct edge_series *s;
	const struct edge_view *v;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	e = new_edge(&a, 1, 1);
	/* 0.5 ms exactly; 0 and 1000 bytes sit on bounds 0.5 and 1000. */
	t = istio_txn(200, 300 * us, 500 * us, 0, 1000);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(5000));
	/* 1 ns past 0.5 ms; 1 and 1001 bytes. */
	t = istio_txn(200, 300 * us, 500 * us + 1, 1, 1001);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(5000));
	/* First byte at 4 ms (the OTel histogram's value), last at 20 ms. */
	t = istio_txn(200, MS(4), MS(20), 100, 5000);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(5000));
	/* Past the last bound: one hour and a nanosecond. */
	t = istio_txn(200, MS(1), MS(3600000) + 1, 100, 100);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(5000));
	/* No response: the request started at 1000 ms and the close came at 1040 ms. */
	t = istio_txn(0, 0, 0, 70, 0);
	agg_record_http(&a, e, REPORTER_DESTINATION, &t, MS(1040));

	v = &e->view[REPORTER_DESTINATION];
	s = find_series(v, "GET", 200);
	assert_non_null(s);
	assert_int_equal(s->istio_duration.buckets[0], 1);  /* le=0.5 */
	assert_int_equal(s->istio_duration.buckets[1], 1);  /* le=1 */
	assert_int_equal(s->istio_duration.buckets[4], 1);  /* le=25, not le=5 */
	assert_int_equal(s->istio_duration.buckets[19], 1); /* +Inf */
	assert_int_equal(s->istio_duration.sum, 500 * us + 500 * us + 1 + MS(20) + MS(3600000) + 1);
	assert_int_equal(s->istio_request_bytes.buckets[0], 1); /* 0 <= 0.5 */
	assert_int_equal(s->istio_request_bytes.buckets[1], 1); /* 1 */
	assert_int_equal(s->istio_request_bytes.buckets[6], 2); /* 100 <= 100 */
	assert_int_equal(s->istio_request_bytes.sum, 201);
	assert_int_equal(s->istio_response_bytes.buckets[9], 1);  /* 1000 <= 1000 */
	assert_int_equal(s->istio_response_bytes.buckets[10], 1); /* 1001 <= 2500 */
	assert_int_equal(s->istio_response_bytes.buckets[11], 1); /* 5000 <= 5000 */
	assert_int_equal(s->istio_response_bytes.buckets[6], 1);  /* 100 */
	assert_int_equal(s->istio_response_bytes.sum, 1000 + 1001 + 5000 + 100);
	/* The OTel histogram still measures to the first byte: all four are <= 4 ms. */
	assert_int_equal(cumulative(s->buckets, 14), 4);
	assert_int_equal(cumulative(s->buckets, 13), 3); /* 4 ms is not <= 3 ms */

	s = find_series(v, "GET", 0);
	assert_non_null(s);
	assert_int_equal(s->istio_duration.buckets[5], 1); /* 40 ms <= 50 */
	assert_int_equal(s->istio_duration.sum, MS(40));
	assert_int_equal(s->istio_request_bytes.buckets[6], 1); /* 50 < 70 <= 100 */
	assert_int_equal(s->istio_response_bytes.buckets[0], 1);
	/* The source view saw none of it. */
	assert_int_equal(e->view[REPORTER_SOURCE].nseries, 0);
	agg_free(&a);
}

static void test_free_releases_everything(void **state)
{
	struct aggregator a;
	struct edge *e;
	uint32_t i;

	(void)state;
	/* Edges with status arrays and grown sketches, some evicted, the rest freed. */
	assert_int_equal(agg_init(&a, 64, 0), 0);
	for (i = 0; i < 100; i++) {
		struct edge_key k = key_of((uint8_t)i, 200, (uint16_t)(80 + i), EDGE_PROTO_HTTP);

		e = agg_edge(&a, &k, i);
		assert_non_null(e);
		record(&a, e, REPORTER_SOURCE, (uint16_t)(200 + i), 1000 + i * 1000000);
		record(&a, e, REPORTER_DESTINATION, 503, MS(i));
	}
	assert_int_equal(a.edges.count, 64);
	assert_int_equal(a.stats.evicted_limit, 36);
	agg_free(&a);
	assert_null(a.lru_head);
	assert_null(a.lru_tail);
	assert_int_equal(a.edges.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_requests_errors_statuses),
	    cmocka_unit_test(test_latency_buckets_are_upper_inclusive),
	    cmocka_unit_test(test_buckets_resolve_median_within_25_percent),
	    cmocka_unit_test(test_latency_quantiles),
	    cmocka_unit_test(test_reporters_are_independent),
	    cmocka_unit_test(test_tcp_open_close),
	    cmocka_unit_test(test_limit_evicts_least_recently_updated),
	    cmocka_unit_test(test_expire_drops_only_idle_edges),
	    cmocka_unit_test(test_series_by_method_and_status),
	    cmocka_unit_test(test_istio_envoy_histograms),
	    cmocka_unit_test(test_free_releases_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

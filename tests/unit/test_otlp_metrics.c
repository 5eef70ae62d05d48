// SPDX-License-Identifier: BSD-2-Clause
/*
 * Edges -> OTLP metrics request: point counts per metric family, and delta
 * temporality resetting only the per-series histograms (what /api/v1/edges
 * and /metrics read stays cumulative). The wire format itself is checked
 * end to end against a real OTLP decoder (tests/e2e/test_otlp.sh).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "otlp_metrics.h"

#define MS 1000000ULL

static void fill(struct aggregator *a)
{
	struct edge_key k = {.dst_port = 8080, .proto = EDGE_PROTO_HTTP};
	struct http1_txn t;
	struct edge *e;
	int i;

	k.src_addr[10] = k.src_addr[11] = k.dst_addr[10] = k.dst_addr[11] = 0xff;
	k.src_addr[15] = 1;
	k.dst_addr[15] = 2;
	e = agg_edge(a, &k, 1);
	assert_non_null(e);
	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	t.version_minor = 1;
	t.req_start_ns = 10 * MS;
	t.resp_start_ns = 40 * MS;
	t.resp_end_ns = 41 * MS;
	for (i = 0; i < 3; i++) {
		t.status = i == 2 ? 503 : 200;
		agg_record_http(a, e, REPORTER_DESTINATION, &t, 50 * MS);
		agg_record_http(a, e, REPORTER_SOURCE, &t, 50 * MS);
	}
	agg_record_open(a, e, REPORTER_DESTINATION, 1);
	agg_record_open(a, e, REPORTER_SOURCE, 1);
}

static uint64_t build(struct aggregator *a, enum otlp_temporality temp, bool json, size_t *len)
{
	struct naming n = {0};
	struct otlp_metrics_opts o = {
	    .temporality = temp,
	    .now_unix_ns = 1700000000000000000ULL,
	    .mono_to_unix_ns = 1690000000000000000ULL,
	    .agent_service_name = "meshsight",
	    .host_name = "node-1",
	    .scope_version = "test",
	    .json = json,
	};
	struct otlp_buf out = {0};
	uint64_t points = 0;

	assert_int_equal(otlp_build_metrics(a, &n, &o, &out, &points), 0);
	assert_true(out.len > 0);
	if (json)
		assert_non_null(memmem(out.data, out.len, "http.server.request.duration", 28));
	*len = out.len;
	otlp_buf_free(&out);
	return points;
}

/*
 * Per view: 2 duration points (GET 200, GET 503) + 5 TCP sums (no RTT seen yet);
 * service graph: total, failed, server and client histograms.
 */
static void test_points_per_family(void **state)
{
	struct aggregator a;
	size_t len;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	fill(&a);
	assert_int_equal(build(&a, OTLP_TEMPORALITY_CUMULATIVE, false, &len), 2 * (2 + 5) + 4);
	/* cumulative: building again changes nothing */
	assert_int_equal(build(&a, OTLP_TEMPORALITY_CUMULATIVE, true, &len), 2 * (2 + 5) + 4);
	agg_free(&a);
}

static void test_delta_resets_series_only(void **state)
{
	struct aggregator a;
	struct edge *e;
	size_t len;

	(void)state;
	assert_int_equal(agg_init(&a, 10, 0), 0);
	fill(&a);
	assert_int_equal(build(&a, OTLP_TEMPORALITY_DELTA, false, &len), 2 * (2 + 5) + 4);
	/* the next interval had no request: no duration points, the rest is unchanged */
	assert_int_equal(build(&a, OTLP_TEMPORALITY_DELTA, false, &len), 2 * 5 + 4);
	e = a.lru_head;
	assert_int_equal(e->view[REPORTER_DESTINATION].nseries, 0);
	assert_int_equal(e->view[REPORTER_DESTINATION].requests, 3);
	assert_int_equal(e->view[REPORTER_DESTINATION].latency.count, 3);
	agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_points_per_family),
	    cmocka_unit_test(test_delta_resets_series_only),
	};

	return cmocka_run_group_tests_name("otlp_metrics", tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Spans: W3C traceparent validation, the two ends of one request computing
 * the same trace independently, sampling decisions shared by both ends, the
 * spans-per-second ceiling that never drops errors, and the queue bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace_context.h"
#include "otlp/traces.h"

#define MS 1000000ULL

static struct span_config cfg(uint32_t per_second, uint32_t queue)
{
	struct span_config c = {
	    .root = SAMPLER_ALWAYS_ON,
	    .parent_based = true,
	    .ratio = 1,
	    .max_queue = queue,
	    .max_batch = queue,
	    .schedule_delay_ms = 5000,
	    .max_per_second = per_second,
	};
	return c;
}

static struct flow_txn_info info_of(bool client, uint64_t index)
{
	struct flow_txn_info i;

	memset(&i, 0, sizeof(i));
	i.client_addr[15] = 1;
	i.server_addr[15] = 2;
	i.client_port = 40000;
	i.server_port = 8080;
	i.client_isn = 12345;
	i.index = index;
	i.local_is_client = client;
	i.peer_local = true;
	i.end_ns = 10 * MS;
	return i;
}

static struct http1_txn txn_of(uint16_t status, const char *traceparent)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	strcpy(t.path, "/a");
	t.version_minor = 1;
	t.status = status;
	t.req_start_ns = 1 * MS;
	t.resp_start_ns = 2 * MS;
	t.resp_end_ns = 3 * MS;
	snprintf(t.traceparent, sizeof(t.traceparent), "%s", traceparent);
	return t;
}

static void test_traceparent_validation(void **state)
{
	uint8_t tid[16], pid[8], flags;

	(void)state;
	assert_true(traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
				      tid, pid, &flags));
	assert_int_equal(tid[0], 0x4b);
	assert_int_equal(pid[7], 0xb7);
	assert_int_equal(flags, 1);
	/* all-zero ids, version ff, uppercase hex, wrong length: invalid */
	assert_false(traceparent_parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01",
				       tid, pid, &flags));
	assert_false(traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
				       tid, pid, &flags));
	assert_false(traceparent_parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
				       tid, pid, &flags));
	assert_false(traceparent_parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
				       tid, pid, &flags));
	assert_false(traceparent_parse("00-4bf9-00f0-01", tid, pid, &flags));
}

/* Client and server compute one trace; the server span's parent is the client span. */
static void test_both_ends_agree(void **state)
{
	struct span_config c = cfg(0, 16);
	struct span_buffer b;
	struct flow_txn_info ci = info_of(true, 3), si = info_of(false, 3);
	struct http1_txn t = txn_of(200, "");
	const struct span_rec *cs, *ss;

	(void)state;
	assert_int_equal(spans_init(&b, &c), 0);
	spans_on_txn(&b, &ci, &t);
	spans_on_txn(&b, &si, &t);
	assert_int_equal(b.count, 2);
	cs = &b.recs[0];
	ss = &b.recs[1];
	assert_false(cs->server);
	assert_true(ss->server);
	assert_memory_equal(cs->trace_id, ss->trace_id, 16);
	assert_memory_equal(ss->parent_id, cs->span_id, 8);
	assert_memory_not_equal(cs->span_id, ss->span_id, 8);
	/* the next request on the connection is another trace */
	ci.index = 4;
	spans_on_txn(&b, &ci, &t);
	assert_memory_not_equal(b.recs[2].trace_id, cs->trace_id, 16);
	spans_free(&b);
}

/* gRPC streams keep what the RPC conventions need; grpc-message only via the info. */
static void test_grpc_records(void **state)
{
	struct span_config c = cfg(0, 16);
	struct span_buffer b;
	struct flow_txn_info si = info_of(false, 0);
	struct http1_txn t = txn_of(200, "");

	(void)state;
	assert_int_equal(spans_init(&b, &c), 0);
	strcpy(t.method, "POST");
	strcpy(t.path, "/demo.Echo/Fail");
	t.flags = HTTP1_TXN_F_H2 | HTTP1_TXN_F_GRPC | HTTP1_TXN_F_GRPC_STATUS;
	t.grpc_status = 5;
	si.grpc_message = "no such item";
	spans_on_txn(&b, &si, &t);
	t.flags = HTTP1_TXN_F_H2 | HTTP1_TXN_F_GRPC | HTTP1_TXN_F_STREAM_RESET;
	t.status = 0;
	si.grpc_message = NULL;
	si.index = 1;
	spans_on_txn(&b, &si, &t);
	assert_int_equal(b.count, 2);
	assert_true(b.recs[0].grpc);
	assert_int_equal(b.recs[0].version_major, 2);
	assert_int_equal(b.recs[0].grpc_status, 5);
	assert_string_equal(b.recs[0].grpc_message, "no such item");
	assert_false(b.recs[0].failed);
	assert_true(b.recs[1].failed);
	assert_int_equal(b.recs[1].grpc_status, -1);
	assert_string_equal(b.recs[1].grpc_message, "");
	spans_free(&b);
}

/* A server whose client is not local has no parent it could point to. */
static void test_remote_client_is_root(void **state)
{
	struct span_config c = cfg(0, 4);
	struct span_buffer b;
	struct flow_txn_info si = info_of(false, 0);
	struct http1_txn t = txn_of(200, "");
	static const uint8_t zero[8];

	(void)state;
	si.peer_local = false;
	assert_int_equal(spans_init(&b, &c), 0);
	spans_on_txn(&b, &si, &t);
	assert_memory_equal(b.recs[0].parent_id, zero, 8);
	spans_free(&b);
}

/* parentbased: an unsampled traceparent drops both spans; a sampled one keeps them. */
static void test_parent_based_sampling(void **state)
{
	struct span_config c = cfg(0, 8);
	struct span_buffer b;
	struct flow_txn_info ci = info_of(true, 0);
	struct http1_txn no =
	    txn_of(200, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
	struct http1_txn yes =
	    txn_of(200, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

	(void)state;
	assert_int_equal(spans_init(&b, &c), 0);
	spans_on_txn(&b, &ci, &no);
	assert_int_equal(b.count, 0);
	assert_int_equal(b.stats.sampled_out, 1);
	spans_on_txn(&b, &ci, &yes);
	assert_int_equal(b.count, 1);
	spans_free(&b);
}

/* traceidratio keeps about the ratio, and the same decision for both ends. */
static void test_ratio_sampling(void **state)
{
	struct span_config c = cfg(0, 20000);
	struct span_buffer b;
	struct http1_txn t = txn_of(200, "");
	uint64_t i;

	(void)state;
	c.root = SAMPLER_RATIO;
	c.ratio = 0.25;
	assert_int_equal(spans_init(&b, &c), 0);
	for (i = 0; i < 4000; i++) {
		struct flow_txn_info ci = info_of(true, i), si = info_of(false, i);
		size_t before = b.count;

		spans_on_txn(&b, &ci, &t);
		spans_on_txn(&b, &si, &t);
		assert_true(b.count - before == 0 || b.count - before == 2);
	}
	assert_in_range(b.count, 2 * 4000 * 0.22, 2 * 4000 * 0.28);
	spans_free(&b);
}

/* The ceiling drops successes past the rate but keeps every error. */
static void test_ceiling_keeps_errors(void **state)
{
	struct span_config c = cfg(10, 1000);
	struct span_buffer b;
	struct http1_txn ok = txn_of(200, ""), bad = txn_of(503, "");
	uint64_t i;

	(void)state;
	assert_int_equal(spans_init(&b, &c), 0);
	for (i = 0; i < 100; i++) {
		struct flow_txn_info ci = info_of(true, i);

		spans_on_txn(&b, &ci, i % 10 == 0 ? &bad : &ok);
	}
	assert_int_equal(b.stats.seen, 100);
	/* 10 tokens: the first 10 spans, then only the 9 remaining errors */
	assert_int_equal(b.count, 19);
	assert_int_equal(b.stats.ceiling_dropped, 81);
	assert_true(spans_effective_rate(&b) < 0.2);
	spans_free(&b);
}

static void test_queue_bound(void **state)
{
	struct span_config c = cfg(0, 4);
	struct span_buffer b;
	struct http1_txn t = txn_of(200, "");
	uint64_t i;

	(void)state;
	assert_int_equal(spans_init(&b, &c), 0);
	for (i = 0; i < 10; i++) {
		struct flow_txn_info ci = info_of(true, i);

		spans_on_txn(&b, &ci, &t);
	}
	assert_int_equal(b.count, 4);
	assert_int_equal(b.stats.queue_dropped, 6);
	spans_free(&b);
}

static const char *fake_env(const char *name)
{
	if (!strcmp(name, "OTEL_TRACES_SAMPLER"))
		return "parentbased_traceidratio";
	if (!strcmp(name, "OTEL_TRACES_SAMPLER_ARG"))
		return "0.5";
	if (!strcmp(name, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"))
		return "5000"; /* more than the queue: clamped to it */
	return NULL;
}

static const char *bad_env(const char *name)
{
	return strcmp(name, "OTEL_TRACES_SAMPLER") ? NULL : "jaeger_remote";
}

static void test_config_from_env(void **state)
{
	struct span_config c;
	char err[256];

	(void)state;
	assert_int_equal(span_config_from_env(&c, fake_env, err, sizeof(err)), 0);
	assert_int_equal(c.root, SAMPLER_RATIO);
	assert_true(c.parent_based);
	assert_true(c.ratio == 0.5);
	assert_int_equal(c.max_batch, 2048);
	assert_int_equal(span_config_from_env(&c, bad_env, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "OTEL_TRACES_SAMPLER 'jaeger_remote'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grpc_records),
	    cmocka_unit_test(test_traceparent_validation),
	    cmocka_unit_test(test_both_ends_agree),
	    cmocka_unit_test(test_remote_client_is_root),
	    cmocka_unit_test(test_parent_based_sampling),
	    cmocka_unit_test(test_ratio_sampling),
	    cmocka_unit_test(test_ceiling_keeps_errors),
	    cmocka_unit_test(test_queue_bound),
	    cmocka_unit_test(test_config_from_env),
	};

	return cmocka_run_group_tests_name("spans", tests, NULL, NULL);
}

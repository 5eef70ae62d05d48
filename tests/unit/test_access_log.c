// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/answers/access_log.c: which transactions are recorded (failures
 * only by default, once per request when both ends are local), the rate
 * ceiling, the ring, and what a record shows (no query: the parser's path).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answers/access_log.h"
#include "test_util.h"

#define NS_PER_S 1000000000ULL

static struct access_log al; /* large: not on the stack */

static void txn(uint16_t status, bool local_is_client, bool peer_local, uint64_t end_ns)
{
	struct flow_txn_info info;
	struct http1_txn t;

	memset(&info, 0, sizeof(info));
	memset(&t, 0, sizeof(t));
	to_addr("10.0.0.1", info.client_addr);
	to_addr("10.0.0.2", info.server_addr);
	info.client_port = 40000;
	info.server_port = 8080;
	info.local_is_client = local_is_client;
	info.peer_local = peer_local;
	info.end_ns = end_ns;
	snprintf(t.method, sizeof(t.method), "GET");
	snprintf(t.path, sizeof(t.path), "/orders");
	t.status = status;
	t.req_start_ns = end_ns - 2000000;
	t.resp_start_ns = status ? end_ns - 1000000 : 0;
	access_log_on_txn(&al, &info, &t);
}

static void test_errors_only_and_once(void **state)
{
	struct naming naming = {0};
	json_t *j, *r;

	(void)state;
	access_log_init(&al, ACCESS_LOG_ERRORS, 0, 0);
	txn(200, false, false, NS_PER_S);
	txn(404, false, false, NS_PER_S);
	txn(503, true, true, NS_PER_S);	 /* the client's copy of a local request */
	txn(503, false, true, NS_PER_S); /* the server's */
	txn(0, true, false, NS_PER_S);	 /* a remote server that never answered */
	assert_int_equal(al.recorded, 2);
	j = access_log_json(&al, &naming, 0);
	assert_int_equal(json_array_size(json_object_get(j, "records")), 2);
	r = json_array_get(json_object_get(j, "records"), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "status")), 503);
	assert_string_equal(json_string_value(json_object_get(r, "path")), "/orders");
	assert_string_equal(json_string_value(json_object_get(r, "reporter")), "destination");
	assert_true(json_real_value(json_object_get(r, "duration_ms")) > 0.99 &&
		    json_real_value(json_object_get(r, "duration_ms")) < 1.01);
	assert_int_equal(strlen(json_string_value(json_object_get(r, "trace_id"))), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(r, "span_id"))), 16);
	r = json_array_get(json_object_get(j, "records"), 1);
	assert_true(json_real_value(json_object_get(r, "duration_ms")) > 1.99); /* to the give-up */
	json_decref(j);
	j = access_log_json(&al, &naming, 1);
	assert_int_equal(json_array_size(json_object_get(j, "records")), 1);
	json_decref(j);
	access_log_free(&al);
}

static void test_modes(void **state)
{
	enum access_log_mode m;

	(void)state;
	assert_int_equal(access_log_mode_parse("all", &m), 0);
	assert_int_equal(m, ACCESS_LOG_ALL);
	assert_int_equal(access_log_mode_parse("verbose", &m), -EINVAL);
	access_log_init(&al, ACCESS_LOG_ALL, 0, 0);
	txn(200, false, false, NS_PER_S);
	assert_int_equal(al.recorded, 1);
	access_log_free(&al);
	access_log_init(&al, ACCESS_LOG_OFF, 0, 0);
	txn(500, false, false, NS_PER_S);
	assert_int_equal(al.recorded, 0);
	access_log_free(&al);
}

static void test_ceiling_and_ring(void **state)
{
	int i;

	(void)state;
	access_log_init(&al, ACCESS_LOG_ERRORS, 10, 0);
	for (i = 0; i < 50; i++)
		txn(500, false, false, 5 * NS_PER_S); /* one instant: the burst of 10 */
	assert_int_equal(al.recorded, 10);
	assert_int_equal(al.rate_dropped, 40);
	txn(500, false, false, 5 * NS_PER_S + NS_PER_S / 2); /* half a second: 5 more */
	assert_int_equal(al.recorded, 11);
	access_log_free(&al);
	access_log_init(&al, ACCESS_LOG_ERRORS, 0, 0);
	for (i = 0; i < ACCESS_LOG_RING + 7; i++)
		txn(500, false, false, NS_PER_S);
	assert_int_equal(al.count, ACCESS_LOG_RING);
	assert_int_equal(al.overwritten, 7);
	access_log_free(&al);
}

/* An exporter's cursor (otlp/logs.c): each record once; overwritten ones counted. */
static void test_since_cursor(void **state)
{
	static struct access_record out[ACCESS_LOG_RING];
	uint64_t cursor = 0, missed = 0;
	int i;

	(void)state;
	access_log_init(&al, ACCESS_LOG_ERRORS, 0, 0);
	txn(500, false, false, NS_PER_S);
	txn(502, false, false, NS_PER_S);
	assert_int_equal(access_log_since(&al, &cursor, out, 1, &missed), 1);
	assert_int_equal(out[0].status, 500);
	assert_int_equal(access_log_since(&al, &cursor, out, 8, &missed), 1);
	assert_int_equal(out[0].status, 502);
	assert_int_equal(access_log_since(&al, &cursor, out, 8, &missed), 0);
	for (i = 0; i < ACCESS_LOG_RING + 5; i++)
		txn(i == ACCESS_LOG_RING + 4 ? 504 : 503, false, false, NS_PER_S);
	assert_int_equal(access_log_since(&al, &cursor, out, ACCESS_LOG_RING, &missed),
			 ACCESS_LOG_RING);
	assert_int_equal(missed, 5);
	assert_int_equal(out[ACCESS_LOG_RING - 1].status, 504);
	assert_int_equal(cursor, al.recorded);
	access_log_free(&al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors_only_and_once),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_ceiling_and_ring),
	    cmocka_unit_test(test_since_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

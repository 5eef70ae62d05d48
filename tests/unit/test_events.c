// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/answers/events.c: each condition fires once when it starts
 * and resolves once when it ends, on windows built from crafted
 * transactions; the learning period; the baseline of rate_change; the ring
 * overwriting its oldest event.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answers/events.h"
#include "answers/splits.h"
#include "test_util.h"
#include "answers/window.h"

#define NS_PER_S 1000000000ULL
#define START	 (1000 * NS_PER_S)

struct rig {
	struct aggregator agg;
	struct window w;
	struct events ev;
	struct naming naming;
	struct edge *e;
	uint64_t now;
};

/* The agent's defaults (user/agent/options.c), which the tests vary one at a time. */
static void baseline(struct event_thresholds *th)
{
	memset(th, 0, sizeof(*th));
	th->learn_s = 300;
	th->auth_failures = 20;
	th->error_ratio = 0.10;
	th->min_requests = 20;
	th->latency_s = 1.0;
	th->rate_factor = 2.0;
	th->rate_halflife_s = 300;
	th->max_events = 1024;
}

static void rig_init(struct rig *r, uint32_t learn_s)
{
	struct event_thresholds th;
	struct edge_key k = key_of(1, 2, 80, EDGE_PROTO_HTTP);

	memset(r, 0, sizeof(*r));
	baseline(&th);
	th.learn_s = learn_s;
	th.rate_halflife_s = 60;
	r->now = START;
	assert_int_equal(agg_init(&r->agg, 100, 0), 0);
	assert_int_equal(window_init(&r->w, 6, 100, r->now), 0);
	assert_int_equal(events_init(&r->ev, &th, 6, r->now), 0);
	r->e = agg_edge(&r->agg, &k, r->now + 1);
}

static void rig_free(struct rig *r)
{
	events_free(&r->ev);
	window_free(&r->w);
	agg_free(&r->agg);
}

static void calls(struct rig *r, int n, uint16_t status, uint64_t ms)
{
	struct http1_txn t;
	int i;

	for (i = 0; i < n; i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.method, sizeof(t.method), "GET");
		t.status = status;
		t.req_start_ns = r->now;
		t.resp_start_ns = t.resp_end_ns = r->now + ms * 1000000ULL;
		agg_record_http(&r->agg, r->e, REPORTER_DESTINATION, &t, r->now);
	}
}

/* One second: the window's tick, then the events. */
static void tick(struct rig *r)
{
	struct events_gone_ctx gone = {&r->ev, &r->naming};

	r->now += NS_PER_S;
	window_tick(&r->w, &r->agg, r->now, events_edge_gone, &gone);
	events_evaluate(&r->ev, &r->w, &r->naming, r->now);
}

static uint64_t fired(const struct rig *r, enum event_kind k)
{
	return r->ev.by_kind[k];
}

/* Resolved events of one kind in the ring. */
static int resolved(const struct rig *r, enum event_kind k)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < r->ev.count; i++)
		n += r->ev.ring[i].kind == EVENT_RESOLVED && r->ev.ring[i].resolves == k;
	return n;
}

static const struct event *last(const struct rig *r)
{
	return &r->ev.ring[(r->ev.head + r->ev.th.max_events - 1) % r->ev.th.max_events];
}

static void test_error_rate_fires_and_resolves(void **state)
{
	struct rig r;
	int i;

	(void)state;
	rig_init(&r, 0);
	calls(&r, 1, 503, 1); /* one failure of one: below min_requests */
	tick(&r);
	assert_int_equal(fired(&r, EVENT_ERROR_RATE), 0);
	calls(&r, 30, 200, 1);
	calls(&r, 10, 503, 1);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_ERROR_RATE), 1);
	assert_string_equal(event_severity(last(&r)), "critical");
	assert_true(last(&r)->value > 0.26 && last(&r)->value < 0.27); /* 11 of 41 */
	tick(&r);
	assert_int_equal(fired(&r, EVENT_ERROR_RATE), 1); /* once while it lasts */
	for (i = 0; i < 6; i++)
		tick(&r);
	assert_int_equal(resolved(&r, EVENT_ERROR_RATE), 1);
	rig_free(&r);
}

static void test_auth_and_latency(void **state)
{
	struct rig r;
	int i;

	(void)state;
	rig_init(&r, 0);
	calls(&r, 19, 401, 1);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_AUTH_FAILURES), 0);
	calls(&r, 1, 403, 1);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_AUTH_FAILURES), 1);
	assert_true(last(&r)->value == 20 && last(&r)->threshold == 20);
	calls(&r, 25, 200, 1500);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_LATENCY), 1);
	assert_true(last(&r)->value >= 1.0);
	for (i = 0; i < 6; i++)
		tick(&r);
	assert_int_equal(resolved(&r, EVENT_AUTH_FAILURES), 1);
	assert_int_equal(resolved(&r, EVENT_LATENCY), 1);
	rig_free(&r);
}

static void test_new_edge_after_learning(void **state)
{
	struct edge_key k2 = key_of(1, 3, 80, EDGE_PROTO_HTTP),
			k3 = key_of(1, 2, 80, EDGE_PROTO_TCP);
	struct rig r;
	int i;

	(void)state;
	rig_init(&r, 5);
	tick(&r); /* learnt: within the first 5 s */
	assert_int_equal(fired(&r, EVENT_NEW_EDGE), 0);
	for (i = 0; i < 5; i++)
		tick(&r);
	agg_edge(&r.agg, &k2, r.now);
	agg_edge(&r.agg, &k3, r.now); /* same names and port as the learnt one: not new */
	tick(&r);
	assert_int_equal(fired(&r, EVENT_NEW_EDGE), 1);
	assert_string_equal(last(&r)->destination, "10.0.0.3");
	assert_int_equal(last(&r)->port, 80);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_NEW_EDGE), 1);
	rig_free(&r);
}

static void test_rate_change_against_baseline(void **state)
{
	struct rig r;
	int i;

	(void)state;
	rig_init(&r, 0);
	for (i = 0; i < 20; i++) {
		calls(&r, 20, 200, 1);
		tick(&r);
	}
	assert_int_equal(fired(&r, EVENT_RATE_CHANGE), 0);
	for (i = 0; i < 4; i++) {
		calls(&r, 100, 200, 1);
		tick(&r);
	}
	assert_int_equal(fired(&r, EVENT_RATE_CHANGE), 1);
	assert_true(last(&r)->threshold > 19 && last(&r)->threshold < 30);
	for (i = 0; i < 10; i++) {
		calls(&r, 20, 200, 1);
		tick(&r);
	}
	assert_int_equal(resolved(&r, EVENT_RATE_CHANGE), 1);
	assert_int_equal(fired(&r, EVENT_RATE_CHANGE), 1); /* no flap on the way back */
	rig_free(&r);
}

static void test_gone_edge_resolves(void **state)
{
	struct rig r;

	(void)state;
	rig_init(&r, 0);
	calls(&r, 30, 500, 1);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_ERROR_RATE), 1);
	agg_free(&r.agg);
	assert_int_equal(agg_init(&r.agg, 100, 0), 0);
	tick(&r);
	assert_int_equal(fired(&r, EVENT_RESOLVED), 1);
	assert_string_equal(last(&r)->detail, "the edge expired");
	rig_free(&r);
}

static void test_ring_overwrites_oldest(void **state)
{
	struct event_thresholds th;
	struct event e = {.kind = EVENT_NEW_EDGE, .time_unix_ns = 1};
	struct events ev;
	json_t *j;
	int i;

	(void)state;
	baseline(&th);
	th.max_events = 4;
	assert_int_equal(events_init(&ev, &th, 60, 0), 0);
	for (i = 0; i < 10; i++) {
		e.port = (uint16_t)i;
		events_add(&ev, &e);
	}
	assert_int_equal(ev.count, 4);
	assert_int_equal(ev.overwritten, 6);
	assert_int_equal(ev.by_kind[EVENT_NEW_EDGE], 10);
	j = events_json(&ev, 0);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 4);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(j, "events"), 0), "port")),
			 6); /* oldest kept first */
	json_decref(j);
	j = events_json(&ev, 2);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 2);
	json_decref(j);
	events_free(&ev);
}

/* split_drift fires once past the threshold with enough requests, and resolves. */
static void test_split_drift(void **state)
{
	struct event_thresholds th;
	struct split_set set = {.s = calloc(SPLITS_SERVICES_MAX, sizeof(struct split_service))};
	struct split_service *s = &set.s[0];
	struct events ev;

	(void)state;
	baseline(&th);
	th.split_drift = 0.1;
	th.split_min_requests = 20;
	assert_int_equal(events_init(&ev, &th, 60, 0), 0);
	set.n = 1;
	snprintf(s->name, sizeof(s->name), "shop/reviews");
	snprintf(s->virtual_service, sizeof(s->virtual_service), "shop/reviews");
	s->configured = true;
	s->nv = 2;
	s->v[0] = (struct split_version){.version = "v1", .requests = 5, .weight = 90};
	s->v[1] = (struct split_version){.version = "v2", .requests = 5, .weight = 10};
	s->requests = 10;
	events_split_drift(&ev, &set); /* 50/50 against 90/10, but only 10 requests */
	assert_int_equal(ev.seq, 0);
	s->v[0].requests = s->v[1].requests = 25;
	s->requests = 50;
	events_split_drift(&ev, &set);
	assert_int_equal(ev.by_kind[EVENT_SPLIT_DRIFT], 1);
	assert_string_equal(ev.ring[0].destination, "shop/reviews");
	assert_true(fabs(ev.ring[0].value - 0.4) < 1e-9);
	assert_string_equal(ev.ring[0].detail, "v1 got 50% of 50 requests, shop/reviews says 90%");
	events_split_drift(&ev, &set); /* still drifting: no second event */
	assert_int_equal(ev.seq, 1);
	s->v[0].weight = s->v[1].weight = 50; /* the VirtualService now says 50/50 */
	events_split_drift(&ev, &set);
	assert_int_equal(ev.seq, 2);
	assert_int_equal(ev.ring[1].kind, EVENT_RESOLVED);
	assert_int_equal(ev.ring[1].resolves, EVENT_SPLIT_DRIFT);
	s->v[0].weight = 100; /* drifting again, then the Service has no traffic left */
	s->v[1].weight = 0;
	events_split_drift(&ev, &set);
	assert_int_equal(ev.by_kind[EVENT_SPLIT_DRIFT], 2);
	set.n = 0;
	events_split_drift(&ev, &set);
	assert_int_equal(ev.by_kind[EVENT_RESOLVED], 2);
	assert_int_equal(ev.ndrifting, 0);
	free(set.s);
	events_free(&ev);
}

/* An exporter's cursor (otlp/logs.c): each event once, in order; overwritten ones counted. */
static void test_since_cursor(void **state)
{
	struct event_thresholds th;
	struct event e = {.kind = EVENT_NEW_EDGE, .time_unix_ns = 1}, out[8];
	uint64_t cursor = 0, missed = 0;
	struct events ev;
	int i;

	(void)state;
	baseline(&th);
	th.max_events = 4;
	assert_int_equal(events_init(&ev, &th, 60, 0), 0);
	assert_int_equal(events_since(&ev, &cursor, out, 8, &missed), 0);
	for (i = 0; i < 3; i++) {
		e.port = (uint16_t)i;
		events_add(&ev, &e);
	}
	assert_int_equal(events_since(&ev, &cursor, out, 2, &missed), 2); /* max honoured */
	assert_int_equal(out[0].port, 0);
	assert_int_equal(out[1].port, 1);
	assert_int_equal(events_since(&ev, &cursor, out, 8, &missed), 1);
	assert_int_equal(out[0].port, 2);
	assert_int_equal(events_since(&ev, &cursor, out, 8, &missed), 0);
	for (i = 3; i < 10; i++) { /* 7 more into a ring of 4: 3 never read */
		e.port = (uint16_t)i;
		events_add(&ev, &e);
	}
	assert_int_equal(events_since(&ev, &cursor, out, 8, &missed), 4);
	assert_int_equal(missed, 3);
	assert_int_equal(out[0].port, 6);
	assert_int_equal(out[3].port, 9);
	assert_int_equal(cursor, 10);
	events_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_rate_fires_and_resolves),
	    cmocka_unit_test(test_auth_and_latency),
	    cmocka_unit_test(test_new_edge_after_learning),
	    cmocka_unit_test(test_rate_change_against_baseline),
	    cmocka_unit_test(test_gone_edge_resolves),
	    cmocka_unit_test(test_ring_overwrites_oldest),
	    cmocka_unit_test(test_since_cursor),
	    cmocka_unit_test(test_split_drift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/answers/graph.c and user/answers/window.c: window sums and slides,
 * the bucketed quantile, and the analysis of small graphs whose answers are
 * known by hand (a chain, a cycle, hot spots, entry points, a dense graph
 * that exhausts the search budget).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "answers/graph.h"
#include "test_util.h"
#include "answers/window.h"

#define NS_PER_S 1000000000ULL

static struct graph_node *node(struct graph *g, const char *name)
{
	struct endpoint_names n;

	memset(&n, 0, sizeof(n));
	n.workload = name;
	n.namespace_ = "ns";
	snprintf(n.address, sizeof(n.address), "10.0.0.1");
	return graph_node(g, &n);
}

static void link_nodes(struct graph *g, const char *a, const char *b, uint64_t requests,
		       uint64_t errors, int latency_bucket)
{
	struct graph_node *from = node(g, a), *to = node(g, b); /* in this order */
	struct window_counts c;

	memset(&c, 0, sizeof(c));
	c.requests = requests;
	c.errors = errors;
	c.latency[latency_bucket] = requests;
	assert_int_equal(graph_add_edge(g, from, to, &c, 10, true), 0);
}

static const char *path_node(const struct graph *g, const struct graph_path *p, uint32_t i)
{
	return g->nodes[p->node[i]]->id;
}

static void test_chain_and_cycle(void **state)
{
	struct graph_analysis an;
	struct graph g;

	(void)state;
	assert_int_equal(graph_init(&g), 0);
	link_nodes(&g, "front", "api", 10, 0, 30);
	link_nodes(&g, "api", "db", 20, 0, 10);
	link_nodes(&g, "db", "cache", 20, 10, 10);
	link_nodes(&g, "cache", "api", 5, 0, 10);
	graph_analyze(&g, &an);
	assert_true(an.exact);
	assert_int_equal(an.longest.len, 4); /* depth 3 */
	assert_string_equal(path_node(&g, &an.longest, 0), "ns/front");
	assert_string_equal(path_node(&g, &an.longest, 3), "ns/cache");
	assert_int_equal(an.ncycles, 1);
	assert_int_equal(an.cycles[0].len, 3);
	assert_string_equal(path_node(&g, &an.cycles[0], 0), "ns/api");
	assert_string_equal(g.nodes[an.fan_in_node]->id, "ns/api");
	assert_int_equal(g.nodes[an.fan_in_node]->fan_in, 2);
	assert_string_equal(g.nodes[g.edges[an.error_edge]->key.src]->id, "ns/db");
	assert_string_equal(g.nodes[g.edges[an.p95_edge]->key.src]->id, "ns/front");
	assert_int_equal(g.nodes[0]->fan_in, 0); /* front: the one entry point */
	graph_free(&g);
}

static void test_merge_and_self_loop(void **state)
{
	struct graph_analysis an;
	struct graph g;

	(void)state;
	assert_int_equal(graph_init(&g), 0);
	link_nodes(&g, "a", "b", 10, 1, 5);
	link_nodes(&g, "a", "b", 30, 3, 5); /* another port: the same graph edge */
	link_nodes(&g, "b", "b", 4, 0, 5);
	assert_int_equal(g.nedges, 2);
	assert_int_equal(g.edges[0]->c.requests, 40);
	assert_true(graph_edge_error_ratio(g.edges[0]) > 0.099 &&
		    graph_edge_error_ratio(g.edges[0]) < 0.101);
	assert_true(graph_edge_rate(g.edges[0]) > 3.99 && graph_edge_rate(g.edges[0]) < 4.01);
	assert_int_equal(g.nodes[1]->fan_in, 1); /* a self-call is not a caller */
	graph_analyze(&g, &an);
	assert_int_equal(an.ncycles, 1);
	assert_int_equal(an.cycles[0].len, 1);
	graph_free(&g);
}

/* A complete graph of 12 nodes has billions of simple paths: the budget stops the search. */
static void test_dense_graph_is_bounded(void **state)
{
	struct graph_analysis an;
	char a[8], b[8];
	struct graph g;
	int i, j;

	(void)state;
	assert_int_equal(graph_init(&g), 0);
	for (i = 0; i < 12; i++)
		for (j = 0; j < 12; j++)
			if (i != j) {
				snprintf(a, sizeof(a), "n%d", i);
				snprintf(b, sizeof(b), "n%d", j);
				link_nodes(&g, a, b, 1, 0, 5);
			}
	graph_analyze(&g, &an);
	assert_false(an.exact);
	assert_int_equal(an.ncycles, GRAPH_CYCLES_MAX);
	assert_true(an.longest.len >= 2 && an.longest.len <= 12);
	graph_free(&g);
}

static void test_empty_graph(void **state)
{
	struct graph_analysis an;
	struct graph g;
	json_t *j;

	(void)state;
	assert_int_equal(graph_init(&g), 0);
	graph_analyze(&g, &an);
	assert_true(an.exact);
	assert_int_equal(an.longest.len, 0);
	assert_int_equal(an.fan_in_node, -1);
	j = graph_json(&g, &an, 60);
	assert_non_null(j);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(j, "analysis"), "longest_chain"), "depth")),
	    0);
	json_decref(j);
	graph_free(&g);
}

static void txn(struct aggregator *a, struct edge *e, uint16_t status, uint64_t t0, uint64_t ms)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	snprintf(t.method, sizeof(t.method), "GET");
	t.status = status;
	t.version_minor = 1;
	t.req_start_ns = t0;
	t.resp_start_ns = t.resp_end_ns = t0 + ms * 1000000ULL;
	agg_record_http(a, e, REPORTER_DESTINATION, &t, t.resp_end_ns);
}

static void test_window_slides(void **state)
{
	struct edge_key k = key_of(1, 2, 80, EDGE_PROTO_HTTP);
	struct window_counts c;
	struct aggregator agg;
	const struct window_edge *we;
	struct htab_node *n;
	struct window w;
	struct edge *e;
	double seconds;
	uint64_t now = 100 * NS_PER_S;
	size_t i;
	int t;

	(void)state;
	assert_int_equal(agg_init(&agg, 100, 0), 0);
	assert_int_equal(window_init(&w, 6, 100, now), 0); /* a tick a second */
	e = agg_edge(&agg, &k, now + 1);
	for (i = 0; i < 10; i++)
		txn(&agg, e, i < 3 ? 401 : 200, now + 2, 50);
	window_tick(&w, &agg, now + NS_PER_S, NULL, NULL);
	assert_int_equal(w.edges.count, 1);
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, &seconds);
	assert_int_equal(c.requests, 10); /* begun after the start: counted from zero */
	assert_int_equal(c.auth, 3);
	assert_true(seconds > 0.99 && seconds < 1.01);
	assert_true(window_quantile(c.latency, 0.95) > 0.04 &&
		    window_quantile(c.latency, 0.95) <= 0.06);
	txn(&agg, e, 503, now + 2, 5);
	for (t = 2; t <= 6; t++)
		window_tick(&w, &agg, now + t * NS_PER_S, NULL, NULL);
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, &seconds);
	assert_int_equal(c.requests, 11);
	assert_int_equal(c.errors, 1);
	assert_true(seconds > 5.99 && seconds < 6.01);
	window_tick(&w, &agg, now + 7 * NS_PER_S, NULL, NULL); /* the first slot leaves */
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, &seconds);
	assert_int_equal(c.requests, 1);
	window_tick(&w, &agg, now + 8 * NS_PER_S, NULL, NULL);
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, &seconds);
	assert_int_equal(c.requests, 0);
	assert_true(window_quantile(c.latency, 0.95) == 0);
	agg_free(&agg);
	assert_int_equal(agg_init(&agg, 100, 0), 0);
	window_tick(&w, &agg, now + 9 * NS_PER_S, NULL, NULL); /* the edge is gone */
	assert_int_equal(w.edges.count, 0);
	window_free(&w);
	agg_free(&agg);
}

/* Under load an edge's first event (its kernel timestamp) is read after the next tick. */
static void test_window_late_edge_counts(void **state)
{
	struct edge_key k = key_of(3, 4, 80, EDGE_PROTO_HTTP);
	const struct window_edge *we;
	struct window_counts c;
	struct aggregator agg;
	struct htab_node *n;
	struct window w;
	struct edge *e;
	size_t i;
	int r;

	(void)state;
	assert_int_equal(agg_init(&agg, 100, 0), 0);
	assert_int_equal(window_init(&w, 6, 100, 0), 0);
	window_tick(&w, &agg, 2 * NS_PER_S, NULL, NULL);
	e = agg_edge(&agg, &k, NS_PER_S); /* began before that tick */
	for (r = 0; r < 5; r++)
		txn(&agg, e, 200, NS_PER_S, 1);
	window_tick(&w, &agg, 3 * NS_PER_S, NULL, NULL);
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, NULL);
	assert_int_equal(c.requests, 5);
	window_free(&w);
	agg_free(&agg);
}

/* The server's view appears after the client's: what it counted meanwhile is kept. */
static void test_window_view_switch(void **state)
{
	struct edge_key k = key_of(5, 6, 80, EDGE_PROTO_TCP);
	const struct window_edge *we;
	struct window_counts c;
	struct aggregator agg;
	struct htab_node *n;
	struct window w;
	struct edge *e;
	size_t i;
	int t;

	(void)state;
	assert_int_equal(agg_init(&agg, 100, 0), 0);
	assert_int_equal(window_init(&w, 6, 100, 0), 0);
	e = agg_edge(&agg, &k, 1);
	agg_record_open(&agg, e, REPORTER_SOURCE, 1);
	window_tick(&w, &agg, NS_PER_S, NULL, NULL);
	agg_record_open(&agg, e, REPORTER_DESTINATION, 2);
	agg_record_close(&agg, e, REPORTER_DESTINATION, false, 3);
	agg_record_close(&agg, e, REPORTER_SOURCE, false, 3);
	for (t = 2; t <= 3; t++)
		window_tick(&w, &agg, t * NS_PER_S, NULL, NULL);
	window_for_each(&w, we, n, i) window_sum(&w, we, &c, NULL);
	assert_int_equal(c.conns_closed, 1);
	window_free(&w);
	agg_free(&agg);
}

static void test_window_bounded(void **state)
{
	struct aggregator agg;
	struct window w;
	struct edge_key k;
	int i;

	(void)state;
	assert_int_equal(agg_init(&agg, 100, 0), 0);
	assert_int_equal(window_init(&w, 60, 10, 0), 0);
	for (i = 0; i < 20; i++) {
		k = key_of((uint8_t)i, 200, 80, EDGE_PROTO_TCP);
		agg_edge(&agg, &k, 1);
	}
	window_tick(&w, &agg, NS_PER_S, NULL, NULL);
	assert_int_equal(w.edges.count, 10);
	assert_int_equal(w.stats.edges_full, 10);
	window_free(&w);
	agg_free(&agg);
}

static void test_quantile_interpolates(void **state)
{
	uint64_t b[WINDOW_LAT_BUCKETS] = {0};
	double q;

	(void)state;
	b[EDGE_LATENCY_BOUNDS] = 5; /* +Inf */
	assert_true(window_quantile(b, 0.5) == edge_latency_bounds_s[EDGE_LATENCY_BOUNDS - 1]);
	memset(b, 0, sizeof(b));
	b[10] = 100; /* (0.8 ms, 1 ms] */
	q = window_quantile(b, 0.5);
	assert_true(q > 0.89e-3 && q < 0.91e-3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_and_cycle),
	    cmocka_unit_test(test_merge_and_self_loop),
	    cmocka_unit_test(test_dense_graph_is_bounded),
	    cmocka_unit_test(test_empty_graph),
	    cmocka_unit_test(test_window_slides),
	    cmocka_unit_test(test_window_bounded),
	    cmocka_unit_test(test_quantile_interpolates),
	    cmocka_unit_test(test_window_late_edge_counts),
	    cmocka_unit_test(test_window_view_switch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

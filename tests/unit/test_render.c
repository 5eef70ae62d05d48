// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/serve/render_prom.c and user/serve/render_json.c (with
 * render_common.c): an aggregator holding one HTTP edge seen from both ends
 * and one TCP edge seen from the client, named through an identities file,
 * rendered into memory. The JSON is parsed back with jansson and checked
 * against the /api/v1 schema; the Prometheus text is checked line by line
 * for what scrapers rely on, and by promtool when it is installed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <setjmp.h>
#include <cmocka.h>

#include "render_fixture.h"

#define MS(x) ((uint64_t)(x)*1000000ULL)

/* A process name a scraper would choke on unless escaped: quote, backslash, newline. */
#define NASTY_COMM "a\"b\\c\nd"

static const char identities[] = "10.0.0.1 workload=client namespace=default\n"
				 "10.0.0.2 workload=server namespace=default service=api\n";

static void http(struct aggregator *a, struct edge *e, enum edge_reporter r, uint16_t status,
		 uint64_t latency_ns)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	t.status = status;
	t.req_start_ns = MS(1000);
	t.resp_start_ns = t.req_start_ns + latency_ns;
	t.resp_end_ns = t.resp_start_ns + 1;
	t.req_bytes = 100;
	t.resp_bytes = 1000;
	agg_record_http(a, e, r, &t, MS(2000));
}

/* 10.0.0.1 -> 10.0.0.2:8080 http, both ends local; 10.0.0.1 -> 10.0.0.3:5432 tcp. */
static void fill_edges(struct aggregator *a)
{
	struct edge_key hk = key_of(1, 2, 8080, EDGE_PROTO_HTTP);
	struct edge_key tk = key_of(1, 3, 5432, EDGE_PROTO_TCP);
	struct edge *e;
	int r;

	e = agg_edge(a, &hk, MS(1000));
	assert_non_null(e);
	strcpy(e->src.comm, NASTY_COMM);
	strcpy(e->dst.comm, "server");
	for (r = 0; r < REPORTER__MAX; r++) {
		/* The server sees each response 1 ms sooner than the client. */
		uint64_t skew = r == REPORTER_DESTINATION ? MS(1) : 0;

		agg_record_open(a, e, r, MS(1000));
		http(a, e, r, 200, MS(10) - skew);
		http(a, e, r, 200, MS(30) - skew);
		http(a, e, r, 500, MS(100) - skew);
		agg_record_tcp(a, e, r, 300, 3000, 0, 0, MS(2000));
		agg_record_close(a, e, r, false, MS(2000));
	}

	e = agg_edge(a, &tk, MS(1000));
	assert_non_null(e);
	agg_record_open(a, e, REPORTER_SOURCE, MS(1000));
	agg_record_tcp(a, e, REPORTER_SOURCE, 1000, 2000, 0, 250, MS(1500));
	agg_record_close(a, e, REPORTER_SOURCE, false, MS(1500));
}

static int setup(void **state)
{
	*state = render_fixture_new("test_render", identities, fill_edges, 12.5);
	return *state ? 0 : -1;
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);

	if (!root)
		fail_msg("invalid JSON at line %d: %s\n%s", jerr.line, jerr.text, text);
	return root;
}

/* o is an object with exactly the keys given (NULL-terminated). */
static void assert_keys_exactly(const json_t *o, const char *const *keys)
{
	size_t n = 0;

	assert_true(json_is_object(o));
	for (; keys[n]; n++)
		if (!json_object_get(o, keys[n]))
			fail_msg("missing key \"%s\"", keys[n]);
	assert_int_equal(json_object_size(o), n);
}

static void assert_str(const json_t *o, const char *key, const char *want)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strcmp(json_string_value(v), want))
		fail_msg("\"%s\": want \"%s\"", key, want);
}

static void assert_json_null(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_null(v))
		fail_msg("\"%s\": want null, got %s", key, v ? "a value" : "no key");
}

static void assert_int_key(const json_t *o, const char *key, json_int_t want)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) != want)
		fail_msg("\"%s\": want integer %lld", key, (long long)want);
}

static const json_t *edge_by_protocol(const json_t *edges, const char *proto)
{
	const json_t *e;
	size_t i;

	json_array_foreach(edges, i, e)
	{
		const json_t *p = json_object_get(e, "protocol");

		if (json_is_string(p) && !strcmp(json_string_value(p), proto))
			return e;
	}
	fail_msg("no %s edge", proto);
	return NULL;
}

static const char *const source_keys[] = {"address", "workload", "namespace",
					  "process", "cgroup",	 NULL};
static const char *const destination_keys[] = {"address",   "port",    "service", "workload",
					       "namespace", "process", "cgroup",  NULL};
static const char *const latency_keys[] = {"p50", "p95", "p99", "max", NULL};
/* Present only when known (Kubernetes, or derived from a named workload). */
static const char *const optional_end_keys[] = {"workload_kind",
						"pod",
						"node",
						"container",
						"canonical_service",
						"canonical_revision",
						"service_name",
						"service_namespace",
						"service_fqdn",
						"external",
						NULL};

static bool in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(key, *list))
			return true;
	return false;
}

/* o has every key of required and no key outside required + optional_end_keys. */
static void assert_end_keys(const json_t *o, const char *const *required)
{
	const char *key;
	json_t *v;
	size_t n;

	assert_true(json_is_object(o));
	for (n = 0; required[n]; n++)
		if (!json_object_get(o, required[n]))
			fail_msg("missing key \"%s\"", required[n]);
	json_object_foreach((json_t *)o, key,
			    v) if (!in_list(key, required) && !in_list(key, optional_end_keys))
	    fail_msg("unexpected key \"%s\"", key);
}

/* The documented fields every edge has (others may follow). */
static void assert_edge_schema(const json_t *e)
{
	static const char *const ints[] = {"requests",		 "errors",
					   "bytes_sent",	 "bytes_received",
					   "connections_opened", "connections_closed"};
	const json_t *lat = json_object_get(e, "latency_ms");
	size_t i;

	assert_true(json_is_object(e));
	assert_end_keys(json_object_get(e, "source"), source_keys);
	assert_end_keys(json_object_get(e, "destination"), destination_keys);
	assert_true(json_is_integer(json_object_get(json_object_get(e, "destination"), "port")));
	assert_true(json_is_string(json_object_get(e, "protocol")));
	assert_true(json_is_object(json_object_get(e, "status_codes")));
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!json_is_integer(json_object_get(e, ints[i])))
			fail_msg("\"%s\" is not an integer", ints[i]);
	assert_true(json_is_null(lat) || json_is_object(lat));
	if (json_is_object(lat)) {
		assert_keys_exactly(lat, latency_keys);
		for (i = 0; latency_keys[i]; i++)
			assert_true(json_is_number(json_object_get(lat, latency_keys[i])));
	}
}

static void assert_near(double got, double want, double rel)
{
	if (got < want * (1 - rel) || got > want * (1 + rel))
		fail_msg("got %g, want %g within %g%%", got, want, rel * 100);
}

static void test_edges_json(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_edges_json);
	json_t *root = parse(text);
	const json_t *edges = json_object_get(root, "edges"), *e, *src, *dst, *codes, *lat;
	size_t i;

	assert_true(json_is_array(edges));
	assert_int_equal(json_array_size(edges), 2);
	json_array_foreach(edges, i, e)
	{
		assert_edge_schema(e);
	}

	/* HTTP edge: counted once, from the destination's view. */
	e = edge_by_protocol(edges, "http");
	src = json_object_get(e, "source");
	dst = json_object_get(e, "destination");
	assert_str(src, "address", "10.0.0.1");
	assert_str(src, "workload", "client");
	assert_str(src, "namespace", "default");
	assert_str(src, "process", NASTY_COMM);
	assert_json_null(src, "cgroup");
	assert_str(dst, "address", "10.0.0.2");
	assert_int_key(dst, "port", 8080);
	assert_str(dst, "service", "api");
	assert_str(dst, "workload", "server");
	assert_str(dst, "namespace", "default");
	assert_str(dst, "process", "server");
	/* Istio's fallbacks for a workload named without labels. */
	assert_str(dst, "canonical_service", "server");
	assert_str(dst, "canonical_revision", "latest");
	assert_str(dst, "service_namespace", "default");
	assert_json_null(dst, "cgroup");
	assert_int_key(e, "requests", 3);
	assert_int_key(e, "errors", 1);
	codes = json_object_get(e, "status_codes");
	assert_int_equal(json_object_size(codes), 2);
	assert_int_key(codes, "200", 2);
	assert_int_key(codes, "500", 1);
	lat = json_object_get(e, "latency_ms");
	assert_near(json_number_value(json_object_get(lat, "p50")), 29, 0.01);
	assert_near(json_number_value(json_object_get(lat, "p99")), 29, 0.01);
	assert_near(json_number_value(json_object_get(lat, "max")), 99, 1e-9);
	assert_int_key(e, "bytes_sent", 300);
	assert_int_key(e, "bytes_received", 3000);
	assert_int_key(e, "connections_opened", 1);
	assert_int_key(e, "connections_closed", 1);

	/* TCP edge: no requests, no latency, an unnamed destination. */
	e = edge_by_protocol(edges, "tcp");
	src = json_object_get(e, "source");
	dst = json_object_get(e, "destination");
	assert_str(src, "workload", "client");
	assert_str(dst, "address", "10.0.0.3");
	assert_int_key(dst, "port", 5432);
	assert_json_null(dst, "service");
	assert_json_null(dst, "workload");
	assert_json_null(dst, "namespace");
	assert_json_null(dst, "process");
	assert_json_null(dst, "cgroup");
	assert_int_key(e, "requests", 0);
	assert_int_key(e, "errors", 0);
	assert_int_equal(json_object_size(json_object_get(e, "status_codes")), 0);
	assert_json_null(e, "latency_ms");
	assert_int_key(e, "bytes_sent", 1000);
	assert_int_key(e, "bytes_received", 2000);
	assert_int_key(e, "connections_opened", 1);
	assert_int_key(e, "connections_closed", 1);

	json_decref(root);
	free(text);
}

static void test_stats_json(void **state)
{
	static const char *const objects[] = {"events_seen", "events_dropped", "parse_failures",
					      "evictions"};
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_stats_json);
	json_t *root = parse(text);
	const json_t *v;
	size_t i;

	assert_true(json_is_object(root));
	v = json_object_get(root, "uptime_seconds");
	assert_true(json_is_number(v));
	assert_near(json_number_value(v), 12.5, 1e-9);
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (!json_is_object(json_object_get(root, objects[i])))
			fail_msg("\"%s\" is not an object", objects[i]);
	assert_int_key(root, "tracked_connections", 0);
	assert_int_key(root, "tracked_edges", 2);
	assert_int_key(json_object_get(root, "evictions"), "edges_idle", 0);
	assert_int_key(json_object_get(root, "evictions"), "edges_limit", 0);

	json_decref(root);
	free(text);
}

/* The answers' counters are rows of the one table: the same numbers in JSON and Prometheus. */
static void test_answers_counters(void **state)
{
	struct render_fixture *fx = *state;
	struct answers_stats as = {
	    .window_edges = 7,
	    .nkinds = 2,
	    .kind_names = {"new_edge", "latency"},
	    .events_by_kind = {3, 1},
	    .access_recorded = 5,
	    .access_dropped_rate = 2,
	};
	char *json, *prom;
	json_t *root;

	fx->in.answers = &as;
	json = render_text(fx, render_stats_json);
	root = parse(json);
	assert_int_key(json_object_get(root, "analysis"), "window_edges", 7);
	assert_int_key(json_object_get(root, "analysis_events"), "new_edge", 3);
	assert_int_key(json_object_get(root, "analysis_events"), "latency", 1);
	assert_int_key(json_object_get(root, "access_log"), "records", 5);
	assert_int_key(json_object_get(root, "access_log"), "dropped_rate", 2);
	prom = render_text(fx, render_prometheus);
	assert_non_null(strstr(prom, "\nmeshsight_window_edges 7\n"));
	assert_non_null(strstr(prom, "\nmeshsight_analysis_events_total{kind=\"new_edge\"} 3\n"));
	assert_non_null(strstr(prom, "\nmeshsight_access_log_dropped_total{reason=\"rate\"} 2\n"));
	assert_non_null(strstr(prom, "# TYPE meshsight_window_edges gauge\n"));
	fx->in.answers = NULL;
	json_decref(root);
	free(json);
	free(prom);
}

/* --- Prometheus ------------------------------------------------------------ */

#define MAX_FAMILIES 64

struct family_seen {
	char name[128];
	char type[16];
	int helps, types;
};

static struct family_seen *family_get(struct family_seen *f, size_t *n, const char *name,
				      size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen(f[i].name) == len && !strncmp(f[i].name, name, len))
			return &f[i];
	assert_true(*n < MAX_FAMILIES && len < sizeof(f[0].name));
	memset(&f[*n], 0, sizeof(f[0]));
	memcpy(f[*n].name, name, len);
	return &f[(*n)++];
}

/* The family a sample belongs to, NULL when no TYPE line declared it yet. */
static struct family_seen *family_of_sample(struct family_seen *f, size_t n, const char *name,
					    size_t len)
{
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
	size_t i, j, sl;

	for (i = 0; i < n; i++)
		if (strlen(f[i].name) == len && !strncmp(f[i].name, name, len) && f[i].types)
			return &f[i];
	for (j = 0; j < 3; j++) {
		sl = strlen(suffixes[j]);
		if (len <= sl || strncmp(name + len - sl, suffixes[j], sl))
			continue;
		for (i = 0; i < n; i++)
			if (strlen(f[i].name) == len - sl && !strncmp(f[i].name, name, len - sl) &&
			    f[i].types && !strcmp(f[i].type, "histogram"))
				return &f[i];
	}
	return NULL;
}

/* Every sample's family has HELP and TYPE before it, each exactly once. */
static void check_families(char *text)
{
	struct family_seen fams[MAX_FAMILIES];
	char *line, *save, *name;
	size_t n = 0, len, i;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			struct family_seen *f;

			name = line + 7;
			len = strcspn(name, " ");
			f = family_get(fams, &n, name, len);
			if (line[2] == 'H') {
				f->helps++;
			} else {
				f->types++;
				snprintf(f->type, sizeof(f->type), "%s", name + len + 1);
			}
			continue;
		}
		assert_true(line[0] != '#');
		len = strcspn(line, "{ ");
		if (!family_of_sample(fams, n, line, len))
			fail_msg("sample with no TYPE before it: %s", line);
	}
	assert_true(n > 10);
	for (i = 0; i < n; i++)
		if (fams[i].helps != 1 || fams[i].types != 1)
			fail_msg("%s: %d HELP and %d TYPE lines, want 1 each", fams[i].name,
				 fams[i].helps, fams[i].types);
}

/*
 * Each histogram series: _bucket values never decrease, the last bucket is
 * le="+Inf", and _count equals it. Returns the number of series checked.
 */
static int check_histograms(char *text, const char *name)
{
	char bucket[128], count[128], labels[1024] = "", *line, *save, *le, *end;
	unsigned long long v, prev = 0;
	int inf_last = 0, series = 0;

	snprintf(bucket, sizeof(bucket), "%s_bucket{", name);
	snprintf(count, sizeof(count), "%s_count{", name);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, bucket, strlen(bucket))) {
			const char *lbl = line + strlen(bucket);

			le = strstr(line, ",le=\"");
			assert_non_null(le);
			if (strlen(labels) != (size_t)(le - lbl) ||
			    strncmp(labels, lbl, le - lbl)) {
				assert_true((size_t)(le - lbl) < sizeof(labels));
				memcpy(labels, lbl, le - lbl);
				labels[le - lbl] = '\0';
				prev = 0;
			}
			end = strstr(le, "\"} ");
			assert_non_null(end);
			v = strtoull(end + 3, NULL, 10);
			assert_true(v >= prev);
			prev = v;
			inf_last = !strncmp(le, ",le=\"+Inf\"}", 11);
		} else if (!strncmp(line, count, strlen(count))) {
			const char *lbl = line + strlen(count);

			end = strstr(lbl, "} ");
			assert_non_null(end);
			/* _count follows its own buckets, which ended with +Inf. */
			assert_int_equal((size_t)(end - lbl), strlen(labels));
			assert_memory_equal(lbl, labels, strlen(labels));
			assert_true(inf_last);
			assert_int_equal(strtoull(end + 2, NULL, 10), prev);
			series++;
		}
	}
	return series;
}

static int has_line(const char *text, const char *want)
{
	const char *p = text;
	size_t n = strlen(want);

	for (; (p = strstr(p, want)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

#define HTTP_DST_LABELS                                                                            \
	"reporter=\"destination\",source_workload=\"client\",source_namespace=\"default\","        \
	"source_address=\"10.0.0.1\",source_process=\"a\\\"b\\\\c\\nd\","                          \
	"destination_service=\"api\",destination_workload=\"server\","                             \
	"destination_namespace=\"default\",destination_port=\"8080\","                             \
	"destination_address=\"10.0.0.2\",destination_process=\"server\",protocol=\"http\""

static void test_prometheus(void **state)
{
	const char *dur = "meshsight_request_duration_seconds";
	struct render_fixture *fx = *state;
	char *text, *copy;

	fx->in.metrics_labels = RENDER_LABEL_ADDRESS | RENDER_LABEL_PROCESS;
	text = render_text(fx, render_prometheus);
	/* The process name is escaped: \" \\ \n, never a raw quote or newline. */
	assert_non_null(strstr(text, "source_process=\"a\\\"b\\\\c\\nd\""));
	assert_true(
	    has_line(text, "meshsight_requests_total{" HTTP_DST_LABELS ",status_code=\"200\"} 2"));
	assert_true(
	    has_line(text, "meshsight_requests_total{" HTTP_DST_LABELS ",status_code=\"500\"} 1"));
	/* 29 ms is in le="0.03" (and the 9 ms one with it), not in le="0.02". */
	assert_true(has_line(text, "meshsight_request_duration_seconds_bucket{" HTTP_DST_LABELS
				   ",le=\"0.01\"} 1"));
	assert_true(has_line(text, "meshsight_request_duration_seconds_bucket{" HTTP_DST_LABELS
				   ",le=\"0.02\"} 1"));
	assert_true(has_line(text, "meshsight_request_duration_seconds_bucket{" HTTP_DST_LABELS
				   ",le=\"0.03\"} 2"));
	assert_true(has_line(text, "meshsight_request_duration_seconds_bucket{" HTTP_DST_LABELS
				   ",le=\"+Inf\"} 3"));
	assert_true(
	    has_line(text, "meshsight_request_duration_seconds_count{" HTTP_DST_LABELS "} 3"));
	assert_true(has_line(text, "meshsight_tracked_edges 2"));

	copy = strdup(text);
	assert_non_null(copy);
	check_families(copy);
	free(copy);

	/* Two series: the HTTP edge's two reporters; the TCP edge has no latency. */
	copy = strdup(text);
	assert_non_null(copy);
	assert_int_equal(check_histograms(copy, dur), 2);
	free(copy);
	free(text);
}

/* Many client addresses of one workload, and the unnamed outside world. */
static const char identities_by_workload[] =
    "10.0.0.1 workload=client namespace=default\n"
    "10.0.0.4 workload=client namespace=default\n"
    "10.0.0.2 workload=server namespace=default service=api\n";

static void fill_two_clients(struct aggregator *a)
{
	uint8_t client;
	struct edge_key k;
	struct edge *e;

	for (client = 1; client <= 5; client += 3) { /* 10.0.0.1 and 10.0.0.4 */
		k = key_of(client, 2, 8080, EDGE_PROTO_HTTP);
		e = agg_edge(a, &k, MS(1000));
		assert_non_null(e);
		http(a, e, REPORTER_DESTINATION, 200, MS(10));
		http(a, e, REPORTER_DESTINATION, 503, MS(20));
	}
	/* Two addresses no name covers, calling the server: one "unknown" source. */
	for (client = 7; client <= 8; client++) {
		k = key_of(client, 2, 8080, EDGE_PROTO_HTTP);
		e = agg_edge(a, &k, MS(1000));
		assert_non_null(e);
		http(a, e, REPORTER_DESTINATION, 200, MS(10));
	}
}

static int setup_two_clients(void **state)
{
	*state = render_fixture_new("test_render_workloads", identities_by_workload,
				    fill_two_clients, 1.0);
	return *state ? 0 : -1;
}

#define BY_WORKLOAD(src, ns)                                                                       \
	"reporter=\"destination\",source_workload=\"" src "\",source_namespace=\"" ns "\","        \
	"destination_service=\"api\",destination_workload=\"server\","                             \
	"destination_namespace=\"default\",destination_port=\"8080\",protocol=\"http\""

/* By default one series per workload pair: addresses never reach a label. */
static void test_prometheus_by_workload(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);

	assert_null(strstr(text, "10.0.0."));
	assert_null(strstr(text, "_address="));
	assert_null(strstr(text, "_process="));
	/* client's two addresses: one series each, summed */
	assert_true(has_line(text, "meshsight_requests_total{" BY_WORKLOAD(
				       "client", "default") ",status_code=\"200\"} 2"));
	assert_true(has_line(text, "meshsight_requests_total{" BY_WORKLOAD(
				       "client", "default") ",status_code=\"503\"} 2"));
	assert_true(has_line(text, "meshsight_request_duration_seconds_count{" BY_WORKLOAD(
				       "client", "default") "} 4"));
	assert_true(has_line(text, "meshsight_requests_total{" BY_WORKLOAD(
				       "unknown", "unknown") ",status_code=\"200\"} 2"));
	assert_true(has_line(text, "meshsight_request_duration_seconds_bucket{" BY_WORKLOAD(
				       "unknown", "unknown") ",le=\"0.01\"} 2"));
	/* Exactly two label sets in the histogram: client and unknown. */
	assert_int_equal(check_histograms(text, "meshsight_request_duration_seconds"), 2);
	free(text);
}

static void test_promtool_accepts(void **state)
{
	assert_promtool_accepts(*state);
}

static void h2_txn(struct aggregator *a, struct edge *e, bool grpc, int grpc_status)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "POST");
	strcpy(t.path, "/demo.Echo/Ok");
	t.flags = HTTP1_TXN_F_H2 | (grpc ? HTTP1_TXN_F_GRPC | HTTP1_TXN_F_GRPC_STATUS : 0);
	t.grpc_status = (uint8_t)grpc_status;
	t.status = 200;
	t.req_start_ns = MS(1000);
	t.resp_start_ns = MS(1001);
	t.resp_end_ns = MS(1002);
	agg_record_http(a, e, REPORTER_DESTINATION, &t, MS(2000));
}

/* 10.0.0.1 -> 10.0.0.2:9090 grpc (OK x2, UNAVAILABLE), -> :8443 http2 (one 200). */
static void fill_h2(struct aggregator *a)
{
	struct edge_key gk = key_of(1, 2, 9090, EDGE_PROTO_GRPC);
	struct edge_key hk = key_of(1, 2, 8443, EDGE_PROTO_HTTP2);
	struct edge *e = agg_edge(a, &gk, MS(1000));

	h2_txn(a, e, true, 0);
	h2_txn(a, e, true, 0);
	h2_txn(a, e, true, 14);
	e = agg_edge(a, &hk, MS(1000));
	h2_txn(a, e, false, 0);
}

static int setup_h2(void **state)
{
	*state = render_fixture_new("test_render", identities, fill_h2, 12.5);
	return *state ? 0 : -1;
}

static void test_h2_edges_json(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_edges_json);
	json_t *root = parse(text);
	const json_t *edges = json_object_get(root, "edges"), *g, *h;
	char *codes;

	g = edge_by_protocol(edges, "grpc");
	h = edge_by_protocol(edges, "http2");
	assert_non_null(g);
	assert_non_null(h);
	codes = json_dumps(json_object_get(g, "grpc_status_codes"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(codes, "{\"0\":2,\"14\":1}");
	free(codes);
	assert_int_equal(json_integer_value(json_object_get(g, "requests")), 3);
	assert_int_equal(json_integer_value(json_object_get(g, "errors")), 1);
	assert_null(json_object_get(h, "grpc_status_codes")); /* gRPC edges only */
	assert_int_equal(json_integer_value(json_object_get(h, "errors")), 0);
	json_decref(root);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_edges_json, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_stats_json, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_answers_counters, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_prometheus, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_promtool_accepts, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_prometheus_by_workload, setup_two_clients,
					    render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_h2_edges_json, setup_h2, render_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

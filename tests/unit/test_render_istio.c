// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/serve/render_istio.c: an aggregator fed with known
 * transactions through the agg_* API, named through an identities file,
 * rendered by render_prometheus into memory and parsed back into samples.
 * Each assertion looks a sample up by its exact label set (all of them,
 * nothing more), as a Prometheus query with every label pinned would:
 * Istio's label names and defaults, two edges summed into one series, the
 * outside world in one PassthroughCluster series, Envoy's buckets, and
 * connection_security_policy from the edge's mutual_tls flag.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "render_fixture.h"

#define MS(x) ((uint64_t)(x)*1000000ULL)

/* 10.0.0.1 and 10.0.0.5 are two pods of one workload. */
static const char identities[] = "10.0.0.1 workload=frontend namespace=shop\n"
				 "10.0.0.5 workload=frontend namespace=shop\n"
				 "10.0.0.2 workload=checkout namespace=shop service=checkout\n"
				 "10.0.0.4 workload=db namespace=shop service=db\n";

/* The same names with service accounts, for the principals of mTLS edges. */
static const char identities_sa[] =
    "10.0.0.1 workload=frontend namespace=shop service_account=frontend-sa\n"
    "10.0.0.5 workload=frontend namespace=shop service_account=frontend-sa\n"
    "10.0.0.2 workload=checkout namespace=shop service=checkout service_account=checkout-sa\n"
    "10.0.0.4 workload=db namespace=shop service=db service_account=db-sa\n";

static const char FRONTEND_A[] = "10.0.0.1", FRONTEND_B[] = "10.0.0.5";
static const char CHECKOUT[] = "10.0.0.2", DB[] = "10.0.0.4";
static const char OUTSIDE_1[] = "93.184.216.34", OUTSIDE_2[] = "1.1.1.1";
static const char STRANGER[] = "198.51.100.7";

static struct edge *edge4(struct aggregator *a, const char *src, const char *dst, uint16_t port,
			  enum edge_proto proto)
{
	struct edge_key k = edge_key_of(src, dst, port, proto);
	struct edge *e = agg_edge(a, &k, MS(1000));

	assert_non_null(e);
	return e;
}

/* status 0: no response, the connection closed 40 ms after the request. */
static void http(struct aggregator *a, struct edge *e, enum edge_reporter r, uint16_t status,
		 uint64_t first_byte_ns, uint64_t resp_bytes)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "GET");
	t.version_minor = 1;
	t.status = status;
	t.req_start_ns = MS(1000);
	if (status) {
		t.resp_start_ns = t.req_start_ns + first_byte_ns;
		t.resp_end_ns = t.resp_start_ns + MS(1);
	}
	t.req_bytes = 100;
	t.resp_bytes = status ? resp_bytes : 0;
	agg_record_http(a, e, r, &t, MS(1040));
}

static void tcp(struct aggregator *a, struct edge *e, uint64_t sent, uint64_t received)
{
	agg_record_open(a, e, REPORTER_SOURCE, MS(1000));
	agg_record_tcp(a, e, REPORTER_SOURCE, sent, received, 0, 0, MS(1500));
	agg_record_close(a, e, REPORTER_SOURCE, false, MS(1500));
}

/*
 * frontend(A) -> checkout, mTLS, both ends: 200 x3 (10, 30, 100 ms to the
 * first byte, +1 ms to the last), 503, and one request with no response.
 * frontend(B) -> checkout, mTLS, server end only: 200 x2 (4 ms).
 * 198.51.100.7 -> checkout, plaintext, server end only: 200.
 * frontend(A) -> db:5432 tcp; frontend(A) -> two outside addresses, tcp.
 */
static void fill_edges(struct aggregator *a)
{
	struct edge *e;
	int r;

	e = edge4(a, FRONTEND_A, CHECKOUT, 8080, EDGE_PROTO_HTTP);
	e->mutual_tls = true;
	for (r = 0; r < REPORTER__MAX; r++) {
		agg_record_open(a, e, r, MS(1000));
		http(a, e, r, 200, MS(10), 1000);
		http(a, e, r, 200, MS(30), 1000);
		http(a, e, r, 200, MS(100), 1000);
		http(a, e, r, 503, MS(2), 1000);
		http(a, e, r, 0, 0, 0);
	}
	e = edge4(a, FRONTEND_B, CHECKOUT, 8080, EDGE_PROTO_HTTP);
	e->mutual_tls = true;
	http(a, e, REPORTER_DESTINATION, 200, MS(4), 3000);
	http(a, e, REPORTER_DESTINATION, 200, MS(4), 3000);
	e = edge4(a, STRANGER, CHECKOUT, 8080, EDGE_PROTO_HTTP);
	http(a, e, REPORTER_DESTINATION, 200, MS(1), 1000);

	tcp(a, edge4(a, FRONTEND_A, DB, 5432, EDGE_PROTO_TCP), 1000, 2000);
	tcp(a, edge4(a, FRONTEND_A, OUTSIDE_1, 443, EDGE_PROTO_TCP), 10, 20);
	tcp(a, edge4(a, FRONTEND_A, OUTSIDE_2, 443, EDGE_PROTO_TCP), 300, 400);
}

static int setup(void **state)
{
	*state = render_fixture_new("test_render_istio", identities, fill_edges, 1);
	return *state ? 0 : -1;
}

static int setup_sa(void **state)
{
	*state = render_fixture_new("test_render_istio_sa", identities_sa, fill_edges, 1);
	return *state ? 0 : -1;
}

/* --- the exposition, parsed ------------------------------------------------ */

#define MAX_LABELS 40

struct sample {
	char *name;
	char *labels; /* canonical: "k=v" lines, sorted */
	double value;
};

struct samples {
	struct sample *v;
	size_t n;
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "k=v" pairs joined by '\n': one string per label set, whatever the order. */
static char *canonical(char **pairs, size_t n)
{
	size_t i, len = 1;
	char *out;

	qsort(pairs, n, sizeof(*pairs), str_cmp);
	for (i = 0; i < n; i++)
		len += strlen(pairs[i]) + 1;
	out = calloc(1, len);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, pairs[i]);
		strcat(out, "\n");
	}
	return out;
}

/* Reads one k="v" at *p (escapes undone) into a malloc'd "k=v"; moves *p past it. */
static char *parse_pair(const char **p)
{
	const char *s = *p, *eq = strchr(s, '=');
	char *out, *o;

	assert_non_null(eq);
	assert_true(eq[1] == '"');
	out = calloc(1, strlen(s) + 1);
	assert_non_null(out);
	memcpy(out, s, eq - s + 1);
	o = out + (eq - s + 1);
	for (s = eq + 2; *s != '"'; s++) {
		assert_true(*s != '\0' && *s != '\n');
		if (*s == '\\') {
			s++;
			*o++ = *s == 'n' ? '\n' : *s;
		} else {
			*o++ = *s;
		}
	}
	*p = s + 1;
	return out;
}

static void parse_line(const char *line, struct sample *out)
{
	size_t len = strcspn(line, "{ "), n = 0, i;
	char *pairs[MAX_LABELS];
	const char *p = line + len;

	out->name = strndup(line, len);
	if (*p == '{') {
		for (p++; *p != '}';) {
			assert_true(n < MAX_LABELS);
			pairs[n++] = parse_pair(&p);
			if (*p == ',')
				p++;
		}
		p++;
	}
	out->labels = canonical(pairs, n);
	for (i = 0; i < n; i++)
		free(pairs[i]);
	assert_true(*p == ' ');
	out->value = strtod(p + 1, NULL);
}

static struct samples parse(const char *text)
{
	struct samples ss = {0};
	const char *line = text, *nl;
	char *copy;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (line[0] == '#')
			continue;
		ss.v = realloc(ss.v, (ss.n + 1) * sizeof(*ss.v));
		assert_non_null(ss.v);
		copy = strndup(line, nl - line);
		parse_line(copy, &ss.v[ss.n++]);
		free(copy);
	}
	return ss;
}

static void samples_free(struct samples *ss)
{
	size_t i;

	for (i = 0; i < ss->n; i++) {
		free(ss->v[i].name);
		free(ss->v[i].labels);
	}
	free(ss->v);
}

static size_t count_named(const struct samples *ss, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < ss->n; i++)
		n += !strcmp(ss->v[i].name, name);
	return n;
}

/*
 * The label set base with the "k=v" entries of overrides replacing those
 * with the same key, or added (both NULL-terminated).
 */
static char *label_set(const char *const *base, const char *const *overrides)
{
	char *pairs[MAX_LABELS], *out;
	size_t n = 0, i, j, klen;

	for (i = 0; base[i]; i++) {
		assert_true(n < MAX_LABELS);
		pairs[n++] = strdup(base[i]);
	}
	for (j = 0; overrides && overrides[j]; j++) {
		klen = strcspn(overrides[j], "=") + 1;
		for (i = 0; i < n && strncmp(pairs[i], overrides[j], klen); i++)
			;
		if (i == n) {
			assert_true(n < MAX_LABELS);
			n++;
		} else {
			free(pairs[i]);
		}
		pairs[i] = strdup(overrides[j]);
	}
	out = canonical(pairs, n);
	for (i = 0; i < n; i++)
		free(pairs[i]);
	return out;
}

/* The value of the sample with exactly this name and label set; fails if none. */
static double value_of(const struct samples *ss, const char *name, const char *const *base,
		       const char *const *overrides)
{
	char *want = label_set(base, overrides);
	size_t i;

	for (i = 0; i < ss->n; i++) {
		if (!strcmp(ss->v[i].name, name) && !strcmp(ss->v[i].labels, want)) {
			free(want);
			return ss->v[i].value;
		}
	}
	fail_msg("no %s sample with labels:\n%s", name, want);
	return -1;
}

/* --- expected label sets ----------------------------------------------------- */

#define SOURCE_FRONTEND                                                                            \
	"source_workload=frontend", "source_workload_namespace=shop", "source_principal=unknown",  \
	    "source_app=unknown", "source_version=unknown", "source_canonical_service=frontend",   \
	    "source_canonical_revision=latest", "source_cluster=Kubernetes"

#define SOURCE_UNKNOWN                                                                             \
	"source_workload=unknown", "source_workload_namespace=unknown",                            \
	    "source_principal=unknown", "source_app=unknown", "source_version=unknown",            \
	    "source_canonical_service=unknown", "source_canonical_revision=latest",                \
	    "source_cluster=unknown"

#define DESTINATION(wl, svc)                                                                       \
	"destination_workload=" wl, "destination_workload_namespace=shop",                         \
	    "destination_principal=unknown", "destination_app=unknown",                            \
	    "destination_version=unknown", "destination_service=" svc ".shop.svc.cluster.local",   \
	    "destination_service_name=" svc, "destination_service_namespace=shop",                 \
	    "destination_canonical_service=" wl, "destination_canonical_revision=latest",          \
	    "destination_cluster=Kubernetes"

#define HTTP_200 "response_code=200", "grpc_response_status=", "response_flags=-"

static const char *const to_checkout_dst[] = {"reporter=destination",
					      SOURCE_FRONTEND,
					      DESTINATION("checkout", "checkout"),
					      "request_protocol=http",
					      "connection_security_policy=mutual_tls",
					      HTTP_200,
					      NULL};
static const char *const to_checkout_src[] = {"reporter=source",
					      SOURCE_FRONTEND,
					      DESTINATION("checkout", "checkout"),
					      "request_protocol=http",
					      "connection_security_policy=unknown",
					      HTTP_200,
					      NULL};
static const char *const stranger_to_checkout[] = {"reporter=destination",
						   SOURCE_UNKNOWN,
						   DESTINATION("checkout", "checkout"),
						   "request_protocol=http",
						   "connection_security_policy=none",
						   HTTP_200,
						   NULL};
static const char *const to_db[] = {"reporter=source",
				    SOURCE_FRONTEND,
				    DESTINATION("db", "db"),
				    "request_protocol=tcp",
				    "connection_security_policy=unknown",
				    "response_flags=-",
				    NULL};
static const char *const to_outside[] = {"reporter=source",
					 SOURCE_FRONTEND,
					 "destination_workload=unknown",
					 "destination_workload_namespace=unknown",
					 "destination_principal=unknown",
					 "destination_app=unknown",
					 "destination_version=unknown",
					 "destination_service=unknown",
					 "destination_service_name=PassthroughCluster",
					 "destination_service_namespace=unknown",
					 "destination_canonical_service=unknown",
					 "destination_canonical_revision=latest",
					 "destination_cluster=unknown",
					 "request_protocol=tcp",
					 "connection_security_policy=unknown",
					 "response_flags=-",
					 NULL};

static const char *const no_labels[] = {NULL};

#define WITH(...) ((const char *const[]){__VA_ARGS__, NULL})

/* --- tests ------------------------------------------------------------------- */

static void test_requests_merged_by_label_set(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);
	struct samples ss = parse(text);
	const char *req = "istio_requests_total";

	/* Server side: frontend's two pods (3 + 2 requests) are one series. */
	assert_int_equal(value_of(&ss, req, to_checkout_dst, NULL), 5);
	assert_int_equal(value_of(&ss, req, to_checkout_src, NULL), 3);
	assert_int_equal(value_of(&ss, req, to_checkout_dst, WITH("response_code=503")), 1);
	assert_int_equal(value_of(&ss, req, to_checkout_src, WITH("response_code=503")), 1);
	/* No response: code 0 and Envoy's flag for a client that went away. */
	assert_int_equal(
	    value_of(&ss, req, to_checkout_dst, WITH("response_code=0", "response_flags=DC")), 1);
	assert_int_equal(
	    value_of(&ss, req, to_checkout_src, WITH("response_code=0", "response_flags=DC")), 1);
	/* An unnamed client: every source label unknown, plaintext. */
	assert_int_equal(value_of(&ss, req, stranger_to_checkout, NULL), 1);
	/* Nothing else: 3 codes x 2 reporters, and the stranger's. */
	assert_int_equal(count_named(&ss, req), 7);
	samples_free(&ss);
	free(text);
}

static void test_duration_in_envoy_buckets(void **state)
{
	const char *b = "istio_request_duration_milliseconds_bucket";
	const char *dur = "istio_request_duration_milliseconds";
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);
	struct samples ss = parse(text);
	char name[128];

	/* Server side, 200s: 5, 5 (B's pod), 11, 31, 101 ms to the last byte. */
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=1")), 0);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=5")), 2);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=10")), 2);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=25")), 3);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=50")), 4);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=100")), 4);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=250")), 5);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=3600000")), 5);
	assert_int_equal(value_of(&ss, b, to_checkout_dst, WITH("le=+Inf")), 5);
	snprintf(name, sizeof(name), "%s_count", dur);
	assert_int_equal(value_of(&ss, name, to_checkout_dst, NULL), 5);
	snprintf(name, sizeof(name), "%s_sum", dur);
	assert_float_equal(value_of(&ss, name, to_checkout_dst, NULL), 5 + 5 + 11 + 31 + 101, 1e-6);
	/* The request with no response lasted until the close, 40 ms later. */
	assert_int_equal(value_of(&ss, b, to_checkout_src,
				  WITH("response_code=0", "response_flags=DC", "le=25")),
			 0);
	assert_int_equal(value_of(&ss, b, to_checkout_src,
				  WITH("response_code=0", "response_flags=DC", "le=50")),
			 1);
	/* Envoy's 19 bounds and +Inf per series, one series per requests_total series. */
	assert_int_equal(count_named(&ss, b), 20 * 7);
	snprintf(name, sizeof(name), "%s_count", dur);
	assert_int_equal(count_named(&ss, name), 7);
	samples_free(&ss);
	free(text);
}

static void test_bytes_histograms(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);
	struct samples ss = parse(text);

	/* Requests: 100 bytes each. Responses: 1000 x3 from A's pod, 3000 x2 from B's. */
	assert_int_equal(
	    value_of(&ss, "istio_request_bytes_bucket", to_checkout_dst, WITH("le=50")), 0);
	assert_int_equal(
	    value_of(&ss, "istio_request_bytes_bucket", to_checkout_dst, WITH("le=100")), 5);
	assert_int_equal(value_of(&ss, "istio_request_bytes_sum", to_checkout_dst, NULL), 500);
	assert_int_equal(
	    value_of(&ss, "istio_response_bytes_bucket", to_checkout_dst, WITH("le=1000")), 3);
	assert_int_equal(
	    value_of(&ss, "istio_response_bytes_bucket", to_checkout_dst, WITH("le=2500")), 3);
	assert_int_equal(
	    value_of(&ss, "istio_response_bytes_bucket", to_checkout_dst, WITH("le=5000")), 5);
	assert_int_equal(value_of(&ss, "istio_response_bytes_sum", to_checkout_dst, NULL), 9000);
	assert_int_equal(value_of(&ss, "istio_response_bytes_count", to_checkout_dst, NULL), 5);
	samples_free(&ss);
	free(text);
}

static void test_tcp_and_passthrough(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);
	struct samples ss = parse(text);
	size_t i;

	/* Istio's "sent" is the server's answer: db sent 2000, got 1000. */
	assert_int_equal(value_of(&ss, "istio_tcp_sent_bytes_total", to_db, NULL), 2000);
	assert_int_equal(value_of(&ss, "istio_tcp_received_bytes_total", to_db, NULL), 1000);
	assert_int_equal(value_of(&ss, "istio_tcp_connections_opened_total", to_db, NULL), 1);
	assert_int_equal(value_of(&ss, "istio_tcp_connections_closed_total", to_db, NULL), 1);
	/* Both outside addresses: one PassthroughCluster series, summed. */
	assert_int_equal(value_of(&ss, "istio_tcp_sent_bytes_total", to_outside, NULL), 420);
	assert_int_equal(value_of(&ss, "istio_tcp_received_bytes_total", to_outside, NULL), 310);
	assert_int_equal(value_of(&ss, "istio_tcp_connections_opened_total", to_outside, NULL), 2);
	assert_int_equal(value_of(&ss, "istio_tcp_connections_closed_total", to_outside, NULL), 2);
	/* As in Istio, HTTP edges are not in istio_tcp_*: db and the outside only. */
	assert_int_equal(count_named(&ss, "istio_tcp_sent_bytes_total"), 2);
	assert_int_equal(count_named(&ss, "istio_tcp_connections_opened_total"), 2);
	/* No address in any istio_* label. */
	for (i = 0; i < ss.n; i++) {
		if (strncmp(ss.v[i].name, "istio_", 6))
			continue;
		if (strstr(ss.v[i].labels, "93.184") || strstr(ss.v[i].labels, "1.1.1.1") ||
		    strstr(ss.v[i].labels, "198.51") || strstr(ss.v[i].labels, "10.0.0."))
			fail_msg("an address in %s labels:\n%s", ss.v[i].name, ss.v[i].labels);
	}
	samples_free(&ss);
	free(text);
}

/* A cluster name given to naming (--cluster) labels every named end. */
static void test_cluster_name(void **state)
{
	struct render_fixture *fx = *state;
	char *text;
	struct samples ss;

	fx->naming.cluster = "east";
	text = render_text(fx, render_prometheus);
	ss = parse(text);
	assert_int_equal(value_of(&ss, "istio_requests_total", to_checkout_dst,
				  WITH("source_cluster=east", "destination_cluster=east")),
			 5);
	assert_int_equal(
	    value_of(&ss, "istio_tcp_sent_bytes_total", to_outside, WITH("source_cluster=east")),
	    420);
	samples_free(&ss);
	free(text);
}

/* --cluster-domain is the suffix of the Service host names naming builds. */
static void test_cluster_domain(void **state)
{
	struct render_fixture *fx = *state;
	char *text;
	struct samples ss;

	fx->naming.cluster_domain = "corp.example";
	text = render_text(fx, render_prometheus);
	ss = parse(text);
	assert_int_equal(value_of(&ss, "istio_requests_total", to_checkout_dst,
				  WITH("destination_service=checkout.shop.svc.corp.example")),
			 5);
	samples_free(&ss);
	free(text);
}

/*
 * Principals are the SPIFFE ids Istio's certificates carry, so only where
 * mutual TLS carried the edge: frontend -> checkout (tunnelled) has both,
 * frontend -> db (plaintext) has none, whatever the service accounts; the
 * trust domain is --trust-domain's.
 */
/* istio_requests_total of frontend -> checkout with both SPIFFE ids in trust domain td. */
static double with_principals(const struct samples *ss, const char *const *base, const char *td)
{
	char src[128], dst[128];

	snprintf(src, sizeof(src), "source_principal=spiffe://%s/ns/shop/sa/frontend-sa", td);
	snprintf(dst, sizeof(dst), "destination_principal=spiffe://%s/ns/shop/sa/checkout-sa", td);
	return value_of(ss, "istio_requests_total", base, WITH(src, dst));
}

static void test_principals(void **state)
{
	struct render_fixture *fx = *state;
	char *text;
	struct samples ss;

	text = render_text(fx, render_prometheus);
	ss = parse(text);
	assert_int_equal(with_principals(&ss, to_checkout_dst, "cluster.local"), 5);
	assert_int_equal(with_principals(&ss, to_checkout_src, "cluster.local"), 3);
	assert_int_equal(value_of(&ss, "istio_tcp_sent_bytes_total", to_db, NULL), 2000);
	/* plaintext: unknown, though checkout's account is known */
	assert_int_equal(value_of(&ss, "istio_requests_total", stranger_to_checkout,
				  WITH("destination_principal=unknown")),
			 1);
	samples_free(&ss);
	free(text);

	fx->naming.trust_domain = "corp.example";
	text = render_text(fx, render_prometheus);
	ss = parse(text);
	assert_int_equal(with_principals(&ss, to_checkout_dst, "corp.example"), 5);
	samples_free(&ss);
	free(text);
}

/*
 * A view holds at most EDGE_SERIES_MAX series: requests past it are missing
 * from istio_* and counted, so the series count stays bounded.
 */
static void test_series_limit_counted(void **state)
{
	const char *client = "10.0.0.5";
	struct render_fixture *fx = *state;
	struct edge *e = edge4(&fx->agg, client, DB, 80, EDGE_PROTO_HTTP);
	const int extra = 8;
	char *text;
	struct samples ss;
	double total = 0;
	size_t i;
	int s;

	for (s = 0; s < EDGE_SERIES_MAX + extra; s++)
		http(&fx->agg, e, REPORTER_SOURCE, (uint16_t)(200 + s), MS(1), 10);
	text = render_text(fx, render_prometheus);
	ss = parse(text);
	assert_int_equal(value_of(&ss, "meshsight_istio_series_dropped_total", no_labels, NULL),
			 extra);
	for (i = 0; i < ss.n; i++)
		if (!strcmp(ss.v[i].name, "istio_requests_total") &&
		    strstr(ss.v[i].labels, "destination_workload=db\n"))
			total += ss.v[i].value;
	assert_int_equal(total, EDGE_SERIES_MAX);
	samples_free(&ss);
	free(text);
}

static void test_promtool_accepts(void **state)
{
	assert_promtool_accepts(*state);
}

/* A gRPC stream as h2.c reports it: HTTP 200 with a grpc-status, or reset (no status). */
static void grpc_call(struct aggregator *a, struct edge *e, int grpc_status)
{
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	strcpy(t.method, "POST");
	strcpy(t.path, "/shop.Cart/Add");
	t.flags = HTTP1_TXN_F_H2 | HTTP1_TXN_F_GRPC;
	t.req_start_ns = MS(1000);
	if (grpc_status >= 0) {
		t.status = 200;
		t.flags |= HTTP1_TXN_F_GRPC_STATUS;
		t.grpc_status = (uint8_t)grpc_status;
		t.resp_start_ns = MS(1002);
		t.resp_end_ns = MS(1003);
	} else {
		t.flags |= HTTP1_TXN_F_STREAM_RESET | HTTP1_TXN_F_NO_RESPONSE;
	}
	agg_record_http(a, e, REPORTER_DESTINATION, &t, MS(1040));
}

/* frontend(A) -> checkout:9090 gRPC: OK x3, NOT_FOUND x2, one reset stream. */
static void fill_grpc(struct aggregator *a)
{
	struct edge *e = edge4(a, FRONTEND_A, CHECKOUT, 9090, EDGE_PROTO_GRPC);

	grpc_call(a, e, 0);
	grpc_call(a, e, 0);
	grpc_call(a, e, 0);
	grpc_call(a, e, 5);
	grpc_call(a, e, 5);
	grpc_call(a, e, -1);
}

static int setup_grpc(void **state)
{
	*state = render_fixture_new("test_render_istio", identities, fill_grpc, 1);
	return *state ? 0 : -1;
}

static void test_grpc_series(void **state)
{
	struct render_fixture *fx = *state;
	char *text = render_text(fx, render_prometheus);
	struct samples ss = parse(text);
	const char *req = "istio_requests_total";
	static const char *const grpc_dst[] = {"reporter=destination",
					       SOURCE_FRONTEND,
					       DESTINATION("checkout", "checkout"),
					       "request_protocol=grpc",
					       "connection_security_policy=none",
					       "response_code=200",
					       "grpc_response_status=0",
					       "response_flags=-",
					       NULL};

	assert_int_equal(value_of(&ss, req, grpc_dst, NULL), 3);
	assert_int_equal(value_of(&ss, req, grpc_dst, WITH("grpc_response_status=5")), 2);
	/* A reset stream: no HTTP response, no gRPC status. */
	assert_int_equal(
	    value_of(&ss, req, grpc_dst,
		     WITH("response_code=0", "grpc_response_status=", "response_flags=DC")),
	    1);
	assert_int_equal(count_named(&ss, req), 3);
	samples_free(&ss);
	free(text);
	assert_promtool_accepts(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_requests_merged_by_label_set, setup,
					    render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_duration_in_envoy_buckets, setup,
					    render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_bytes_histograms, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_and_passthrough, setup,
					    render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_name, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_domain, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_principals, setup_sa, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_series_limit_counted, setup,
					    render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_promtool_accepts, setup, render_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_grpc_series, setup_grpc, render_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/otlp/transport.c: environment parsing against a fake
 * environment, the retry policy and its arithmetic, and the transport
 * against a tiny HTTP/1.1 server thread on 127.0.0.1 that answers from a
 * script (status, extra headers, body, delay) and records every request, so
 * retries, Retry-After, gzip, headers and drop-oldest are checked on the
 * wire. Each connection carries one request ("Connection: close"), which
 * keeps the server to a page of code.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "otlp/transport.h"
#include "lib/url.h"

/* ---- fake environment ------------------------------------------------------ */

static const char *const *fake_env; /* name, value, name, value, ..., NULL */

static const char *fake_getenv(const char *name)
{
	const char *const *p;

	for (p = fake_env; p && *p; p += 2)
		if (!strcmp(p[0], name))
			return p[1];
	return NULL;
}

static int from_env(struct otlp_config *c, char *err, size_t errlen, const char *const *env)
{
	fake_env = env;
	err[0] = '\0';
	return otlp_config_from_env(c, fake_getenv, err, errlen);
}

#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct otlp_config cfg; /* 25 KiB: not on the test's stack */
static char err[512];

static void expect_env_error(const char *const *env, const char *var, const char *hint)
{
	assert_int_equal(from_env(&cfg, err, sizeof(err), env), -EINVAL);
	if (!strstr(err, var) || (hint && !strstr(err, hint)))
		fail_msg("error '%s' should name %s and say %s", err, var, hint ? hint : "");
}

static void test_env_defaults(void **state)
{
	(void)state;
	assert_int_equal(from_env(&cfg, err, sizeof(err), NULL), 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_METRICS], "http://localhost:4318/v1/metrics");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "http://localhost:4318/v1/traces");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_LOGS], "http://localhost:4318/v1/logs");
	assert_int_equal(cfg.nheaders, 0);
	assert_false(cfg.gzip);
	assert_false(cfg.json);
	assert_string_equal(cfg.ca_file, "");
	assert_int_equal(cfg.timeout_ms, 10000);
	assert_int_equal(cfg.queue_batches, 64);
	assert_int_equal(cfg.retry_initial_ms, 1000);
	assert_int_equal(cfg.retry_max_ms, 5000);
	assert_int_equal(cfg.retry_max_elapsed_ms, 60000);
}

static void test_env_endpoints(void **state)
{
	(void)state;
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318")),
	    0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_METRICS], "http://col:4318/v1/metrics");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "http://col:4318/v1/traces");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_LOGS], "http://col:4318/v1/logs");
	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318",
				      "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:9/logs")),
			 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_LOGS], "http://l:9/logs");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "http://col:4318/v1/traces");

	/* a trailing slash must not double */
	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "https://col/otlp/")),
			 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "https://col/otlp/v1/traces");

	/* per-signal URLs are used as is and win over the base */
	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318",
				      "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom")),
			 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_METRICS], "http://m:9/custom");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "http://col:4318/v1/traces");

	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t/")),
			 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_TRACES], "http://t/");
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_METRICS], "http://localhost:4318/v1/metrics");

	/* empty means unset */
	assert_int_equal(from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "")),
			 0);
	assert_string_equal(cfg.endpoint[OTLP_SIGNAL_METRICS], "http://localhost:4318/v1/metrics");

	expect_env_error(ENV("OTEL_EXPORTER_OTLP_ENDPOINT", "col:4318"),
			 "OTEL_EXPORTER_OTLP_ENDPOINT", "http://");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x"),
			 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://");
}

static void test_env_headers(void **state)
{
	(void)state;
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err),
		     ENV("OTEL_EXPORTER_OTLP_HEADERS", " api-key = abc%20def%2C1 ,x-tenant=t1,,",
			 "OTEL_EXPORTER_OTLP_METRICS_HEADERS", "X-Tenant=t2,only-m=%3d",
			 "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "empty=")),
	    0);
	assert_int_equal(cfg.nheaders, 2);
	assert_string_equal(cfg.headers[0], "api-key: abc def,1");
	assert_string_equal(cfg.headers[1], "x-tenant: t1");
	assert_int_equal(cfg.nsig_headers[OTLP_SIGNAL_METRICS], 2);
	assert_string_equal(cfg.sig_headers[OTLP_SIGNAL_METRICS][0], "X-Tenant: t2");
	assert_string_equal(cfg.sig_headers[OTLP_SIGNAL_METRICS][1], "only-m: =");
	assert_int_equal(cfg.nsig_headers[OTLP_SIGNAL_TRACES], 1);
	assert_string_equal(cfg.sig_headers[OTLP_SIGNAL_TRACES][0], "empty: ");

	/* a repeated key replaces, it does not add */
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_HEADERS", "a=1,A=2")), 0);
	assert_int_equal(cfg.nheaders, 1);
	assert_string_equal(cfg.headers[0], "A: 2");

	expect_env_error(ENV("OTEL_EXPORTER_OTLP_HEADERS", "novalue"), "OTEL_EXPORTER_OTLP_HEADERS",
			 "key=value");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_HEADERS", "bad key=1"),
			 "OTEL_EXPORTER_OTLP_HEADERS", "key=value");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_HEADERS", "=1"), "OTEL_EXPORTER_OTLP_HEADERS",
			 NULL);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "k=%zz"),
			 "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "percent");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "k=%4"),
			 "OTEL_EXPORTER_OTLP_METRICS_HEADERS", NULL);
	/* header injection through a decoded CR LF */
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_HEADERS", "k=a%0d%0aHost: evil"),
			 "OTEL_EXPORTER_OTLP_HEADERS", "CR");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_HEADERS",
			     "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1,k=1,l=1,m=1,n=1,o=1,p=1,q=1"),
			 "OTEL_EXPORTER_OTLP_HEADERS", "16");
}

static void test_env_compression(void **state)
{
	(void)state;
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")), 0);
	assert_true(cfg.gzip);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_COMPRESSION", "none")), 0);
	assert_false(cfg.gzip);
	/* a per-signal variable overrides the general one, for both signals */
	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_COMPRESSION", "none",
				      "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip",
				      "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip")),
			 0);
	assert_true(cfg.gzip);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip")),
	    0);
	assert_true(cfg.gzip);

	expect_env_error(ENV("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
			 "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip or none");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "br"),
			 "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip or none");
	/* logs follow the others unless their own variable says otherwise */
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip")),
	    0);
	assert_true(cfg.gzip);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "gzip",
			     "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip",
			     "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "none"),
			 "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "one COMPRESSION");
	/* the struct has one field, so signals that disagree are refused */
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_COMPRESSION", "none",
			     "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
			 "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "one COMPRESSION");
}

static void test_env_timeout(void **state)
{
	(void)state;
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")), 0);
	assert_int_equal(cfg.timeout_ms, 2500);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700")), 0);
	assert_int_equal(cfg.timeout_ms, 700);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TIMEOUT", "10s"), "OTEL_EXPORTER_OTLP_TIMEOUT",
			 "milliseconds");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TIMEOUT", "0"), "OTEL_EXPORTER_OTLP_TIMEOUT",
			 "milliseconds");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TIMEOUT", "-5"), "OTEL_EXPORTER_OTLP_TIMEOUT",
			 NULL);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "99999999999"),
			 "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", NULL);
}

static void test_env_protocol(void **state)
{
	(void)state;
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")), 0);
	assert_true(cfg.json);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")),
	    0);
	assert_false(cfg.json);
	assert_int_equal(from_env(&cfg, err, sizeof(err),
				  ENV("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")),
			 0);
	assert_true(cfg.json);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "OTEL_EXPORTER_OTLP_PROTOCOL",
			 "not supported; use http/protobuf");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc"),
			 "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "not supported");
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift"),
			 "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf or http/json");
}

static void test_env_certificate(void **state)
{
	char path[] = "/tmp/test_otlp_ca_XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_CERTIFICATE", path)), 0);
	assert_string_equal(cfg.ca_file, path);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path)),
	    0);
	assert_string_equal(cfg.ca_file, path);
	unlink(path);
	expect_env_error(ENV("OTEL_EXPORTER_OTLP_CERTIFICATE", path),
			 "OTEL_EXPORTER_OTLP_CERTIFICATE", "CA file");
}

/* ---- retry policy ------------------------------------------------------------ */

static void test_retryable_statuses(void **state)
{
	static const long yes[] = {429, 502, 503, 504};
	static const long no[] = {200, 204, 301, 400, 401, 403, 404, 408, 413, 500, 501, 505, 0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(otlp_status_retryable(yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(otlp_status_retryable(no[i]));
}

static void test_retry_after(void **state)
{
	const long when = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	(void)state;
	assert_int_equal(otlp_parse_retry_after("120", when), 120);
	assert_int_equal(otlp_parse_retry_after(" 0 ", when), 0);
	assert_int_equal(otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when - 30), 30);
	assert_int_equal(otlp_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", when - 7), 7);
	assert_int_equal(otlp_parse_retry_after("Sun Nov  6 08:49:37 1994", when - 1), 1);
	/* a date in the past means now */
	assert_int_equal(otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when + 99), 0);

	assert_int_equal(otlp_parse_retry_after(NULL, when), -1);
	assert_int_equal(otlp_parse_retry_after("", when), -1);
	assert_int_equal(otlp_parse_retry_after("soon", when), -1);
	assert_int_equal(otlp_parse_retry_after("12abc", when), -1);
	assert_int_equal(otlp_parse_retry_after("-5", when), -1);
	assert_int_equal(otlp_parse_retry_after("1.5", when), -1);
	assert_int_equal(otlp_parse_retry_after("99999999999999999999999", when), -1);
	assert_int_equal(otlp_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT junk", when), -1);
	assert_int_equal(otlp_parse_retry_after("Sun, 32 Nov 1994 08:49:37 GMT", when), -1);
}

static void test_backoff_bounds(void **state)
{
	struct otlp_config c = {.retry_initial_ms = 1000, .retry_max_ms = 5000};
	uint32_t prev = 0, hi;
	unsigned a;

	(void)state;
	/* full jitter: [0, base) with base = 1000 * 1.5^(attempt-1), capped at 5000 */
	assert_int_equal(otlp_backoff_ms(&c, 1, 0.0), 0);
	assert_int_equal(otlp_backoff_ms(&c, 1, 0.999), 999);
	assert_int_equal(otlp_backoff_ms(&c, 2, 0.999), 1498);
	assert_int_equal(otlp_backoff_ms(&c, 3, 0.999), 2247);
	assert_int_equal(otlp_backoff_ms(&c, 5, 0.999), 4995); /* 5062 capped */
	for (a = 1; a <= 200; a++) {
		assert_int_equal(otlp_backoff_ms(&c, a, 0.0), 0);
		hi = otlp_backoff_ms(&c, a, 0.999);
		assert_true(hi < c.retry_max_ms);
		assert_true(hi >= prev);
		prev = hi;
	}
	assert_int_equal(prev, 4995);
	assert_true(otlp_backoff_ms(&c, 3, 0.5) < otlp_backoff_ms(&c, 3, 0.999));
}

/* ---- test HTTP server -------------------------------------------------------- */

#define SRV_MAX_REQ 16

struct reply {
	int status;
	const char *headers; /* extra lines, each ending in \r\n */
	const char *body;
	size_t body_len;
	int delay_ms; /* before answering */
};

struct request {
	char head[4096];
	uint8_t *body;
	size_t len;
	uint64_t at_ms;
};

struct server {
	int fd, port;
	pthread_t th;
	const struct reply *script; /* the last reply repeats */
	size_t nscript;
	const struct reply *traces; /* when set, the answer to every /v1/traces request */
	pthread_mutex_t lock;
	struct request req[SRV_MAX_REQ];
	size_t nreq;
	volatile int stop;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static const char *head_value(const char *head, const char *name)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), "\r\n%s:", name);
	p = strcasestr(head, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	return p + strspn(p, " ");
}

static bool read_request(int c, struct request *r)
{
	size_t have = 0, need;
	const char *end = NULL, *cl;
	ssize_t n;

	while (!end) {
		if (have + 1 >= sizeof(r->head))
			return false;
		n = read(c, r->head + have, sizeof(r->head) - 1 - have);
		if (n <= 0)
			return false;
		have += (size_t)n;
		r->head[have] = '\0';
		end = strstr(r->head, "\r\n\r\n");
	}
	cl = head_value(r->head, "Content-Length");
	need = cl ? strtoul(cl, NULL, 10) : 0;
	r->body = malloc(need + 1);
	r->len = have - (size_t)(end + 4 - r->head);
	memcpy(r->body, end + 4, r->len);
	while (r->len < need) {
		n = read(c, r->body + r->len, need - r->len);
		if (n <= 0)
			return false;
		r->len += (size_t)n;
	}
	return true;
}

static void answer(int c, const struct reply *rp)
{
	char head[512];
	int n;

	if (rp->delay_ms)
		sleep_ms((unsigned)rp->delay_ms);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d Test\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
		     rp->status, rp->body_len, rp->headers ? rp->headers : "");
	if (write(c, head, (size_t)n) != n ||
	    (rp->body_len && write(c, rp->body, rp->body_len) != (ssize_t)rp->body_len))
		fprintf(stderr, "test server: short write\n");
}

static void serve_one(struct server *s, int c)
{
	struct timeval tv = {.tv_sec = 2};
	struct request r = {0};
	size_t i;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!read_request(c, &r)) {
		free(r.body);
		return;
	}
	r.at_ms = mono_ms();
	pthread_mutex_lock(&s->lock);
	i = s->nreq;
	if (i < SRV_MAX_REQ)
		s->req[s->nreq++] = r;
	else
		free(r.body);
	pthread_mutex_unlock(&s->lock);
	if (s->traces && !strncmp(r.head, "POST /v1/traces ", 16))
		answer(c, s->traces);
	else
		answer(c, &s->script[i < s->nscript ? i : s->nscript - 1]);
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	int c;

	while (!s->stop) {
		if (poll(&p, 1, 20) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(s, c);
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s, const struct reply *script, size_t n)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->nscript = n;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 16), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	size_t i;

	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->fd);
	for (i = 0; i < s->nreq; i++)
		free(s->req[i].body);
	pthread_mutex_destroy(&s->lock);
}

static size_t server_nreq(struct server *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nreq;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- exporter helpers -------------------------------------------------------- */

static void test_config(struct otlp_config *c, const char *base)
{
	assert_int_equal(from_env(c, err, sizeof(err), ENV("OTEL_EXPORTER_OTLP_ENDPOINT", base)),
			 0);
	c->retry_initial_ms = 50;
	c->retry_max_ms = 100;
	c->retry_max_elapsed_ms = 5000;
	c->timeout_ms = 2000;
}

static void server_config(struct otlp_config *c, struct server *s)
{
	char base[64];

	snprintf(base, sizeof(base), "http://127.0.0.1:%d", s->port);
	test_config(c, base);
}

static struct otlp_exporter *start(const struct otlp_config *c)
{
	struct otlp_exporter *e = NULL;

	if (otlp_exporter_start(c, &e, err, sizeof(err)))
		fail_msg("otlp_exporter_start: %s", err);
	return e;
}

static int submit_str(struct otlp_exporter *e, enum otlp_signal sig, const char *s, uint64_t items)
{
	size_t n = strlen(s);
	uint8_t *body = malloc(n);

	memcpy(body, s, n);
	return otlp_exporter_submit(e, sig, body, n, items);
}

/* Polls the stats until field[sig] reaches want or 5 s pass. */
#define WAIT_STAT(e, field, sig, want)                                                             \
	do {                                                                                       \
		struct otlp_export_stats _st;                                                      \
		uint64_t _end = mono_ms() + 5000;                                                  \
		do {                                                                               \
			otlp_exporter_stats(e, &_st);                                              \
			if (_st.field[sig] >= (want))                                              \
				break;                                                             \
			sleep_ms(5);                                                               \
		} while (mono_ms() < _end);                                                        \
		assert_int_equal(_st.field[sig], want);                                            \
	} while (0)

/* Waits until the worker has taken a batch and failed on it once. */
static void wait_first_error(struct otlp_exporter *e, enum otlp_signal sig)
{
	struct otlp_export_stats st;
	uint64_t end = mono_ms() + 5000;

	do {
		otlp_exporter_stats(e, &st);
		if (st.last_error[sig][0])
			return;
		sleep_ms(2);
	} while (mono_ms() < end);
	fail_msg("no failed attempt within 5 s");
}

/* ---- transport tests --------------------------------------------------------- */

static void test_503_retry_after_then_200(void **state)
{
	static const struct reply script[] = {
	    {.status = 503, .headers = "Retry-After: 1\r\n"},
	    {.status = 200},
	};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;

	(void)state;
	server_start(&s, script, 2);
	server_config(&cfg, &s);
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "hello", 4), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 1);
	otlp_exporter_stats(e, &st);
	otlp_exporter_stop(e, 1000);

	assert_int_equal(server_nreq(&s), 2);
	/* Retry-After: 1 wins over the 50..100 ms backoff */
	assert_true(s.req[1].at_ms - s.req[0].at_ms >= 950);
	assert_int_equal(st.retries[OTLP_SIGNAL_METRICS], 1);
	assert_int_equal(st.batches_failed[OTLP_SIGNAL_METRICS], 0);
	assert_int_equal(st.items_sent[OTLP_SIGNAL_METRICS], 4);
	assert_int_equal(st.bytes_sent[OTLP_SIGNAL_METRICS], 5);
	assert_int_equal(st.last_status[OTLP_SIGNAL_METRICS], 200);
	assert_int_equal(st.queued[OTLP_SIGNAL_METRICS], 0);
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_METRICS], "503"));

	assert_true(!strncmp(s.req[0].head, "POST /v1/metrics HTTP/1.1\r\n", 27));
	assert_true(
	    !strncmp(head_value(s.req[0].head, "Content-Type"), "application/x-protobuf\r\n", 24));
	assert_true(!strncmp(head_value(s.req[0].head, "User-Agent"), "meshsight/", 10));
	assert_null(head_value(s.req[0].head, "Content-Encoding"));
	assert_int_equal(s.req[1].len, 5);
	assert_memory_equal(s.req[1].body, "hello", 5);
	server_stop(&s);
}

static void test_400_not_retried(void **state)
{
	static const struct reply script[] = {
	    {.status = 400, .body = "bad\nrequest", .body_len = 11},
	};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;

	(void)state;
	server_start(&s, script, 1);
	server_config(&cfg, &s);
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_TRACES, "span", 3), 0);
	WAIT_STAT(e, batches_failed, OTLP_SIGNAL_TRACES, 1);
	sleep_ms(150); /* longer than any backoff: a retry would have happened */
	otlp_exporter_stats(e, &st);
	otlp_exporter_stop(e, 0);

	assert_int_equal(server_nreq(&s), 1);
	assert_true(!strncmp(s.req[0].head, "POST /v1/traces ", 16));
	assert_int_equal(st.retries[OTLP_SIGNAL_TRACES], 0);
	assert_int_equal(st.batches_sent[OTLP_SIGNAL_TRACES], 0);
	assert_int_equal(st.items_dropped[OTLP_SIGNAL_TRACES], 3);
	assert_int_equal(st.last_status[OTLP_SIGNAL_TRACES], 400);
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_TRACES], "HTTP 400"));
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_TRACES], "bad.request"));
	server_stop(&s);
}

static void inflate_all(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	z_stream zs = {0};

	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip wrapper only */
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)*outlen;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	inflateEnd(&zs);
}

static void test_gzip_json_and_headers(void **state)
{
	static const struct reply script[] = {{.status = 200}};
	static uint8_t plain[8192], out[16384];
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;
	size_t i, n = sizeof(out);
	uint8_t *body;
	char base[64];

	(void)state;
	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("{\"resourceMetrics\":[]}"[i % 22]);
	server_start(&s, script, 1);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", s.port);
	assert_int_equal(
	    from_env(&cfg, err, sizeof(err),
		     ENV("OTEL_EXPORTER_OTLP_ENDPOINT", base, "OTEL_EXPORTER_OTLP_COMPRESSION",
			 "gzip", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json",
			 "OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret,x-tenant=t1",
			 "OTEL_EXPORTER_OTLP_METRICS_HEADERS", "X-Tenant=t2")),
	    0);
	e = start(&cfg);
	body = malloc(sizeof(plain));
	memcpy(body, plain, sizeof(plain));
	assert_int_equal(otlp_exporter_submit(e, OTLP_SIGNAL_METRICS, body, sizeof(plain), 1), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 1);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_TRACES, "{}", 1), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_TRACES, 1);
	otlp_exporter_stats(e, &st);
	otlp_exporter_stop(e, 1000);

	assert_int_equal(server_nreq(&s), 2);
	assert_true(!strncmp(s.req[0].head, "POST /v1/metrics ", 17));
	assert_true(!strncmp(head_value(s.req[0].head, "Content-Encoding"), "gzip\r\n", 6));
	assert_true(
	    !strncmp(head_value(s.req[0].head, "Content-Type"), "application/json\r\n", 18));
	assert_true(!strncmp(head_value(s.req[0].head, "api-key"), "s=cret\r\n", 8));
	assert_true(!strncmp(head_value(s.req[0].head, "x-tenant"), "t2\r\n", 4));
	assert_null(strstr(s.req[0].head, "t1\r\n"));
	assert_null(head_value(s.req[0].head, "Expect"));
	assert_true(s.req[0].len < sizeof(plain) / 10);
	assert_int_equal(st.bytes_sent[OTLP_SIGNAL_METRICS], s.req[0].len);
	inflate_all(s.req[0].body, s.req[0].len, out, &n);
	assert_int_equal(n, sizeof(plain));
	assert_memory_equal(out, plain, sizeof(plain));

	/* traces keep the general x-tenant */
	assert_true(!strncmp(s.req[1].head, "POST /v1/traces ", 16));
	assert_true(!strncmp(head_value(s.req[1].head, "x-tenant"), "t1\r\n", 4));
	n = sizeof(out);
	inflate_all(s.req[1].body, s.req[1].len, out, &n);
	assert_int_equal(n, 2);
	server_stop(&s);
}

static void test_partial_success(void **state)
{
	/* ExportMetricsServiceResponse{partial_success{rejected_data_points: 3, error_message:
	 * "x"}} */
	static const char pb[] = "\x0a\x05\x08\x03\x12\x01x";
	static const char js[] = "{\"partialSuccess\":{\"rejectedDataPoints\":\"2\","
				 "\"errorMessage\":\"too old\"}}";
	static const struct reply script[] = {
	    {.status = 200,
	     .headers = "Content-Type: application/x-protobuf\r\n",
	     .body = pb,
	     .body_len = sizeof(pb) - 1},
	    {.status = 200,
	     .headers = "Content-Type: application/json; charset=utf-8\r\n",
	     .body = js,
	     .body_len = sizeof(js) - 1},
	};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;

	(void)state;
	server_start(&s, script, 2);
	server_config(&cfg, &s);
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "a", 10), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 1);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "b", 10), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 2);
	otlp_exporter_stats(e, &st);
	otlp_exporter_stop(e, 0);

	assert_int_equal(st.items_rejected[OTLP_SIGNAL_METRICS], 5);
	assert_int_equal(st.items_sent[OTLP_SIGNAL_METRICS], 15);
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_METRICS], "rejected 2 of 10"));
	server_stop(&s);
}

static void test_stop_flushes_queue(void **state)
{
	static const struct reply script[] = {{.status = 200}};
	struct otlp_exporter *e;
	struct server s;
	int i;

	(void)state;
	server_start(&s, script, 1);
	server_config(&cfg, &s);
	e = start(&cfg);
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    submit_str(e, i % 2 ? OTLP_SIGNAL_TRACES : OTLP_SIGNAL_METRICS, "x", 1), 0);
	otlp_exporter_stop(e, 3000);
	assert_int_equal(server_nreq(&s), 5);
	server_stop(&s);
}

/* The server holds the first request while the queue overflows: the oldest go. */
static void test_drop_oldest_order(void **state)
{
	static const struct reply script[] = {{.status = 200, .delay_ms = 300}, {.status = 200}};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;
	char name[16];
	int i, nospc = 0;

	(void)state;
	server_start(&s, script, 2);
	server_config(&cfg, &s);
	cfg.queue_batches = 4;
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "batch-0", 1), 0);
	while (!server_nreq(&s))
		sleep_ms(2);
	for (i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "batch-%d", i);
		nospc += submit_str(e, OTLP_SIGNAL_METRICS, name, 1) == -ENOSPC;
	}
	otlp_exporter_stats(e, &st);
	assert_int_equal(nospc, 5);
	assert_int_equal(st.batches_dropped[OTLP_SIGNAL_METRICS], 5);
	assert_int_equal(st.items_dropped[OTLP_SIGNAL_METRICS], 5);
	assert_int_equal(st.queued[OTLP_SIGNAL_METRICS], 4);
	assert_int_equal(st.queued_bytes[OTLP_SIGNAL_METRICS], 4 * 7);
	otlp_exporter_stop(e, 3000);

	assert_int_equal(server_nreq(&s), 5);
	assert_memory_equal(s.req[0].body, "batch-0", 7);
	for (i = 1; i < 5; i++) {
		snprintf(name, sizeof(name), "batch-%d", i + 5);
		assert_memory_equal(s.req[i].body, name, 7);
	}
	server_stop(&s);
}

/*
 * The traces endpoint answers 503 to everything while metrics are accepted:
 * the traces batch waiting for its retries must not hold the metrics up.
 * With one sender for all signals, retrying one batch at a time, the
 * metrics batch waited until the traces batch gave up, 5 s here.
 */
static void test_retry_does_not_block_other_signals(void **state)
{
	static const struct reply ok[] = {{.status = 200}};
	static const struct reply unavailable = {.status = 503};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s;
	uint64_t t0;

	(void)state;
	server_start(&s, ok, 1);
	s.traces = &unavailable;
	server_config(&cfg, &s);
	cfg.retry_initial_ms = 400;
	cfg.retry_max_ms = 400;
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_TRACES, "spans", 3), 0);
	wait_first_error(e, OTLP_SIGNAL_TRACES);
	t0 = mono_ms();
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "points", 6), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 1);
	otlp_exporter_stats(e, &st);
	printf("      metrics sent %llu ms after submit, behind a traces batch in retry\n",
	       (unsigned long long)(mono_ms() - t0));
	assert_true(mono_ms() - t0 < 1500);
	assert_int_equal(st.items_sent[OTLP_SIGNAL_METRICS], 6);
	assert_int_equal(st.batches_sent[OTLP_SIGNAL_TRACES], 0);
	assert_int_equal(st.batches_failed[OTLP_SIGNAL_TRACES], 0); /* still retrying */
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_TRACES], "503"));
	otlp_exporter_stop(e, 0);
	server_stop(&s);
}

/*
 * The traces collector accepts the request and holds it for 2 s (a hung
 * backend, or a path that drops packets) while the metrics collector is
 * up: each signal has its own sender and connection, so the metrics go at
 * once. With one sender for all signals they waited for the hung request.
 */
static void test_hung_collector_does_not_block_other_signals(void **state)
{
	static const struct reply ok[] = {{.status = 200}};
	static const struct reply hung[] = {{.status = 200, .delay_ms = 2000}};
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	struct server s, slow;
	char traces[64];
	uint64_t t0;

	(void)state;
	server_start(&s, ok, 1);
	server_start(&slow, hung, 1);
	server_config(&cfg, &s);
	snprintf(traces, sizeof(traces), "http://127.0.0.1:%d/v1/traces", slow.port);
	snprintf(cfg.endpoint[OTLP_SIGNAL_TRACES], sizeof(cfg.endpoint[OTLP_SIGNAL_TRACES]), "%s",
		 traces);
	cfg.timeout_ms = 5000;
	e = start(&cfg);
	assert_int_equal(submit_str(e, OTLP_SIGNAL_TRACES, "spans", 3), 0);
	while (!server_nreq(&slow))
		sleep_ms(2);
	t0 = mono_ms();
	assert_int_equal(submit_str(e, OTLP_SIGNAL_METRICS, "points", 6), 0);
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_METRICS, 1);
	printf("      metrics sent %llu ms after submit, beside a hung traces request\n",
	       (unsigned long long)(mono_ms() - t0));
	assert_true(mono_ms() - t0 < 1000);
	otlp_exporter_stats(e, &st);
	assert_int_equal(st.batches_sent[OTLP_SIGNAL_TRACES], 0); /* still waiting */
	WAIT_STAT(e, batches_sent, OTLP_SIGNAL_TRACES, 1);
	otlp_exporter_stop(e, 0);
	server_stop(&slow);
	server_stop(&s);
}

/*
 * Collector down (nothing listens on port 1): the sender keeps retrying one
 * batch while a flood is submitted. The queue and its bytes stay capped,
 * every batch is accounted for, and stop does not wait out a backoff.
 */
static void test_closed_port_bounded(void **state)
{
	enum { N = 200, LEN = 1024, DEPTH = 4 };
	struct otlp_export_stats st;
	struct otlp_exporter *e;
	uint64_t t0, dropped;
	int i, ret, nospc = 0;
	uint8_t *body;

	(void)state;
	test_config(&cfg, "http://127.0.0.1:1");
	cfg.queue_batches = DEPTH;
	cfg.retry_initial_ms = 2000; /* long waits, so stop must cut them short */
	cfg.retry_max_ms = 5000;
	cfg.retry_max_elapsed_ms = 60000;
	e = start(&cfg);
	for (i = 0; i < N; i++) {
		body = calloc(1, LEN);
		ret = otlp_exporter_submit(e, OTLP_SIGNAL_METRICS, body, LEN, 2);
		assert_true(ret == 0 || ret == -ENOSPC);
		nospc += ret == -ENOSPC;
		if (i == 0)
			wait_first_error(e, OTLP_SIGNAL_METRICS);
	}
	sleep_ms(50);
	otlp_exporter_stats(e, &st);
	assert_true(st.queued[OTLP_SIGNAL_METRICS] <= DEPTH);
	assert_true(st.queued_bytes[OTLP_SIGNAL_METRICS] <= DEPTH * LEN);
	dropped = st.batches_dropped[OTLP_SIGNAL_METRICS];
	assert_int_equal(dropped, nospc);
	assert_int_equal(st.items_dropped[OTLP_SIGNAL_METRICS], 2 * dropped);
	/* one in flight, DEPTH queued, the rest dropped */
	assert_int_equal(dropped + st.queued[OTLP_SIGNAL_METRICS] + 1, N);
	assert_int_equal(st.batches_sent[OTLP_SIGNAL_METRICS], 0);
	assert_int_equal(st.last_status[OTLP_SIGNAL_METRICS], 0);
	assert_non_null(strstr(st.last_error[OTLP_SIGNAL_METRICS], "127.0.0.1:1"));

	t0 = mono_ms();
	otlp_exporter_stop(e, 200);
	assert_true(mono_ms() - t0 < 1000);
}

/* Endpoints are checked up front, and shown only without their userinfo. */
static void test_url_check_and_redact(void **state)
{
	static const char *const bad[][2] = {
	    {"notaurl", "not an http:// or https:// URL"},
	    {"ftp://x", "not an http:// or https:// URL"},
	    {"ftp://u:SECRETPW@x", "'ftp://REDACTED@x'"},
	    {"http://", "no host"},
	    {"http://:4318", "no host"},
	    {"https://u:SECRETPW@/v1", "no host"},
	};
	static const char *const redact[][2] = {
	    {"http://u:SECRETPW@c:4318/v1/metrics", "http://REDACTED@c:4318/v1/metrics"},
	    {"https://SECRETTOKEN@c/v1", "https://REDACTED@c/v1"},
	    {"http://a@b:SECRETPW@c/", "http://REDACTED@c/"},
	    {"http://c:4318/p@th?x=@", "http://c:4318/p@th?x=@"},
	    {"http://c:4318", "http://c:4318"},
	};
	char msg[256], out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(otlp_check_url("--otlp-endpoint", bad[i][0], msg, sizeof(msg)),
				 -EINVAL);
		if (!strstr(msg, bad[i][1]) || strstr(msg, "SECRETPW") ||
		    !strstr(msg, "--otlp-endpoint") || !strstr(msg, "http://collector:4318"))
			fail_msg("'%s': got \"%s\", want \"%s\"", bad[i][0], msg, bad[i][1]);
	}
	assert_int_equal(otlp_check_url("x", "http://u:pw@localhost:4318", msg, sizeof(msg)), 0);
	assert_int_equal(otlp_check_url("x", "HTTPS://[::1]:4318/", msg, sizeof(msg)), 0);
	for (i = 0; i < sizeof(redact) / sizeof(redact[0]); i++) {
		url_redact(redact[i][0], out, sizeof(out));
		assert_string_equal(out, redact[i][1]);
	}
}

/* The password of the endpoint never reaches last_error, whatever curl says. */
static void test_userinfo_not_in_errors(void **state)
{
	struct otlp_export_stats st;
	struct otlp_exporter *e;

	(void)state;
	test_config(&cfg, "http://otlpuser:SECRETPW@127.0.0.1:1");
	e = start(&cfg);
	assert_int_equal(otlp_exporter_submit(e, OTLP_SIGNAL_METRICS, calloc(1, 16), 16, 1), 0);
	wait_first_error(e, OTLP_SIGNAL_METRICS);
	otlp_exporter_stats(e, &st);
	if (!strstr(st.last_error[OTLP_SIGNAL_METRICS], "http://REDACTED@127.0.0.1:1/v1/metrics") ||
	    strstr(st.last_error[OTLP_SIGNAL_METRICS], "SECRETPW") ||
	    strstr(st.last_error[OTLP_SIGNAL_METRICS], "otlpuser"))
		fail_msg("last_error: %s", st.last_error[OTLP_SIGNAL_METRICS]);
	otlp_exporter_stop(e, 100);
}

/*
 * A collector that accepts and never answers, with the default 10 s request
 * timeout: stop still returns within its flush time, not the timeout's.
 */
static void test_stop_with_hung_collector(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct otlp_exporter *e;
	char base[64];
	uint64_t t0;
	int fd, i;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0); /* the kernel accepts; nobody reads */
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	test_config(&cfg, base);
	cfg.timeout_ms = 10000;
	e = start(&cfg);
	for (i = 0; i < 3; i++)
		otlp_exporter_submit(e, OTLP_SIGNAL_TRACES, calloc(1, 64), 64, 1);
	sleep_ms(300); /* the first request is in flight */
	t0 = mono_ms();
	otlp_exporter_stop(e, 500);
	assert_true(mono_ms() - t0 < 1500);
	close(fd);
}

static void test_start_errors(void **state)
{
	struct otlp_exporter *e = NULL;

	(void)state;
	test_config(&cfg, "http://127.0.0.1:1");
	cfg.queue_batches = 0;
	assert_int_equal(otlp_exporter_start(&cfg, &e, err, sizeof(err)), -EINVAL);
	assert_null(e);
	assert_non_null(strstr(err, "queue"));

	cfg.queue_batches = 2;
	e = start(&cfg);
	assert_int_equal(otlp_exporter_submit(e, OTLP_SIGNAL__MAX, malloc(4), 4, 1), -EINVAL);
	otlp_exporter_stop(e, 0);
	otlp_exporter_stop(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_env_defaults),
	    cmocka_unit_test(test_env_endpoints),
	    cmocka_unit_test(test_env_headers),
	    cmocka_unit_test(test_env_compression),
	    cmocka_unit_test(test_env_timeout),
	    cmocka_unit_test(test_env_protocol),
	    cmocka_unit_test(test_env_certificate),
	    cmocka_unit_test(test_retryable_statuses),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_backoff_bounds),
	    cmocka_unit_test(test_503_retry_after_then_200),
	    cmocka_unit_test(test_retry_does_not_block_other_signals),
	    cmocka_unit_test(test_hung_collector_does_not_block_other_signals),
	    cmocka_unit_test(test_400_not_retried),
	    cmocka_unit_test(test_gzip_json_and_headers),
	    cmocka_unit_test(test_partial_success),
	    cmocka_unit_test(test_stop_flushes_queue),
	    cmocka_unit_test(test_drop_oldest_order),
	    cmocka_unit_test(test_closed_port_bounded),
	    cmocka_unit_test(test_start_errors),
	    cmocka_unit_test(test_url_check_and_redact),
	    cmocka_unit_test(test_userinfo_not_in_errors),
	    cmocka_unit_test(test_stop_with_hung_collector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

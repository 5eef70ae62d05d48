// SPDX-License-Identifier: BSD-2-Clause
/*
 * OTLP/HTTP transport (see transport.h; its settings are read in config.c). Callers hand over
 * encoded bodies; each signal has a sender: a thread that owns its own curl easy handle (so its
 * connection is reused) and ships that signal's batches in order. A slow or dead collector costs
 * the datapath nothing but queue slots, and one signal's collector costs the others nothing: each
 * signal may have its own endpoint (traces to Tempo, metrics to a Prometheus OTLP receiver), and a
 * batch waiting out its retries, or a request hanging until its timeout, must not delay, then
 * overflow, the queues of the signals whose collector is up. Two idle threads and 64 KiB of
 * response buffer each are the price.
 *
 * Memory stays bounded however long the collector is away: each signal has
 * a ring of queue_batches bodies, a full ring drops its oldest body (the
 * newest data is the most useful), and each sender holds at most one more
 * batch, the one it is sending.
 *
 * Retry policy, as the OTLP/HTTP specification asks: 429, 502, 503, 504 and
 * transport failures are retried, every other status is final. The delay is
 * exponential (retry_initial_ms, x1.5, capped at retry_max_ms) with full
 * jitter, as the Java SDK does, so a fleet of agents does not come back in
 * lockstep after an outage. A Retry-After on 429 or 503 replaces the backoff
 * rather than adding to it: the server knows when it will be ready, and
 * waiting max(backoff, Retry-After) would only delay the data. A batch is
 * given up when the next attempt would start after retry_max_elapsed_ms.
 *
 * Stop lets the senders flush for flush_ms: a retry wait ends at once when
 * its retry would fall after that deadline, and a request in flight is cut
 * short by the progress callback.
 *
 * This module does not log (it is linked into the unit tests without
 * log.c); failures are counted and described in otlp_export_stats.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "lib/version.h"
#include "lib/env.h"
#include "otlp/encode.h"
#include "otlp/transport.h"
#include "lib/url.h"
#include "lib/str.h"
#include "lib/clock.h"
#include "lib/curl.h"

#define RESP_MAX	   (64 * 1024) /* response bytes kept for partial_success */
#define CONNECT_TIMEOUT_MS 5000	       /* DNS + TCP + TLS, within the request timeout */
#define BACKOFF_MULTIPLIER 1.5

/* ---- retry policy -------------------------------------------------------- */

bool otlp_status_retryable(long http_status)
{
	switch (http_status) {
	case 429: /* Too Many Requests */
	case 502: /* Bad Gateway */
	case 503: /* Service Unavailable */
	case 504: /* Gateway Timeout */
		return true;
	default:
		return false;
	}
}

/* Errors that another attempt cannot fix: configuration, TLS trust, our abort. */
static bool curl_error_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return false;
	default:
		return true;
	}
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* RFC 9110 section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms. */
static long parse_http_date(const char *s)
{
	static const char *const fmts[] = {
	    "%a, %d %b %Y %H:%M:%S GMT",
	    "%A, %d-%b-%y %H:%M:%S GMT",
	    "%a %b %e %H:%M:%S %Y",
	};
	const char *end;
	struct tm tm;
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && !*skip_space(end))
			return (long)timegm(&tm);
	}
	return -1;
}

long otlp_parse_retry_after(const char *value, long now_epoch_s)
{
	const char *s;
	unsigned long secs;
	char *end;
	long when;

	if (!value)
		return -1;
	s = skip_space(value);
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		secs = strtoul(s, &end, 10);
		if (errno || *skip_space(end) || secs > (unsigned long)INT32_MAX)
			return -1;
		return (long)secs;
	}
	when = parse_http_date(s);
	if (when < 0)
		return -1;
	/* A date in the past means "now". */
	return when > now_epoch_s ? when - now_epoch_s : 0;
}

uint32_t otlp_backoff_ms(const struct otlp_config *c, unsigned attempt, double rnd)
{
	double base = c->retry_initial_ms;
	unsigned i;

	for (i = 1; i < attempt && base < c->retry_max_ms; i++)
		base *= BACKOFF_MULTIPLIER;
	if (base > c->retry_max_ms)
		base = c->retry_max_ms;
	if (rnd < 0)
		rnd = 0;
	if (rnd >= 1)
		rnd = 0.999999;
	return (uint32_t)(base * rnd);
}

/* ---- the exporter -------------------------------------------------------- */

struct batch {
	uint8_t *body;
	size_t len;
	uint64_t items;
};

/* Ring of queue_batches slots; the oldest batch is at head. */
struct queue {
	struct batch *slot;
	uint32_t head, count;
};

struct resp_buf {
	uint8_t data[RESP_MAX];
	size_t len;
};

struct otlp_exporter;

/* One signal's worker. */
struct sender {
	struct otlp_exporter *e;
	int sig;
	pthread_t thread;
	bool started;

	/* the sender's thread only */
	CURL *curl;
	char curl_err[CURL_ERROR_SIZE];
	struct resp_buf resp;
	uint64_t rnd_state;
};

struct otlp_exporter {
	struct otlp_config cfg;
	char shown[OTLP_SIGNAL__MAX][512]; /* endpoints as messages may show them */

	/* lock guards everything below it up to snd */
	pthread_mutex_t lock;
	/* New batch, or stop; broadcast, so every sender looks. CLOCK_MONOTONIC. */
	pthread_cond_t wake;
	struct queue q[OTLP_SIGNAL__MAX];
	struct otlp_export_stats st;
	bool stopping;
	uint64_t flush_deadline_ms;

	struct curl_slist *hdrs[OTLP_SIGNAL__MAX]; /* read-only once started */
	struct sender snd[OTLP_SIGNAL__MAX];
};

/* xorshift64*: jitter needs spread, not secrecy. */
static double rnd_next(struct sender *s)
{
	uint64_t x = s->rnd_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rnd_state = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 53);
}

static void set_error(struct otlp_exporter *e, int sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Caller holds e->lock. libcurl's own words may quote the URL: whatever the
 * message, the endpoint's userinfo never reaches it.
 */
static void set_error(struct otlp_exporter *e, int sig, const char *fmt, ...)
{
	char *msg = e->st.last_error[sig], *hit;
	size_t start = 0, n = url_userinfo_span(e->cfg.endpoint[sig], &start);
	char secret[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(e->st.last_error[sig]), fmt, ap);
	va_end(ap);
	if (n < 2 || n > sizeof(secret))
		return;
	memcpy(secret, e->cfg.endpoint[sig] + start, n - 1); /* without the '@' */
	secret[n - 1] = '\0';
	while ((hit = strstr(msg, secret)))
		memset(hit, '*', n - 1);
}

/* Caller holds e->lock. */
static bool queue_pop(struct otlp_exporter *e, int sig, struct batch *out)
{
	struct queue *q = &e->q[sig];

	if (!q->count)
		return false;
	*out = q->slot[q->head];
	q->head = (q->head + 1) % e->cfg.queue_batches;
	q->count--;
	e->st.queued[sig] = q->count;
	e->st.queued_bytes[sig] -= out->len;
	return true;
}

/* Caller holds e->lock. */
static void count_dropped(struct otlp_exporter *e, int sig, const struct batch *b)
{
	e->st.batches_dropped[sig]++;
	e->st.items_dropped[sig] += b->items;
}

int otlp_exporter_submit(struct otlp_exporter *e, enum otlp_signal sig, uint8_t *body, size_t len,
			 uint64_t items)
{
	struct batch b = {.body = body, .len = len, .items = items}, old;
	struct queue *q;
	int ret = 0;

	if ((unsigned)sig >= OTLP_SIGNAL__MAX) {
		free(body);
		return -EINVAL;
	}
	pthread_mutex_lock(&e->lock);
	if (e->stopping) {
		count_dropped(e, sig, &b);
		pthread_mutex_unlock(&e->lock);
		free(body);
		return -ESHUTDOWN;
	}
	q = &e->q[sig];
	if (q->count == e->cfg.queue_batches) {
		queue_pop(e, sig, &old);
		count_dropped(e, sig, &old);
		free(old.body);
		ret = -ENOSPC;
	}
	q->slot[(q->head + q->count) % e->cfg.queue_batches] = b;
	q->count++;
	e->st.queued[sig] = q->count;
	e->st.queued_bytes[sig] += len;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

void otlp_exporter_stats(struct otlp_exporter *e, struct otlp_export_stats *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->st;
	pthread_mutex_unlock(&e->lock);
}

/* ---- one HTTP request ---------------------------------------------------- */

struct attempt {
	long status; /* 0: transport error */
	CURLcode cc;
	long retry_after; /* seconds, -1: none */
	bool resp_json;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct resp_buf *r = arg;
	size_t n = size * nmemb, room = sizeof(r->data) - r->len;

	/* Anything past RESP_MAX is not a partial_success we need; swallow it. */
	if (n < room)
		room = n;
	memcpy(r->data + r->len, data, room);
	r->len += room;
	return n;
}

/* Aborts a request in flight once stop's flush deadline has passed. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct otlp_exporter *e = arg;
	bool late;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	pthread_mutex_lock(&e->lock);
	late = e->stopping && clock_mono_ms() >= e->flush_deadline_ms;
	pthread_mutex_unlock(&e->lock);
	return late;
}

static long request_timeout_ms(struct otlp_exporter *e)
{
	uint64_t t = e->cfg.timeout_ms, now = clock_mono_ms();

	pthread_mutex_lock(&e->lock);
	if (e->stopping)
		t = e->flush_deadline_ms > now ? e->flush_deadline_ms - now : 1;
	if (t > e->cfg.timeout_ms)
		t = e->cfg.timeout_ms;
	pthread_mutex_unlock(&e->lock);
	return (long)t;
}

static long header_retry_after(struct sender *s)
{
	struct curl_header *h;

	if (curl_easy_header(s->curl, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return -1;
	return otlp_parse_retry_after(h->value, (long)time(NULL));
}

static void send_once(struct sender *s, const uint8_t *body, size_t len, struct attempt *a)
{
	struct otlp_exporter *e = s->e;
	char *ctype = NULL;

	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	s->resp.len = 0;
	s->curl_err[0] = '\0';
	curl_easy_setopt(s->curl, CURLOPT_URL, e->cfg.endpoint[s->sig]);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, e->hdrs[s->sig]);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, request_timeout_ms(e));
	a->cc = curl_easy_perform(s->curl);
	if (a->cc != CURLE_OK)
		return;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->status == 429 || a->status == 503)
		a->retry_after = header_retry_after(s);
	/* No Content-Type: assume the collector answered in the format we sent. */
	if (curl_easy_getinfo(s->curl, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		a->resp_json = !strncasecmp(ctype, "application/json", 16);
	else
		a->resp_json = e->cfg.json;
}

/* ---- one batch, with retries --------------------------------------------- */

/*
 * Sleeps until the retry is due. Returns false when stop's flush deadline
 * would come first, so that stop never waits out a backoff it cannot use.
 */
static bool wait_retry(struct otlp_exporter *e, uint64_t delay_ms)
{
	uint64_t until = clock_mono_ms() + delay_ms;
	struct timespec ts;
	bool go = true;

	clock_deadline(&ts, delay_ms);

	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (e->stopping && until > e->flush_deadline_ms) {
			go = false;
			break;
		}
		if (clock_mono_ms() >= until)
			break;
		pthread_cond_timedwait(&e->wake, &e->lock, &ts);
	}
	pthread_mutex_unlock(&e->lock);
	return go;
}

static void describe_failure(struct sender *s, const struct attempt *a, const char *what)
{
	struct otlp_exporter *e = s->e;
	int n = (int)(s->resp.len < 96 ? s->resp.len : 96), i, sig = s->sig;
	char snippet[97];

	pthread_mutex_lock(&e->lock);
	e->st.last_status[sig] = (int)a->status;
	if (a->cc != CURLE_OK) {
		set_error(e, sig, "POST %s: %s (%s)", e->shown[sig],
			  s->curl_err[0] ? s->curl_err : curl_easy_strerror(a->cc), what);
	} else {
		/* The collector's words help most, but only printable ones. */
		for (i = 0; i < n; i++)
			snippet[i] = isprint(s->resp.data[i]) ? (char)s->resp.data[i] : '.';
		snippet[n] = '\0';
		set_error(e, sig, "POST %s: HTTP %ld (%s) %s", e->shown[sig], a->status, what,
			  snippet);
	}
	pthread_mutex_unlock(&e->lock);
}

static void count_success(struct sender *s, const struct batch *b, size_t wire,
			  const struct attempt *a)
{
	struct otlp_exporter *e = s->e;
	int sig = s->sig;
	int64_t rejected = 0;
	char msg[128] = "";
	uint64_t ok;

	/* An unreadable response is the collector's problem: the batch was accepted. */
	if (s->resp.len && otlp_decode_response(s->resp.data, s->resp.len, a->resp_json, &rejected,
						msg, sizeof(msg)))
		rejected = 0;
	if (rejected < 0)
		rejected = 0;
	ok = (uint64_t)rejected < b->items ? b->items - (uint64_t)rejected : 0;

	pthread_mutex_lock(&e->lock);
	e->st.batches_sent[sig]++;
	e->st.items_sent[sig] += ok;
	e->st.items_rejected[sig] += (uint64_t)rejected;
	e->st.bytes_sent[sig] += wire;
	e->st.last_status[sig] = (int)a->status;
	if (rejected)
		set_error(e, sig, "POST %s: collector rejected %lld of %llu items: %s",
			  e->shown[sig], (long long)rejected, (unsigned long long)b->items, msg);
	pthread_mutex_unlock(&e->lock);
}

static void count_failure(struct otlp_exporter *e, int sig, const struct batch *b)
{
	pthread_mutex_lock(&e->lock);
	e->st.batches_failed[sig]++;
	e->st.items_dropped[sig] += b->items;
	pthread_mutex_unlock(&e->lock);
}

/* Delay before the next attempt, or -1 when the attempt is final. */
static int64_t next_delay(struct sender *s, const struct attempt *a, unsigned attempt,
			  uint64_t started, const char **why)
{
	struct otlp_exporter *e = s->e;
	uint64_t delay;

	if (a->cc != CURLE_OK ? !curl_error_retryable(a->cc) : !otlp_status_retryable(a->status)) {
		*why = "not retryable";
		return -1;
	}
	/* "Retry now" (0 or a past date) gets the backoff, so it cannot make us spin. */
	if (a->retry_after > 0)
		delay = (uint64_t)a->retry_after * 1000;
	else
		delay = otlp_backoff_ms(&e->cfg, attempt, rnd_next(s));
	if (clock_mono_ms() + delay - started > e->cfg.retry_max_elapsed_ms) {
		*why = "retry time exhausted, batch dropped";
		return -1;
	}
	*why = "will retry";
	return (int64_t)delay;
}

static int gzip_body(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream zs = {0};
	uint8_t *buf;
	uLong bound;
	int ret = -ENOMEM;

	if (len > UINT32_MAX)
		return -E2BIG;
	/* windowBits 15 + 16: a gzip wrapper, which Content-Encoding: gzip means */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (!buf)
		goto out_end;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(buf);
		ret = -EIO;
		goto out_end;
	}
	*out = buf;
	*outlen = zs.total_out;
	ret = 0;
out_end:
	deflateEnd(&zs);
	return ret;
}

static void export_batch(struct sender *s, const struct batch *b)
{
	struct otlp_exporter *e = s->e;
	const uint8_t *wire = b->body;
	size_t wire_len = b->len;
	uint8_t *gz = NULL;
	uint64_t started = clock_mono_ms();
	struct attempt a;
	const char *why;
	unsigned attempt;
	int64_t delay;
	int sig = s->sig;

	if (e->cfg.gzip) {
		if (gzip_body(b->body, b->len, &gz, &wire_len)) {
			pthread_mutex_lock(&e->lock);
			set_error(e, sig, "gzip of a %zu-byte body failed: out of memory", b->len);
			pthread_mutex_unlock(&e->lock);
			count_failure(e, sig, b);
			return;
		}
		wire = gz;
	}
	for (attempt = 1;; attempt++) {
		send_once(s, wire, wire_len, &a);
		if (a.cc == CURLE_OK && a.status >= 200 && a.status < 300) {
			count_success(s, b, wire_len, &a);
			break;
		}
		delay = next_delay(s, &a, attempt, started, &why);
		describe_failure(s, &a, why);
		if (delay < 0 || !wait_retry(e, (uint64_t)delay)) {
			count_failure(e, sig, b);
			break;
		}
		pthread_mutex_lock(&e->lock);
		e->st.retries[sig]++;
		pthread_mutex_unlock(&e->lock);
	}
	free(gz);
}

/* ---- senders ------------------------------------------------------------- */

/* Caller holds e->lock. What stop could not flush is counted as dropped. */
static void drain_queue(struct otlp_exporter *e, int sig)
{
	struct batch b;

	while (queue_pop(e, sig, &b)) {
		count_dropped(e, sig, &b);
		free(b.body);
	}
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	struct otlp_exporter *e = s->e;
	struct batch b;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (e->stopping && clock_mono_ms() >= e->flush_deadline_ms)
			break;
		if (!queue_pop(e, s->sig, &b)) {
			if (e->stopping)
				break;
			pthread_cond_wait(&e->wake, &e->lock);
			continue;
		}
		pthread_mutex_unlock(&e->lock);
		export_batch(s, &b);
		free(b.body);
		pthread_mutex_lock(&e->lock);
	}
	drain_queue(e, s->sig);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

static int append_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *n = curl_slist_append(*list, line);

	if (!n)
		return -ENOMEM;
	*list = n;
	return 0;
}

static int build_headers(struct otlp_exporter *e, int sig)
{
	const struct otlp_config *c = &e->cfg;
	struct curl_slist **l = &e->hdrs[sig];
	size_t i, klen;
	int ret;

	ret = append_header(l, c->json ? "Content-Type: application/json"
				       : "Content-Type: application/x-protobuf");
	/* libcurl would otherwise wait up to 1 s for "100 Continue" on bodies over 1 KiB. */
	ret = ret ?: append_header(l, "Expect:");
	if (c->gzip)
		ret = ret ?: append_header(l, "Content-Encoding: gzip");
	for (i = 0; i < c->nheaders && !ret; i++) {
		klen = otlp_header_key_len(c->headers[i]);
		if (otlp_header_find(c->sig_headers[sig], c->nsig_headers[sig], c->headers[i],
				     klen) == c->nsig_headers[sig])
			ret = append_header(l, c->headers[i]);
	}
	for (i = 0; i < c->nsig_headers[sig] && !ret; i++)
		ret = append_header(l, c->sig_headers[sig][i]);
	return ret;
}

static int setup_curl(struct sender *s, char *err, size_t errlen)
{
	struct otlp_exporter *e = s->e;
	CURLcode cc = CURLE_OK;

	s->curl = curl_easy_init();
	if (!s->curl) {
		snprintf(err, errlen, "cannot create a libcurl handle; out of memory?");
		return -ENOMEM;
	}
	cc |= curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "meshsight/" MESHSIGHT_VERSION);
	cc |= curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->curl_err);
	cc |= curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	cc |= curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->resp);
	cc |= curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	cc |= curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, e);
	cc |= curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
	cc |= curl_easy_setopt(s->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Connecting (name resolution included) gets at most CONNECT_TIMEOUT_MS of the request's
	 * time. */
	cc |= curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
			       (long)(e->cfg.timeout_ms < CONNECT_TIMEOUT_MS ? e->cfg.timeout_ms
									     : CONNECT_TIMEOUT_MS));
#if LIBCURL_VERSION_NUM >= 0x075700
	/*
	 * An aborted transfer otherwise waits for its resolver thread: a stop
	 * during a lookup of an unreachable DNS server took 6 s. The thread is
	 * left to finish on its own; at exit that costs nothing.
	 */
	cc |= curl_easy_setopt(s->curl, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (e->cfg.ca_file[0])
		cc |= curl_easy_setopt(s->curl, CURLOPT_CAINFO, e->cfg.ca_file);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "cannot configure libcurl (%s); is libcurl older than 7.83?",
			 curl_easy_strerror(cc));
		return -EINVAL;
	}
	return 0;
}

static int check_config(const struct otlp_config *c, char *err, size_t errlen)
{
	if (!c->endpoint[0][0] || !c->endpoint[1][0]) {
		snprintf(err, errlen, "OTLP endpoint missing; set OTEL_EXPORTER_OTLP_ENDPOINT");
		return -EINVAL;
	}
	if (!c->queue_batches || !c->timeout_ms || !c->retry_initial_ms ||
	    c->retry_max_ms < c->retry_initial_ms) {
		snprintf(err, errlen,
			 "bad OTLP exporter settings: queue depth, timeout and "
			 "initial retry must be > 0 and max retry >= initial retry");
		return -EINVAL;
	}
	return 0;
}

static int init_sync(struct otlp_exporter *e)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	/* Retry waits must not stretch or shrink when the wall clock is set. */
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = ret ?: pthread_cond_init(&e->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (ret)
		return -ret;
	ret = pthread_mutex_init(&e->lock, NULL);
	if (ret) {
		pthread_cond_destroy(&e->wake);
		return -ret;
	}
	return 0;
}

static void exporter_free(struct otlp_exporter *e)
{
	int s;

	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		curl_slist_free_all(e->hdrs[s]);
		free(e->q[s].slot);
		if (e->snd[s].curl)
			curl_easy_cleanup(e->snd[s].curl);
	}
	free(e);
}

static int exporter_alloc(const struct otlp_config *c, struct otlp_exporter **out, char *err,
			  size_t errlen)
{
	struct otlp_exporter *e;
	int s, ret = -ENOMEM;

	e = calloc(1, sizeof(*e));
	if (!e)
		goto out_oom;
	e->cfg = *c;
	for (s = 0; s < OTLP_SIGNAL__MAX; s++)
		url_redact(c->endpoint[s], e->shown[s], sizeof(e->shown[s]));
	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		e->q[s].slot = calloc(c->queue_batches, sizeof(*e->q[s].slot));
		if (!e->q[s].slot || build_headers(e, s))
			goto out_free_oom;
	}
	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		e->snd[s].e = e;
		e->snd[s].sig = s;
		e->snd[s].rnd_state =
		    (clock_mono_ms() ^ (uint64_t)(uintptr_t)&e->snd[s] ^ (uint64_t)getpid() << 32) |
		    1;
		ret = setup_curl(&e->snd[s], err, errlen);
		if (ret) {
			exporter_free(e);
			return ret;
		}
	}
	*out = e;
	return 0;
out_free_oom:
	exporter_free(e);
out_oom:
	snprintf(err, errlen,
		 "cannot allocate the OTLP exporter (%u batches per signal); lower the queue depth",
		 c->queue_batches);
	return ret;
}

/* Asks every started sender to stop, giving the queues flush_ms, and waits for them. */
static void join_senders(struct otlp_exporter *e, uint32_t flush_ms)
{
	int sig;

	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	e->flush_deadline_ms = clock_mono_ms() + flush_ms;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	for (sig = 0; sig < OTLP_SIGNAL__MAX; sig++)
		if (e->snd[sig].started)
			pthread_join(e->snd[sig].thread, NULL);
}

int otlp_exporter_start(const struct otlp_config *c, struct otlp_exporter **out, char *err,
			size_t errlen)
{
	struct otlp_exporter *e;
	CURLcode cc;
	int ret, sig;

	ret = check_config(c, err, errlen);
	if (ret)
		return ret;
	cc = curl_init_once();
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl: %s", curl_easy_strerror(cc));
		return -EIO;
	}
	ret = exporter_alloc(c, &e, err, errlen);
	if (ret)
		return ret;
	ret = init_sync(e);
	if (ret)
		goto out_free;
	for (sig = 0; sig < OTLP_SIGNAL__MAX && !ret; sig++) {
		ret = -pthread_create(&e->snd[sig].thread, NULL, sender_main, &e->snd[sig]);
		e->snd[sig].started = !ret;
	}
	if (ret)
		goto out_threads;
	*out = e;
	return 0;
out_threads:
	join_senders(e, 0);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
out_free:
	snprintf(err, errlen, "cannot start the OTLP exporter threads: %s", strerror(-ret));
	exporter_free(e);
	return ret;
}

void otlp_exporter_stop(struct otlp_exporter *e, uint32_t flush_ms)
{
	if (!e)
		return;
	join_senders(e, flush_ms);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	exporter_free(e);
}

// SPDX-License-Identifier: BSD-2-Clause
#define _GNU_SOURCE /* fopencookie */
/*
 * See http_server.h. Bounded by design, so that no client can lock the
 * endpoint out or make it grow:
 *   - HTTP_MAX_CONNECTIONS at once and HTTP_PER_IP_CONNECTIONS from one
 *     address (a hostile pod cannot take the slots Prometheus and the
 *     kubelet need), HTTP_CONNECTION_MEMORY each for the request;
 *   - a request head must be complete HTTP_HEAD_DEADLINE_MS after the
 *     connection, or its previous response, began: libmicrohttpd's own
 *     timeout restarts on every byte, so a client trickling one header line
 *     a second would hold its slot for ever; a sweeper thread shuts such
 *     sockets down (counted);
 *   - an idle keep-alive connection is closed after HTTP_IDLE_TIMEOUT_S;
 *   - every page is rendered straight into gzip (the text never exists in
 *     full) and inflated on the fly for a reader that does not take gzip;
 *     a shared page (/metrics) is kept for the requests that come within
 *     HTTP_PAGE_REUSE_MS, and by every request while pages still being sent
 *     to slow readers hold more than HTTP_PAGES_MAX_BYTES compressed:
 *     memory stays one compressed page, whatever the readers do.
 * GET and HEAD only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "serve/http_server.h"
#include "lib/clock.h"

#define HTTP_MAX_CONNECTIONS	256
#define HTTP_PER_IP_CONNECTIONS 16
#define HTTP_CONNECTION_MEMORY	(32 * 1024)
#define HTTP_IDLE_TIMEOUT_S	10
#define HTTP_HEAD_DEADLINE_MS	5000
#define HTTP_SWEEP_MS		250
#define HTTP_PAGE_REUSE_MS	250
#define HTTP_PAGES_MAX_BYTES	((size_t)64 << 20)

/* One TCP connection, for the head deadline. */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	uint64_t head_start_ns; /* accepted, or its last response completed */
	bool in_request;	/* the head is complete: no deadline until the response ends */
};

/*
 * A rendered page, kept gzip-compressed (a /metrics page compresses 30-60x:
 * its label sets repeat on every line) and shared by every request that
 * uses it: gzip readers get the bytes as they are, others a stream inflated
 * as they read (about 40 KB of state each). Freed with its last reader.
 */
struct page {
	struct http_server *s;
	unsigned int refs; /* gz_resp, the cache, each request being given it; under s->lock */
	struct MHD_Response *gz_resp;
	char *gz;
	size_t gz_len;
	size_t plain_len;
	bool published; /* counted in pages_bytes */
	char path[64];
	char type[64];
	uint64_t born_ns;
};

struct http_server {
	struct MHD_Daemon *daemon;
	http_render_fn render;
	void *ctx;
	const char *const *shared_paths; /* NULL-terminated */
	pthread_mutex_t lock;		 /* conns, newest, pages_bytes, stats */
	struct conn_track *conns;
	struct page *newest; /* the cache holds a reference */
	size_t pages_bytes;  /* compressed bodies alive: cached or still being sent */
	struct http_server_stats stats;
	pthread_t sweeper;
	bool sweeper_started;
	volatile bool stopping;
};

int http_parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon;
	char *end;
	size_t hlen;
	long port;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(listen, ':');
	if (!colon)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	hlen = colon - listen;
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		listen++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

/*
 * Does the client take gzip? A token "gzip" (or "*") in Accept-Encoding
 * without q=0. Prometheus sends "gzip"; curl sends nothing unless asked.
 */
static bool accepts_gzip(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
	const char *p = h, *q;
	size_t n, elem;

	while (p && *p) {
		p += strspn(p, " \t,");
		elem = strcspn(p, ",");
		n = strcspn(p, " \t;,");
		if ((n == 4 && !strncasecmp(p, "gzip", 4)) || (n == 1 && *p == '*')) {
			q = strstr(p, "q=");
			/* "gzip;q=0" (or 0.0, 0.000) refuses it */
			return !(q && q < p + elem && strtod(q + 2, NULL) == 0.0);
		}
		p += elem;
	}
	return false;
}

/* --- the head deadline ------------------------------------------------ */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *info;
	struct conn_track *t = *socket_ctx;

	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		t = calloc(1, sizeof(*t));
		info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!t || !info) {
			free(t);
			return;
		}
		t->fd = info->connect_fd;
		t->head_start_ns = clock_mono_ns();
		pthread_mutex_lock(&s->lock);
		t->next = s->conns;
		if (s->conns)
			s->conns->prev = t;
		s->conns = t;
		pthread_mutex_unlock(&s->lock);
		*socket_ctx = t;
		return;
	}
	if (!t)
		return;
	/* MHD calls this before it closes the socket: the sweeper never sees a reused fd. */
	pthread_mutex_lock(&s->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		s->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&s->lock);
	free(t);
	*socket_ctx = NULL;
}

static struct conn_track *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static void set_in_request(struct http_server *s, struct MHD_Connection *conn, bool on)
{
	struct conn_track *t = track_of(conn);

	if (!t)
		return;
	pthread_mutex_lock(&s->lock);
	t->in_request = on;
	if (!on)
		t->head_start_ns =
		    clock_mono_ns(); /* the next head on this connection starts now */
	pthread_mutex_unlock(&s->lock);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_ctx,
			 enum MHD_RequestTerminationCode toe)
{
	(void)req_ctx;
	(void)toe;
	set_in_request(cls, conn, false);
}

static void *sweep(void *arg)
{
	struct http_server *s = arg;
	const uint64_t deadline = HTTP_HEAD_DEADLINE_MS * NS_PER_MS;
	struct conn_track *t;
	uint64_t now;

	while (!s->stopping) {
		usleep(HTTP_SWEEP_MS * 1000);
		now = clock_mono_ns();
		pthread_mutex_lock(&s->lock);
		for (t = s->conns; t; t = t->next) {
			if (t->in_request || t->fd < 0 || now - t->head_start_ns < deadline)
				continue;
			shutdown(t->fd, SHUT_RDWR); /* MHD sees the end and closes it */
			t->fd = -1;
			s->stats.head_timeouts++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* --- shared pages ------------------------------------------------------ */

static void page_unref(struct page *p)
{
	struct http_server *s = p->s;
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --p->refs == 0;
	if (last && p->published)
		s->pages_bytes -= p->gz_len;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	free(p->gz);
	free(p);
}

static void page_gz_freed(void *cls)
{
	page_unref(cls);
}

static bool is_shared(const struct http_server *s, const char *path)
{
	const char *const *c;

	for (c = s->shared_paths; c && *c; c++)
		if (!strcmp(*c, path))
			return true;
	return false;
}

/* The newest page of path, with a reference, if it may be shared now; else NULL. */
static struct page *page_get(struct http_server *s, const char *path)
{
	struct page *p;
	uint64_t now = clock_mono_ns();

	pthread_mutex_lock(&s->lock);
	p = s->newest;
	if (p && (strcmp(p->path, path) || (now - p->born_ns >= HTTP_PAGE_REUSE_MS * NS_PER_MS &&
					    s->pages_bytes <= HTTP_PAGES_MAX_BYTES)))
		p = NULL;
	if (p) {
		p->refs++;
		s->stats.pages_shared++;
	}
	pthread_mutex_unlock(&s->lock);
	return p;
}

static void add_headers(struct MHD_Response *resp, const char *type, bool gz)
{
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
}

/* A plain reader of a compressed page: inflates as MHD asks for bytes. */
struct plain_reader {
	struct page *p;
	z_stream z;
};

static ssize_t plain_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct plain_reader *r = cls;
	int ret;

	(void)pos; /* MHD reads in order */
	r->z.next_out = (Bytef *)buf;
	r->z.avail_out = max;
	ret = inflate(&r->z, Z_NO_FLUSH);
	if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (r->z.avail_out == max)
		return ret == Z_STREAM_END ? MHD_CONTENT_READER_END_OF_STREAM
					   : MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)(max - r->z.avail_out);
}

static void plain_free(void *cls)
{
	struct plain_reader *r = cls;

	inflateEnd(&r->z);
	page_unref(r->p);
	free(r);
}

/* A response for one request of page p; takes over the caller's reference. */
static struct MHD_Response *page_response(struct page *p, bool gz)
{
	struct plain_reader *r;
	struct MHD_Response *resp;

	if (gz) {
		resp = p->gz_resp;
		page_unref(p); /* gz_resp holds its own */
		return resp;
	}
	r = calloc(1, sizeof(*r));
	if (!r || inflateInit2(&r->z, 15 + 16) != Z_OK) {
		free(r);
		page_unref(p);
		return NULL;
	}
	r->p = p;
	r->z.next_in = (Bytef *)p->gz;
	r->z.avail_in = p->gz_len;
	resp =
	    MHD_create_response_from_callback(p->plain_len, 32 * 1024, plain_read, r, plain_free);
	if (!resp) {
		plain_free(r);
		return NULL;
	}
	add_headers(resp, p->type, false);
	return resp;
}

/* Makes p the cache's page: it keeps a reference, and gz_resp's own. */
static void page_publish(struct http_server *s, struct page *p)
{
	struct page *old;

	pthread_mutex_lock(&s->lock);
	p->refs++;
	p->published = true;
	s->pages_bytes += p->gz_len;
	old = s->newest;
	s->newest = p;
	pthread_mutex_unlock(&s->lock);
	if (old) {
		MHD_destroy_response(old->gz_resp);
		page_unref(old);
	}
}

/* --- rendering straight into gzip ---------------------------------------- */

/* A FILE whose bytes are deflated as they are written: the page never exists in full. */
struct gz_sink {
	z_stream z;
	char *out;
	size_t cap;
	size_t in_total;
	bool failed;
};

static bool sink_room(struct gz_sink *g)
{
	size_t used = g->cap - g->z.avail_out, cap = g->cap ? g->cap * 2 : 64 * 1024;
	char *grown;

	if (g->z.avail_out)
		return true;
	grown = realloc(g->out, cap);
	if (!grown)
		return false;
	g->out = grown;
	g->cap = cap;
	g->z.next_out = (Bytef *)g->out + used;
	g->z.avail_out = cap - used;
	return true;
}

static bool sink_deflate(struct gz_sink *g, int flush)
{
	int ret;

	do {
		if (!sink_room(g))
			return false;
		ret = deflate(&g->z, flush);
		if (ret == Z_STREAM_ERROR)
			return false;
	} while (g->z.avail_in || (flush == Z_FINISH && ret != Z_STREAM_END));
	return true;
}

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct gz_sink *g = cookie;

	if (g->failed)
		return -1;
	g->z.next_in = (Bytef *)buf;
	g->z.avail_in = n;
	if (!sink_deflate(g, Z_NO_FLUSH)) {
		g->failed = true;
		return -1;
	}
	g->in_total += n;
	return (ssize_t)n;
}

/* Renders path into a new page; 0, or -errno (-ENOENT: no such path). */
/* The caller holds a reference, and the creation reference of gz_resp. */
static int render_page(struct http_server *s, const char *path, struct page **out)
{
	cookie_io_functions_t io = {.write = sink_write};
	const char *type = "text/plain; charset=utf-8";
	struct gz_sink g = {0};
	struct page *p;
	FILE *f;
	int err;

	if (deflateInit2(&g.z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	f = fopencookie(&g, "w", io);
	if (!f) {
		deflateEnd(&g.z);
		return -ENOMEM;
	}
	setvbuf(f, NULL, _IOFBF, 64 * 1024);
	err = s->render(s->ctx, path, f, &type);
	if (fclose(f) || g.failed || (!err && !sink_deflate(&g, Z_FINISH)))
		err = err ?: -ENOMEM;
	deflateEnd(&g.z);
	p = err ? NULL : calloc(1, sizeof(*p));
	if (!p) {
		free(g.out);
		return err ?: -ENOMEM;
	}
	*p = (struct page){.s = s,
			   .refs = 3,
			   .gz = g.out,
			   .gz_len = g.cap - g.z.avail_out,
			   .plain_len = g.in_total,
			   .born_ns = clock_mono_ns()};
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->type, sizeof(p->type), "%s", type);
	p->gz_resp = MHD_create_response_from_buffer_with_free_callback_cls(p->gz_len, p->gz,
									    page_gz_freed, p);
	if (!p->gz_resp) {
		free(p->gz);
		free(p);
		return -ENOMEM;
	}
	add_headers(p->gz_resp, p->type, true);
	*out = p;
	return 0;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, bool shared)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	if (!shared)
		MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);

	if (resp)
		add_headers(resp, "text/plain; charset=utf-8", false);
	return queue(conn, status, resp, false);
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, int err)
{
	if (err == -ENOENT)
		return reply_text(
		    conn, MHD_HTTP_NOT_FOUND,
		    "not found; try /metrics, /healthz, /api/v1/edges, /api/v1/stats\n");
	return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "render failed\n");
}

/*
 * Every page is rendered into gzip; a shared one is published for the next
 * requests (the cache then owns gz_resp), any other one lives as long as its
 * one request. gz_resp is queued as it is; a plain reader gets its own
 * inflating response.
 */
/*
 * A page that is not shared gets a "limit" query argument (digits only) as
 * "PATH?limit=N"; every other argument is dropped unread.
 */
static const char *with_limit(struct MHD_Connection *conn, const char *url, char *buf, size_t len)
{
	const char *limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");

	if (!limit || !*limit || strlen(limit) > 9 ||
	    strspn(limit, "0123456789") != strlen(limit) ||
	    (size_t)snprintf(buf, len, "%s?limit=%s", url, limit) >= len)
		return url;
	return buf;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	bool gz = accepts_gzip(conn), share = is_shared(s, url), fresh = false;
	struct MHD_Response *gz_resp;
	enum MHD_Result ret;
	char path[64]; /* as struct page keeps it */
	struct page *p;
	int err;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	set_in_request(s, conn, true);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	p = share ? page_get(s, url) : NULL;
	if (!p) {
		err = render_page(s, share ? url : with_limit(conn, url, path, sizeof(path)), &p);
		if (err)
			return reply_error(conn, err);
		fresh = true;
		if (share)
			page_publish(s, p);
	}
	gz_resp = p->gz_resp;
	ret = queue(conn, MHD_HTTP_OK, page_response(p, gz), gz);
	if (fresh && !share)
		MHD_destroy_response(gz_resp); /* nobody else will: the request has what it needs */
	return ret;
}

int http_server_start(const struct http_server_opts *o, struct http_server **out, char *err,
		      size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_server *s;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (http_parse_listen(o->listen, &ss)) {
		snprintf(
		    err, errlen,
		    "invalid --listen '%s': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
		    o->listen);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->render = o->render;
	s->ctx = o->ctx;
	s->shared_paths = o->shared_paths;
	pthread_mutex_init(&s->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)HTTP_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)HTTP_PER_IP_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)HTTP_CONNECTION_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)HTTP_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen,
			 "cannot listen on %s: address in use or not local; pick another with "
			 "%s HOST:PORT",
			 o->listen, o->flag ? o->flag : "--listen");
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -EADDRINUSE;
	}
	s->sweeper_started = !pthread_create(&s->sweeper, NULL, sweep, s);
	*out = s;
	return 0;
}

void http_server_get_stats(struct http_server *s, struct http_server_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	s->stopping = true;
	if (s->sweeper_started)
		pthread_join(s->sweeper, NULL);
	MHD_stop_daemon(s->daemon);
	if (s->newest) {
		MHD_destroy_response(s->newest->gz_resp);
		page_unref(s->newest);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

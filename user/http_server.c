// SPDX-License-Identifier: BSD-2-Clause
/*
 * See http_server.h. Bounded by design: few concurrent connections, short
 * timeouts, GET and HEAD only, bodies built in memory per request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <zlib.h>

#include "http_server.h"

#define HTTP_MAX_CONNECTIONS 32
#define HTTP_TIMEOUT_S	     10

struct http_server {
	struct MHD_Daemon *daemon;
	http_render_fn render;
	void *ctx;
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

/*
 * body (len bytes) gzip-compressed into a new buffer; NULL when memory runs
 * out (the caller then sends it plain). /metrics text shrinks ~15-30x: its
 * label sets repeat on every line. Level 1: a 10 MB page costs ~40 ms of
 * one core at level 1, ~3x that at level 6 for ~15% fewer bytes.
 */
static char *gzip_body(const char *body, size_t len, size_t *out_len)
{
	z_stream z = {0};
	size_t cap = compressBound(len) + 32;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		goto out_free;
	z.next_in = (Bytef *)body;
	z.avail_in = len;
	z.next_out = (Bytef *)out;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		goto out_free;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;

out_free:
	free(out);
	return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool gz = false;
	size_t zlen;
	char *z;

	if (status == MHD_HTTP_OK && len > 512 && accepts_gzip(conn)) {
		z = gzip_body(body, len, &zlen);
		if (z) {
			free(body);
			body = z;
			len = zlen;
			gz = true;
		}
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	return reply(conn, status, "text/plain; charset=utf-8", strdup(text), strlen(text));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	const char *type = "text/plain; charset=utf-8";
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	out = open_memstream(&body, &len);
	if (!out)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	err = s->render(s->ctx, url, out, &type);
	if (fclose(out))
		err = -EIO;
	if (err) {
		free(body);
		if (err == -ENOENT)
			return reply_text(conn, MHD_HTTP_NOT_FOUND,
					  "not found; try /metrics, /healthz, /api/v1/edges, "
					  "/api/v1/stats\n");
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "render failed\n");
	}
	return reply(conn, MHD_HTTP_OK, type, body, len);
}

int http_server_start(const char *listen, http_render_fn render, void *ctx,
		      struct http_server **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_server *s;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (http_parse_listen(listen, &ss)) {
		snprintf(
		    err, errlen,
		    "invalid --listen '%s': expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464",
		    listen);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->render = render;
	s->ctx = ctx;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_S, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen,
			 "cannot listen on %s: address in use or not local; pick another with "
			 "--listen HOST:PORT",
			 listen);
		free(s);
		return -EADDRINUSE;
	}
	*out = s;
	return 0;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}

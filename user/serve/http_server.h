/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The local stats endpoint (libmicrohttpd, one internal thread, and a
 * sweeper thread for the head deadline). It knows nothing of edges: each GET
 * is handed to a render callback that writes the body, so the agent decides
 * routes and locking. Limits and why: see http_server.c.
 */
#ifndef MESHSIGHT_HTTP_SERVER_H
#define MESHSIGHT_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Writes the body for path into out and sets *content_type. A page that is
 * not shared is given a "limit" query argument as "PATH?limit=N". Returns 0, or
 * -ENOENT for an unknown path (404), or another -errno (500).
 */
typedef int (*http_render_fn)(void *ctx, const char *path, FILE *out, const char **content_type);

struct http_server;

struct http_server_opts {
	const char *listen; /* "HOST:PORT" or "[V6]:PORT" */
	const char *flag;   /* the flag that set it, for error messages */
	http_render_fn render;
	void *ctx;
	/* Paths whose page is rendered once and shared by close requests
	 * (NULL-terminated, or NULL): see http_server.c. */
	const char *const *shared_paths;
};

struct http_server_stats {
	uint64_t head_timeouts; /* connections closed: request head not complete in time */
	uint64_t pages_shared;	/* requests answered with a page already rendered */
};

/* On error writes a message into err. */
int http_server_start(const struct http_server_opts *o, struct http_server **out, char *err,
		      size_t errlen);
void http_server_get_stats(struct http_server *s, struct http_server_stats *out);
void http_server_stop(struct http_server *s);

/* Parses "HOST:PORT" / "[V6]:PORT" into a socket address; 0 or -EINVAL. */
struct sockaddr_storage;
int http_parse_listen(const char *listen, struct sockaddr_storage *ss);

#endif /* MESHSIGHT_HTTP_SERVER_H */

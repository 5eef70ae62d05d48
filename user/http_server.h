/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The local stats endpoint (libmicrohttpd, one internal thread). It knows
 * nothing of edges: each GET is handed to a render callback that writes the
 * body, so the agent decides routes and locking.
 */
#ifndef MESHSIGHT_HTTP_SERVER_H
#define MESHSIGHT_HTTP_SERVER_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes the body for path into out and sets *content_type. Returns 0, or
 * -ENOENT for an unknown path (404), or another -errno (500).
 */
typedef int (*http_render_fn)(void *ctx, const char *path, FILE *out, const char **content_type);

struct http_server;

/* listen is "HOST:PORT" or "[V6]:PORT". On error writes a message into err. */
int http_server_start(const char *listen, http_render_fn render, void *ctx,
		      struct http_server **out, char *err, size_t errlen);
void http_server_stop(struct http_server *s);

/* Parses "HOST:PORT" / "[V6]:PORT" into a socket address; 0 or -EINVAL. */
struct sockaddr_storage;
int http_parse_listen(const char *listen, struct sockaddr_storage *ss);

#endif /* MESHSIGHT_HTTP_SERVER_H */

// SPDX-License-Identifier: BSD-2-Clause
/* See endpoints.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve/endpoints.h"
#include "serve/page.h"

int endpoints_add_writer(struct endpoints *e, void (*write)(void *, FILE *), void *ctx)
{
	if (e->nwriters == ENDPOINTS_WRITERS_MAX)
		return -ENOSPC;
	e->writers[e->nwriters++] = (struct metrics_writer){.write = write, .ctx = ctx};
	return 0;
}

/* GET /api/v1/access-log[?limit=N] (the endpoint passes a limit argument on). */
static int render_access_log(struct endpoints *e, const char *query, FILE *out)
{
	unsigned long limit = 0;
	json_t *root;
	int err;

	if (!strncmp(query, "?limit=", 7))
		limit = strtoul(query + 7, NULL, 10);
	root = access_log_json(e->access_log, e->naming,
			       limit > ACCESS_LOG_RING ? ACCESS_LOG_RING : (uint32_t)limit);
	err = json_dumpf(root, out, JSON_COMPACT) || fputc('\n', out) == EOF ? -EIO : 0;
	json_decref(root);
	return err;
}

/* The pages built from one snapshot of the edges and counters. */
static int render_snapshot(struct endpoints *e, const char *path, FILE *out, const char **type)
{
	struct http_server_stats hs = {0};
	struct render_input in;
	void *snap;
	size_t i;
	int err;

	if (e->snapshot(e->ctx, &snap, &in))
		return -ENOMEM;
	http_server_get_stats(e->http, &hs);
	in.endpoint_head_timeouts = hs.head_timeouts;
	in.endpoint_pages_shared = hs.pages_shared;
	*type = "application/json";
	if (!strcmp(path, "/metrics")) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		err = render_prometheus(&in, out);
		for (i = 0; i < e->nwriters; i++)
			e->writers[i].write(e->writers[i].ctx, out);
	} else if (!strcmp(path, "/api/v1/edges")) {
		err = render_edges_json(&in, out);
	} else {
		in.kubernetes =
		    e->stats_kubernetes ? e->stats_kubernetes(e->stats_kubernetes_ctx) : NULL;
		err = render_stats_json(&in, out);
		json_decref(in.kubernetes);
	}
	e->release(e->ctx, snap);
	return err;
}

static int render(void *ctx, const char *path, FILE *out, const char **type)
{
	const char *query = strchr(path, '?');
	struct endpoints *e = ctx;
	char base[64];
	int err;

	/* Only the access log reads a query argument; every other page ignores it. */
	if (query) {
		if (!strncmp(path, "/api/v1/access-log?", 19)) {
			*type = "application/json";
			return render_access_log(e, query, out);
		}
		snprintf(base, sizeof(base), "%.*s", (int)(query - path), path);
		path = base;
	}
	if (!strcmp(path, "/healthz")) {
		fputs("ok\n", out);
		return 0;
	}
	err = page_render(path, out, type);
	if (err != -ENOENT)
		return err;
	if (!strcmp(path, "/api/v1/access-log")) {
		*type = "application/json";
		return render_access_log(e, "", out);
	}
	err = analysis_render(e->analysis, e->naming, path, out, type);
	if (err != -ENOENT)
		return err;
	if (strcmp(path, "/metrics") && strcmp(path, "/api/v1/edges") &&
	    strcmp(path, "/api/v1/stats"))
		return -ENOENT;
	return render_snapshot(e, path, out, type);
}

/* The health listener answers /healthz only: nothing it serves is costly. */
static int render_health(void *ctx, const char *path, FILE *out, const char **type)
{
	(void)ctx;
	(void)type;
	if (strcmp(path, "/healthz"))
		return -ENOENT;
	fputs("ok\n", out);
	return 0;
}

int endpoints_start(struct endpoints *e, const char *listen, const char *health_listen, char *err,
		    size_t errlen)
{
	static const char *const shared[] = {"/metrics", NULL};
	struct http_server_opts main_opts = {
	    .listen = listen,
	    .flag = "--listen",
	    .render = render,
	    .ctx = e,
	    .shared_paths = shared,
	};
	struct http_server_opts health_opts = {
	    .listen = health_listen,
	    .flag = "--health-listen",
	    .render = render_health,
	    .ctx = e,
	};
	int ret = http_server_start(&main_opts, &e->http, err, errlen);

	if (ret || !health_listen)
		return ret;
	return http_server_start(&health_opts, &e->health, err, errlen);
}

void endpoints_stop(struct endpoints *e)
{
	http_server_stop(e->health);
	http_server_stop(e->http);
	e->health = e->http = NULL;
}

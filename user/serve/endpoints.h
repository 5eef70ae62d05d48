/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the agent serves, path by path, on its endpoint (--listen) and its
 * health endpoint (--health-listen):
 *
 *   /healthz, /, /api/v1/{graph,events,access-log}   from their modules
 *   /metrics, /api/v1/edges, /api/v1/stats           from one snapshot each
 *
 * /metrics is one ordered list of family writers: the edge, self and Istio
 * families of the snapshot (render_prometheus), then each module's own
 * families (metrics_writer), in the order the agent registered them. The
 * agent owns the lock and the snapshot; rendering runs outside the lock.
 */
#ifndef MESHSIGHT_ENDPOINTS_H
#define MESHSIGHT_ENDPOINTS_H

#include <jansson.h>
#include <stdio.h>

#include "answers/access_log.h"
#include "answers/analysis.h"
#include "serve/http_server.h"
#include "serve/render.h"

#define ENDPOINTS_WRITERS_MAX 8

/* A module's own /metrics families (exporter, Kubernetes, analysis, access log). */
struct metrics_writer {
	void (*write)(void *ctx, FILE *out);
	void *ctx;
};

/* Fills in from a snapshot taken under the agent's lock; 0 or -ENOMEM. */
typedef int (*endpoint_snapshot_fn)(void *ctx, void **snap, struct render_input *in);
typedef void (*endpoint_release_fn)(void *ctx, void *snap);

struct endpoints {
	endpoint_snapshot_fn snapshot;
	endpoint_release_fn release;
	void *ctx;
	struct naming *naming;
	struct analysis *analysis;
	struct access_log *access_log;
	json_t *(*stats_kubernetes)(void *ctx); /* /api/v1/stats "kubernetes", or NULL */
	void *stats_kubernetes_ctx;
	struct metrics_writer writers[ENDPOINTS_WRITERS_MAX];
	size_t nwriters;
	struct http_server *http;
	struct http_server *health; /* --health-listen, or NULL */
};

/* Appends a module's families to /metrics; -ENOSPC past ENDPOINTS_WRITERS_MAX. */
int endpoints_add_writer(struct endpoints *e, void (*write)(void *, FILE *), void *ctx);
int endpoints_start(struct endpoints *e, const char *listen, const char *health_listen, char *err,
		    size_t errlen);
void endpoints_stop(struct endpoints *e);

#endif /* MESHSIGHT_ENDPOINTS_H */

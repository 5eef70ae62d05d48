/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Error access logs: every failed request (5xx, or no response: reset or
 * closed first), or every request with --access-log all, as a record with
 * the edge's ends, method, path (never a query, header value or body byte:
 * the parser keeps none), status, duration and the trace and span ids the
 * spans of the same request carry. GET /api/v1/access-log?limit=N.
 *
 *   access_log_init(&al, mode, per_second, mono_to_unix_ns);
 *   flow-table hook: access_log_on_txn(&al, info, txn)   (the consumer thread)
 *   access_log_json(&al, naming, limit)                   (the endpoint's thread)
 *
 * A request both of whose ends are watched here is recorded once, from the
 * server's socket. Bounded: a ring of ACCESS_LOG_RING records (~330 bytes
 * each), and at most per_second records a second (a token bucket with one
 * second of burst); what the ceiling refuses is counted, never queued. The
 * ring has a lock of its own, taken once per recorded request.
 */
#ifndef MESHSIGHT_ACCESS_LOG_H
#define MESHSIGHT_ACCESS_LOG_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "core/flows.h"
#include "core/http1.h"
#include "naming/naming.h"
#include "core/self_stats.h"

#define ACCESS_LOG_RING 1024

enum access_log_mode {
	ACCESS_LOG_OFF,
	ACCESS_LOG_ERRORS,
	ACCESS_LOG_ALL,
};

struct access_record {
	uint64_t time_unix_ns; /* the response's end (or when it was given up) */
	uint64_t duration_ns;  /* request start to response start (to the end without one) */
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;
	struct edge_end local; /* the recording socket's end, for naming it */
	bool local_is_client;
	uint16_t status; /* 0: no response */
	char method[HTTP1_METHOD_MAX];
	char path[HTTP1_PATH_MAX];
	uint8_t trace_id[16], span_id[8];
};

struct access_log {
	enum access_log_mode mode;
	uint32_t per_second;
	uint64_t mono_to_unix_ns;
	pthread_mutex_t lock;
	struct access_record ring[ACCESS_LOG_RING];
	uint32_t head, count;
	double tokens;
	uint64_t tokens_ns;
	uint64_t recorded, rate_dropped, overwritten;
};

/* "errors", "all" or "off"; -EINVAL otherwise. */
int access_log_mode_parse(const char *s, enum access_log_mode *out);
const char *access_log_mode_name(enum access_log_mode m);
void access_log_init(struct access_log *al, enum access_log_mode mode, uint32_t per_second,
		     uint64_t mono_to_unix_ns);
void access_log_free(struct access_log *al);
/* A flow_txn_hook (ctx: struct access_log). */
void access_log_on_txn(void *ctx, const struct flow_txn_info *info, const struct http1_txn *t);
/*
 * For an exporter that keeps its own place: copies the records numbered
 * *cursor on (recorded counts every record kept), at most max, oldest
 * first, under the ring's lock, and moves *cursor past them; records
 * overwritten before they were read are skipped and added to *missed.
 */
size_t access_log_since(struct access_log *al, uint64_t *cursor, struct access_record *out,
			size_t max, uint64_t *missed);
/* The newest limit records (all held when 0), oldest first. */
json_t *access_log_json(struct access_log *al, struct naming *naming, uint32_t limit);
/* Records kept and dropped, for the agent's self-stats table; NULL al: none. */
void access_log_get_stats(struct access_log *al, struct answers_stats *out);

#endif /* MESHSIGHT_ACCESS_LOG_H */

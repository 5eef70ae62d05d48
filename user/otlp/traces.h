/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One span per observed HTTP request and per local end: a SERVER span from
 * the server's socket, a CLIENT span from the client's, both from kernel
 * timestamps, queued here and drained into OTLP trace requests.
 *
 * Trace context without buffering: when the request carries a valid W3C
 * traceparent, both spans join that trace (the SERVER span's parent is the
 * header's parent id). Otherwise the ids are derived from what both sockets
 * of a connection share (both endpoints, the client's initial sequence number
 * and the request's position on the connection), so the two spans of one
 * request get the same trace id computed independently, and the SERVER span
 * names the CLIENT span as its parent when the client's socket is watched
 * here too.
 *
 * Sampling: OTEL_TRACES_SAMPLER / _ARG (default parentbased_always_on), then
 * an adaptive ceiling of spans per second that always keeps error spans. The
 * root decision depends only on the trace id, so both spans of a trace get
 * the same one.
 */
#ifndef MESHSIGHT_SPANS_H
#define MESHSIGHT_SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/env.h"
#include "core/flows.h"
#include "core/http1.h"
#include "naming/naming.h"
#include "otlp/encode.h"

enum span_sampler {
	SAMPLER_ALWAYS_ON,
	SAMPLER_ALWAYS_OFF,
	SAMPLER_RATIO,
};

struct span_config {
	enum span_sampler root;
	bool parent_based;
	double ratio;		    /* SAMPLER_RATIO, 0..1 */
	uint32_t max_queue;	    /* OTEL_BSP_MAX_QUEUE_SIZE (2048) */
	uint32_t max_batch;	    /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512) */
	uint32_t schedule_delay_ms; /* OTEL_BSP_SCHEDULE_DELAY (5000) */
	uint32_t max_per_second;    /* ceiling; 0 = none */
};

/* Defaults, then the OTEL_TRACES_SAMPLER* and OTEL_BSP_* variables. 0 or -EINVAL. */
int span_config_from_env(struct span_config *c, env_getter get, char *err, size_t errlen);

struct span_rec {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8];
	uint8_t trace_flags;
	bool server; /* SERVER span (else CLIENT) */
	uint16_t status;
	uint8_t version_minor;
	uint8_t version_major; /* 2 for HTTP/2 streams */
	bool grpc;	       /* a gRPC stream: named and attributed by the RPC conventions */
	bool failed;	       /* no answer: reset, refused or cut before a response */
	int16_t grpc_status;   /* -1 when none came */
	char grpc_message[HTTP1_GRPC_MESSAGE_MAX]; /* grpc-message of an error, "" if none */
	char method[HTTP1_METHOD_MAX];
	char path[HTTP1_PATH_MAX];
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;
	struct edge_end local;
};

struct span_stats {
	uint64_t seen;		  /* spans the traffic produced */
	uint64_t sampled_out;	  /* dropped by the sampler */
	uint64_t ceiling_dropped; /* dropped by the spans-per-second ceiling */
	uint64_t queue_dropped;	  /* dropped because the queue was full */
	uint64_t queued;	  /* accepted into the queue */
};

struct span_buffer {
	struct span_config cfg;
	struct span_rec *recs; /* ring of cfg.max_queue */
	size_t head, count;
	double tokens;
	uint64_t tokens_ns;
	struct span_stats stats;
};

int spans_init(struct span_buffer *b, const struct span_config *c);
void spans_free(struct span_buffer *b);
/* Flow-table hook: records the span(s) of one transaction. */
void spans_on_txn(void *ctx, const struct flow_txn_info *info, const struct http1_txn *t);
/* Kept / seen since start: the effective sampling rate (1 when nothing seen). */
double spans_effective_rate(const struct span_buffer *b);

struct spans_opts {
	uint64_t mono_to_unix_ns;
	const char *host_name;
	const char *scope_version;
	bool json;
};

/* Drains up to max_batch spans into one encoded request; 0 or -ENOMEM. */
int spans_build(struct span_buffer *b, struct naming *n, const struct spans_opts *o,
		struct otlp_buf *out, uint64_t *nspans);

#endif /* MESHSIGHT_SPANS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * OTLP/HTTP transport: a bounded queue of encoded batches per signal and,
 * per signal, a thread that POSTs them with libcurl, so exporting never
 * blocks the datapath and one signal's collector never blocks another's. When the queue is full the
 * oldest batch is dropped and counted. Retries follow the OTLP/HTTP specification: only 429, 502,
 * 503, 504 and connection failures are retried, with exponential backoff and jitter, honouring
 * Retry-After; every other status is final.
 *
 * Configuration comes from flags over the standard OTEL_EXPORTER_OTLP_*
 * environment variables over the defaults.
 */
#ifndef MESHSIGHT_OTLP_EXPORT_H
#define MESHSIGHT_OTLP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/env.h"

enum otlp_signal {
	OTLP_SIGNAL_METRICS = 0,
	OTLP_SIGNAL_TRACES = 1,
	OTLP_SIGNAL_LOGS = 2,
	OTLP_SIGNAL__MAX,
};

#define OTLP_MAX_HEADERS 16

struct otlp_config {
	char endpoint[OTLP_SIGNAL__MAX][512]; /* full URL per signal, ".../v1/metrics" */
	char headers[OTLP_MAX_HEADERS][512];  /* "Key: value" lines */
	size_t nheaders;
	/* Per-signal "Key: value" lines; they replace a general header of the same key. */
	char sig_headers[OTLP_SIGNAL__MAX][OTLP_MAX_HEADERS][512];
	size_t nsig_headers[OTLP_SIGNAL__MAX];
	bool gzip;
	bool json;		   /* OTLP/JSON bodies instead of protobuf */
	char ca_file[512];	   /* "" = system trust store */
	uint32_t timeout_ms;	   /* per request, default 10000 */
	uint32_t queue_batches;	   /* queue depth per signal, default 64 */
	uint32_t retry_initial_ms; /* default 1000 (5000 max backoff, 1.5x, as the SDKs) */
	uint32_t retry_max_ms;
	uint32_t retry_max_elapsed_ms; /* give up on a batch after this long, default 60000 */
};

/*
 * Fills defaults, then applies OTEL_EXPORTER_OTLP_ENDPOINT (base URL,
 * "/v1/<signal>" appended), OTEL_EXPORTER_OTLP_{METRICS,TRACES,LOGS}_ENDPOINT
 * (used as is), OTEL_EXPORTER_OTLP_HEADERS and the per-signal variants
 * (comma-separated key=value, percent-decoded), OTEL_EXPORTER_OTLP_COMPRESSION
 * (gzip|none), OTEL_EXPORTER_OTLP_TIMEOUT (ms), OTEL_EXPORTER_OTLP_PROTOCOL
 * (http/protobuf|http/json), OTEL_EXPORTER_OTLP_CERTIFICATE (CA file).
 * Per-signal headers go to sig_headers. Compression, timeout, protocol and
 * certificate have one field for all signals: a per-signal variable
 * overrides the general one for all, and METRICS, TRACES and LOGS variants
 * that disagree are an error. Empty variables count as unset.
 * getenv_fn lets tests pass their own environment (NULL: getenv).
 * On a bad value returns -EINVAL and writes a message naming the variable.
 */
int otlp_config_from_env(struct otlp_config *c, env_getter get, char *err, size_t errlen);

struct otlp_export_stats {
	uint64_t batches_sent[OTLP_SIGNAL__MAX];
	uint64_t batches_failed[OTLP_SIGNAL__MAX];  /* final failure (4xx, retries exhausted) */
	uint64_t batches_dropped[OTLP_SIGNAL__MAX]; /* queue full (oldest), or left at stop */
	uint64_t retries[OTLP_SIGNAL__MAX];
	uint64_t items_rejected[OTLP_SIGNAL__MAX]; /* partial_success rejected points/spans */
	uint64_t items_sent[OTLP_SIGNAL__MAX];
	uint64_t items_dropped[OTLP_SIGNAL__MAX]; /* in dropped or failed batches */
	uint64_t bytes_sent[OTLP_SIGNAL__MAX];	  /* body bytes on the wire */
	uint32_t queued[OTLP_SIGNAL__MAX];
	uint64_t queued_bytes[OTLP_SIGNAL__MAX]; /* bodies waiting in the queue */
	int last_status[OTLP_SIGNAL__MAX];	 /* last HTTP status, 0 = connection error */
	/* Why the last attempt failed, for the caller to log (this module does not). */
	char last_error[OTLP_SIGNAL__MAX][192];
};

struct otlp_exporter;

int otlp_exporter_start(const struct otlp_config *c, struct otlp_exporter **out, char *err,
			size_t errlen);
/*
 * Queues one encoded body (ownership of body passes to the exporter, which
 * frees it); items = data points or spans in it. Never blocks. Returns 0, or
 * -ENOSPC when the oldest batch was dropped to make room (counted).
 */
int otlp_exporter_submit(struct otlp_exporter *e, enum otlp_signal sig, uint8_t *body, size_t len,
			 uint64_t items);
void otlp_exporter_stats(struct otlp_exporter *e, struct otlp_export_stats *out);
/* Stops the worker, trying to flush what is queued for at most flush_ms. */
void otlp_exporter_stop(struct otlp_exporter *e, uint32_t flush_ms);

/*
 * An OTLP endpoint must be http:// or https:// with a host. Returns 0, or
 * -EINVAL with a message naming what (a flag or variable) and what to pass;
 * the message shows the URL without its userinfo.
 */
int otlp_check_url(const char *what, const char *url, char *err, size_t errlen);

/* Exposed for tests: the retry policy and Retry-After parsing. */
bool otlp_status_retryable(long http_status);
/* Seconds from a Retry-After value (delta-seconds or HTTP-date); -1 if invalid. */
long otlp_parse_retry_after(const char *value, long now_epoch_s);
/* Backoff before retry number attempt (1-based), with full jitter from rnd in [0,1). */
uint32_t otlp_backoff_ms(const struct otlp_config *c, unsigned attempt, double rnd);

/* Shared by config.c and transport.c: a header line's key length, and the
 * line of lines[0..n) with that key (case-insensitive), or n. */
size_t otlp_header_key_len(const char *line);
size_t otlp_header_find(const char (*lines)[512], size_t n, const char *key, size_t klen);

#endif /* MESHSIGHT_OTLP_EXPORT_H */

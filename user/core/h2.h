/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTP/2 (RFC 9113) stream parser for one cleartext connection (h2c), fed the
 * kernel's captured segments after reassembly, as http1.c is.
 *
 *   h2_conn_init(&c, &stats);
 *   h2_conn_feed(&c, side, buf, cap, len, ts, cb, ctx);   per in-order piece
 *   h2_conn_close(&c, reset, ts, cb, ctx);
 *   h2_conn_free(&c);
 *
 * It reads frame headers, decodes HEADERS/CONTINUATION blocks with one HPACK
 * decoder per direction, and skips every other payload byte: a DATA frame
 * costs its 9-byte header, whatever its size. That is what makes the capture
 * limit workable: "len bytes exist, only cap are known" inside a DATA payload
 * is skipped exactly; inside a header block it loses that direction's HPACK
 * state (counted; its streams are still counted, without names); across a
 * frame header it loses the framing, which is looked for again at the start
 * of the next piece.
 *
 * A client stream becomes one transaction (struct http1_txn with
 * HTTP1_TXN_F_H2) when its response ends (END_STREAM), it is reset
 * (RST_STREAM), refused by GOAWAY, or the connection ends. Latency is
 * request HEADERS -> first final response HEADERS (resp_start_ns), and ->
 * response END_STREAM (resp_end_ns) for Istio's duration. gRPC
 * (content-type application/grpc*) adds grpc-status and grpc-message from
 * the trailers, or from a trailers-only response.
 *
 * When the client's direction lost bytes, a response to a stream above the
 * highest one seen opening is still counted: unnamed, its start unknown
 * (HTTP1_TXN_F_START_EST, start = the response's), so a header block past
 * the capture costs the names, not the count.
 */
#ifndef MESHSIGHT_H2_H
#define MESHSIGHT_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hpack.h"
#include "core/http1.h"

#define H2_PREFACE	    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN	    24
#define H2_STREAMS_MAX	    256		/* open streams followed per connection */
#define H2_BLOCK_MAX	    (32u << 10) /* header block bytes collected; larger loses HPACK */
#define H2_RESYNC_FRAME_MAX 16384	/* a resync candidate longer than this is not believed */

enum h2_error {
	H2_ERR_BAD_PREFACE = 0, /* client bytes did not start with the preface */
	H2_ERR_FRAMING_LOST,	/* bytes lost across a frame header: frames looked for again */
	H2_ERR_HPACK_LOST,    /* a header block could not be decoded: that direction's names lost */
	H2_ERR_BLOCK_TOO_BIG, /* a header block over H2_BLOCK_MAX */
	H2_ERR_STREAMS_FULL,  /* a stream past H2_STREAMS_MAX: not followed */
	H2_ERR_UNKNOWN_STREAM, /* response frames of a stream not seen opening */
	H2_ERR_RESYNC,	       /* frames found again after a framing loss */
	H2_ERR__MAX,
};

struct h2_stats {
	uint64_t errors[H2_ERR__MAX];
	uint64_t streams; /* streams reported */
	uint64_t unnamed; /* ... of which without method/path (HPACK lost) */
	uint64_t hpack_evictions;
};

const char *h2_error_name(enum h2_error err);

/*
 * Called once per finished stream. grpc_message is the trailers'
 * grpc-message as sent (percent-encoded), cut to HTTP1_GRPC_MESSAGE_MAX - 1
 * bytes, or NULL; it is valid during the call only.
 */
typedef void (*h2_txn_cb)(void *ctx, const struct http1_txn *txn, const char *grpc_message);

struct h2_stream {
	uint32_t id;
	uint8_t flags; /* S_* in h2.c */
	struct http1_txn txn;
	char grpc_message[HTTP1_GRPC_MESSAGE_MAX];
};

/* One direction's frame reader; private to h2.c. */
struct h2_dir {
	uint8_t state;
	uint8_t hdr_len;
	uint8_t hdr[9];
	uint8_t type, fflags;
	uint8_t small_len;
	uint8_t small[8]; /* RST_STREAM / GOAWAY payload start */
	uint32_t preface_done;
	uint32_t frame_len, remaining, stream_id;
	uint64_t frame_ts;
	/* The header block being collected (HEADERS + CONTINUATION). */
	uint8_t *block;
	uint32_t block_len, block_cap, block_stream;
	bool in_block, block_lost, block_end_stream;
	uint64_t block_ts;
	struct hpack_dec hpack;
};

enum h2_kind {
	H2_KIND_NONE = 0, /* no request headers decoded yet */
	H2_KIND_HTTP = 1,
	H2_KIND_GRPC = 2,
};

struct h2_conn {
	struct h2_dir dir[2]; /* by enum http1_side */
	uint8_t first_kind;   /* enum h2_kind of the first request whose headers decoded */
	struct h2_stream *streams;
	uint32_t nstreams, cap_streams;
	bool dead;
	bool lossy;		/* framing or HPACK state was lost: counts may be short */
	uint32_t max_client_id; /* highest stream id the client was seen opening */
	struct h2_stats *stats;
};

void h2_conn_init(struct h2_conn *c, struct h2_stats *stats);
/*
 * A connection first seen mid-stream (opened before the agent): both
 * directions start lost, resync on a frame header, and their HPACK tables
 * are lost (counted), so streams are counted unnamed, never named wrongly.
 */
void h2_conn_init_midstream(struct h2_conn *c, struct h2_stats *stats);
void h2_conn_free(struct h2_conn *c);

/*
 * After an HTTP/1.1 "101 Switching Protocols" to "Upgrade: h2c": stream 1
 * is the upgraded request (up), answered in HTTP/2, and the client's next
 * bytes are the preface.
 */
void h2_conn_upgraded(struct h2_conn *c, const struct http1_txn *up);

/* As http1_conn_feed: len bytes exist, the first cap are in buf. */
void h2_conn_feed(struct h2_conn *c, enum http1_side side, const uint8_t *buf, size_t cap,
		  size_t len, uint64_t ts, h2_txn_cb cb, void *ctx);

/* Every stream still open is reported (NO_RESPONSE / RESP_CUT, RESET when reset). */
void h2_conn_close(struct h2_conn *c, bool reset, uint64_t ts, h2_txn_cb cb, void *ctx);

/* Do these captured bytes start with the client preface (prior knowledge)? */
bool h2_is_preface(const uint8_t *buf, size_t cap);

/* Is this a server's first SETTINGS frame (type 4, no flags, stream 0, whole settings)? */
bool h2_is_server_settings(const uint8_t *buf, size_t cap);

/* Do these captured bytes start with a plausible frame header (as the resync's)? */
bool h2_is_frame_start(const uint8_t *buf, size_t cap);

/* Does this captured HTTP/1 request head ask for "Upgrade: h2c"? */
bool h2_upgrade_requested(const uint8_t *buf, size_t cap);

/* "/pkg.Service/Method" -> service and method (without the slashes); false if not that shape. */
bool h2_grpc_split(const char *path, const char **service, size_t *slen, const char **method,
		   size_t *mlen);

#endif /* MESHSIGHT_H2_H */

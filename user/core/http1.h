/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTP/1.x transaction parser for one TCP connection, fed by the kernel's
 * captured segments after reassembly.
 *
 * The kernel only sends the first bytes of each segment, and events can be
 * lost, so the parser is a byte-at-a-time state machine that never buffers a
 * whole message: it keeps the method, a bounded path and the few headers that
 * frame a message (Content-Length, Transfer-Encoding, Connection) plus
 * traceparent, and it accepts "len bytes exist but only cap of them are
 * known". When framing is lost (a gap in unframed data, garbage, a header cut
 * by the capture limit) it resynchronises at the next segment that starts
 * like a new message, and counts why. Request and response streams are paired
 * FIFO, so pipelined requests are matched to their responses in order.
 *
 * Nothing secret is kept: no header value other than the framing ones and
 * traceparent, no body byte, no query string, no userinfo (user:password@)
 * of a CONNECT target, no path parameter (";jsessionid=...") and nothing
 * from an encoded '?' (%3F) on.
 *
 * Pipelining: every request the server answers is reported. The oldest
 * HTTP1_PIPELINE_MAX waiting requests are kept in full; the next
 * HTTP1_BACKLOG_MAX keep their timing, method, version and size but not
 * their path (HTTP1_TXN_F_PATH_DROPPED); past those, a request is reported
 * when its response ends, with its status and response, no method and a
 * start taken from its segment (HTTP1_TXN_F_START_EST; also counted as
 * HTTP1_ERR_PIPELINE_OVERFLOW). So is a response to a request the capture
 * limit hid (a burst of pipelined requests longer than --capture-bytes in
 * one segment).
 */
#ifndef MESHSIGHT_HTTP1_H
#define MESHSIGHT_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP1_METHOD_MAX      16  /* longest method, with NUL; longer is a bad request line */
#define HTTP1_PATH_MAX	      128 /* path bytes kept, with NUL; longer paths are cut */
#define HTTP1_TRACEPARENT_MAX 56  /* "00-<32 hex>-<16 hex>-<2 hex>" + NUL */
#define HTTP1_PIPELINE_MAX    8	  /* waiting requests kept in full (path, traceparent) */
#define HTTP1_BACKLOG_MAX     56  /* waiting requests behind those, kept without path */

enum http1_side {
	HTTP1_SIDE_REQUEST = 0,	 /* bytes from client to server */
	HTTP1_SIDE_RESPONSE = 1, /* bytes from server to client */
};

/* Why a transaction ended without a normal response. */
enum http1_txn_flags {
	HTTP1_TXN_F_NO_RESPONSE = 1u << 0,  /* connection closed before a response started */
	HTTP1_TXN_F_RESET = 1u << 1,	    /* ... and the close was a reset */
	HTTP1_TXN_F_PATH_CUT = 1u << 2,	    /* path longer than HTTP1_PATH_MAX - 1 */
	HTTP1_TXN_F_RESP_CUT = 1u << 3,	    /* response framing lost: resp_bytes is a lower bound */
	HTTP1_TXN_F_PATH_DROPPED = 1u << 4, /* pipelined too deep: path and traceparent not kept */
	/*
	 * Pipelined deeper than both queues, or the request was not captured:
	 * method, path and request size are unknown, and req_start_ns is the
	 * timestamp of the newest such request's segment (of the last request
	 * segment, when not captured). Exact when the requests came in one
	 * segment, as a pipelined burst does; otherwise the latency is low.
	 */
	HTTP1_TXN_F_START_EST = 1u << 5,
	/* HTTP/2 (h2.c): one stream. version_minor is 0 and means nothing then. */
	HTTP1_TXN_F_H2 = 1u << 6,
	HTTP1_TXN_F_GRPC = 1u << 7,	     /* content-type application/grpc* */
	HTTP1_TXN_F_GRPC_STATUS = 1u << 8,   /* grpc_status holds the trailers' grpc-status */
	HTTP1_TXN_F_UNNAMED = 1u << 9,	     /* headers not decodable (HPACK lost): no names */
	HTTP1_TXN_F_STREAM_RESET = 1u << 10, /* ended by RST_STREAM (either end) */
	HTTP1_TXN_F_REFUSED = 1u << 11,	     /* above a GOAWAY's last stream id: not processed */
};

#define HTTP1_GRPC_MESSAGE_MAX 64 /* grpc-message bytes kept, with NUL */

struct http1_txn {
	char method[HTTP1_METHOD_MAX];		 /* as sent, NUL-terminated */
	char path[HTTP1_PATH_MAX];		 /* request target without query or fragment */
	char traceparent[HTTP1_TRACEPARENT_MAX]; /* request's traceparent value or "" */
	uint8_t version_minor;			 /* HTTP/1.<version_minor> of the request */
	uint8_t grpc_status;	/* HTTP1_TXN_F_GRPC_STATUS: grpc-status, 255 for codes above 254 */
	uint16_t status;	/* 100..599, or 0 when no response came */
	uint32_t flags;		/* enum http1_txn_flags */
	uint64_t req_start_ns;	/* timestamp of the segment with the request's 1st byte */
	uint64_t resp_start_ns; /* ... with the response's first byte, 0 if none */
	uint64_t resp_end_ns;	/* ... with the response's last byte, 0 if none */
	uint64_t req_bytes;	/* request head + body bytes */
	uint64_t resp_bytes;	/* final response head + body bytes; HTTP/2: blocks + DATA */
};

/* Called once per finished transaction, in request order. */
typedef void (*http1_txn_cb)(void *ctx, const struct http1_txn *txn);

/* Parse failures and recoveries, indexed by enum http1_error. */
enum http1_error {
	HTTP1_ERR_BAD_REQUEST_LINE = 0, /* request stream did not hold a request line */
	HTTP1_ERR_BAD_STATUS_LINE,	/* response stream did not hold a status line */
	HTTP1_ERR_BAD_HEADER,		/* malformed header line or framing value */
	HTTP1_ERR_HEAD_CUT,	      /* message head not captured in full (gap or capture limit) */
	HTTP1_ERR_BODY_GAP,	      /* bytes lost where framing needed them (chunked/unknown) */
	HTTP1_ERR_UNMATCHED_RESPONSE, /* a response with no request waiting */
	HTTP1_ERR_PIPELINE_OVERFLOW,  /* a request past both queues: reported, start estimated */
	HTTP1_ERR_UPGRADED,	      /* 101 or CONNECT 2xx: the rest is not HTTP/1 */
	HTTP1_ERR__MAX,
};

struct http1_stats {
	uint64_t errors[HTTP1_ERR__MAX];
	uint64_t resyncs; /* times a stream found a new message start after losing framing */
};

const char *http1_error_name(enum http1_error err);

/* Per-direction parser state; private to http1.c (here only so callers can embed it). */
struct http1_stream {
	uint8_t state;
	uint8_t sub;	    /* sub-state: request-target part or header id */
	uint16_t flags;	    /* F_* in http1.c */
	uint16_t line_len;  /* bytes in the current token: method, path, name, value */
	uint16_t status;    /* response: status code of the current message */
	uint8_t slot;	    /* request: pending[] (or backlog[] | 0x80) entry being filled */
	uint8_t discard;    /* response: responses owed to requests dropped on overflow */
	uint64_t value;	    /* number being parsed: a Content-Length or a chunk size */
	uint64_t remaining; /* Content-Length while in the head, then body bytes left */
	uint64_t msg_bytes; /* bytes of the current message so far */
	uint64_t start_ns;  /* ts of the piece with the current message's first byte */
	uint64_t last_ns;   /* ts of the last piece fed */
	char line[24];	    /* method, lowercased header name or last list token */
};

/* A waiting request behind the full ones: what a transaction needs but its path. */
struct http1_backlog {
	uint64_t req_start_ns;
	uint32_t req_bytes;
	uint8_t method; /* index into http1.c's method table, 0 for others */
	uint8_t version_minor;
	uint8_t skip_after; /* overflow requests queued behind this one */
	uint8_t pad;
};

struct http1_conn {
	struct http1_stream req;
	struct http1_stream resp;
	struct http1_txn pending[HTTP1_PIPELINE_MAX]; /* FIFO of requests awaiting responses */
	uint8_t skip_after[HTTP1_PIPELINE_MAX]; /* overflow requests queued behind each entry */
	uint8_t head;				/* index of the oldest pending request */
	uint8_t count;				/* requests with a full request line */
	/* FIFO behind pending[]: refills it as it drains, so never older than pending[]. */
	struct http1_backlog backlog[HTTP1_BACKLOG_MAX];
	uint8_t bhead;
	uint8_t bcount;
	uint64_t overflow_ns;	   /* segment of the newest request past both queues */
	uint64_t anon_ns;	   /* estimated start of the request an F_ANON response answers */
	bool dead;		   /* upgraded or closed: caller stops feeding */
	uint32_t live_bytes;	   /* of the last piece fed, the bytes before it died (upgrade) */
	struct http1_stats *stats; /* shared counters, may be NULL */
};

void http1_conn_init(struct http1_conn *c, struct http1_stats *stats);

/*
 * Feed one in-order piece of one direction: len bytes exist in the stream, of
 * which the first cap are in buf (cap <= len; cap == 0 means all unknown, a
 * gap). ts is the kernel timestamp of the segment.
 */
void http1_conn_feed(struct http1_conn *c, enum http1_side side, const uint8_t *buf, size_t cap,
		     size_t len, uint64_t ts, http1_txn_cb cb, void *ctx);

/*
 * The connection ended: every request still waiting is reported with status 0
 * and HTTP1_TXN_F_NO_RESPONSE (plus _RESET when reset is true); a response
 * read until close is completed.
 */
void http1_conn_close(struct http1_conn *c, bool reset, uint64_t ts, http1_txn_cb cb, void *ctx);

/*
 * Requests parsed by the kernel (datapath v2) keep this parser's rules:
 * http1_target_path() writes t->path (and HTTP1_TXN_F_PATH_CUT) from a raw
 * request-target exactly as the byte parser would keep it, or returns -1
 * (path "") for a target the byte parser would reject.
 * http1_traceparent_ok() is the byte parser's check of a traceparent value.
 * http1_conn_inject() queues t as the OLDEST waiting request: the kernel
 * parsed it, then handed the connection over before its response; -1 when
 * there is no room (the response is then counted as unmatched).
 */
int http1_target_path(const char *target, size_t n, struct http1_txn *t);
bool http1_traceparent_ok(const char *v, size_t n);
int http1_conn_inject(struct http1_conn *c, const struct http1_txn *t);

/* True while bytes still look like HTTP/1 (false after an upgrade). */
static inline bool http1_conn_alive(const struct http1_conn *c)
{
	return !c->dead;
}

#endif /* MESHSIGHT_HTTP1_H */

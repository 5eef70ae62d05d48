// SPDX-License-Identifier: BSD-2-Clause
/*
 * See h2.h. Each direction is a small state machine: the client preface,
 * then 9-byte frame headers and their payloads. Payload bytes are looked at
 * only for HEADERS/CONTINUATION (collected, then HPACK-decoded), RST_STREAM
 * and GOAWAY (their first 8 bytes); every other payload is counted and
 * skipped, known or not.
 *
 * Streams live in a small array searched linearly: H2_STREAMS_MAX (256) is
 * above the usual SETTINGS_MAX_CONCURRENT_STREAMS (100), and a lookup per
 * frame over the few streams a connection has open is cheaper than a hash.
 * Each open stream costs sizeof(struct h2_stream), about 330 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/h2.h"

enum {
	FT_DATA = 0,
	FT_HEADERS = 1,
	FT_PRIORITY = 2,
	FT_RST_STREAM = 3,
	FT_SETTINGS = 4,
	FT_PUSH_PROMISE = 5,
	FT_PING = 6,
	FT_GOAWAY = 7,
	FT_WINDOW_UPDATE = 8,
	FT_CONTINUATION = 9,
};

#define FF_END_STREAM  0x01
#define FF_END_HEADERS 0x04
#define FF_PADDED      0x08
#define FF_PRIORITY    0x20

enum dir_state {
	D_PREFACE = 0, /* client: the 24-byte preface */
	D_HEAD,	       /* a frame header */
	D_PAYLOAD,     /* its payload */
	D_LOST,	       /* framing lost: looking for a frame header at a piece's start */
};

/* Stream flags. */
#define S_REQ_HEADERS  0x01 /* request HEADERS decoded (or the upgraded request) */
#define S_REQ_END      0x02
#define S_RESP_HEADERS 0x04 /* final response HEADERS seen */

static const char *const error_names[H2_ERR__MAX] = {
    [H2_ERR_BAD_PREFACE] = "bad_preface",
    [H2_ERR_FRAMING_LOST] = "framing_lost",
    [H2_ERR_HPACK_LOST] = "hpack_lost",
    [H2_ERR_BLOCK_TOO_BIG] = "header_block_too_big",
    [H2_ERR_STREAMS_FULL] = "streams_full",
    [H2_ERR_UNKNOWN_STREAM] = "unknown_stream",
    [H2_ERR_RESYNC] = "resync",
};

const char *h2_error_name(enum h2_error err)
{
	return err < H2_ERR__MAX ? error_names[err] : "unknown";
}

/* One feed call's context, as http1.c's struct feed. */
struct feed {
	struct h2_conn *c;
	struct h2_dir *d;
	enum http1_side side;
	uint64_t ts;
	h2_txn_cb cb;
	void *ctx;
};

static void count_err(struct h2_conn *c, enum h2_error err)
{
	if (err == H2_ERR_FRAMING_LOST || err == H2_ERR_HPACK_LOST || err == H2_ERR_BAD_PREFACE)
		c->lossy = true;
	if (c->stats)
		c->stats->errors[err]++;
}

void h2_conn_init(struct h2_conn *c, struct h2_stats *stats)
{
	memset(c, 0, sizeof(*c));
	c->stats = stats;
	c->dir[HTTP1_SIDE_REQUEST].state = D_PREFACE;
	c->dir[HTTP1_SIDE_RESPONSE].state = D_HEAD;
	hpack_init(&c->dir[0].hpack);
	hpack_init(&c->dir[1].hpack);
}

void h2_conn_init_midstream(struct h2_conn *c, struct h2_stats *stats)
{
	h2_conn_init(c, stats);
	c->dir[HTTP1_SIDE_REQUEST].state = D_LOST;
	c->dir[HTTP1_SIDE_RESPONSE].state = D_LOST;
	c->lossy = true;
}

void h2_conn_free(struct h2_conn *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (c->stats)
			c->stats->hpack_evictions += c->dir[i].hpack.evictions;
		hpack_free(&c->dir[i].hpack);
		free(c->dir[i].block);
		c->dir[i].block = NULL;
	}
	free(c->streams);
	c->streams = NULL;
	c->nstreams = c->cap_streams = 0;
}

bool h2_is_preface(const uint8_t *buf, size_t cap)
{
	return buf && cap >= H2_PREFACE_LEN && !memcmp(buf, H2_PREFACE, H2_PREFACE_LEN);
}

bool h2_is_server_settings(const uint8_t *buf, size_t cap)
{
	uint32_t len;

	if (!buf || cap < 9 || buf[3] != FT_SETTINGS || buf[4] || buf[5] || buf[6] || buf[7] ||
	    buf[8])
		return false;
	len = (uint32_t)buf[0] << 16 | (uint32_t)buf[1] << 8 | buf[2];
	return len % 6 == 0 && len <= 16384;
}

static bool ieq_prefix(const uint8_t *p, size_t n, const char *lower)
{
	size_t i, l = strlen(lower);

	if (n < l)
		return false;
	for (i = 0; i < l; i++) {
		uint8_t ch = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i];

		if (ch != (uint8_t)lower[i])
			return false;
	}
	return true;
}

bool h2_upgrade_requested(const uint8_t *buf, size_t cap)
{
	size_t i, j;

	if (!buf)
		return false;
	/* "\nUpgrade:" then optional spaces and the token h2c (alone or first in a list). */
	for (i = 0; i + 9 < cap; i++) {
		if (buf[i] != '\n' || !ieq_prefix(buf + i + 1, cap - i - 1, "upgrade:"))
			continue;
		for (j = i + 9; j < cap && (buf[j] == ' ' || buf[j] == '\t'); j++)
			;
		if (ieq_prefix(buf + j, cap - j, "h2c") &&
		    (j + 3 == cap || buf[j + 3] == '\r' || buf[j + 3] == ',' || buf[j + 3] == ' '))
			return true;
	}
	return false;
}

bool h2_grpc_split(const char *path, const char **service, size_t *slen, const char **method,
		   size_t *mlen)
{
	const char *slash;

	if (path[0] != '/')
		return false;
	slash = strchr(path + 1, '/');
	if (!slash || slash == path + 1 || !slash[1] || strchr(slash + 1, '/'))
		return false;
	*service = path + 1;
	*slen = (size_t)(slash - path - 1);
	*method = slash + 1;
	*mlen = strlen(slash + 1);
	return true;
}

/* ---- streams ---- */

static struct h2_stream *stream_find(struct h2_conn *c, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < c->nstreams; i++)
		if (c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

static struct h2_stream *stream_open(struct h2_conn *c, uint32_t id, uint64_t ts)
{
	struct h2_stream *s, *grown;
	uint32_t cap;

	if (c->nstreams == H2_STREAMS_MAX) {
		count_err(c, H2_ERR_STREAMS_FULL);
		return NULL;
	}
	if (c->nstreams == c->cap_streams) {
		cap = c->cap_streams ? c->cap_streams * 2 : 8;
		grown = realloc(c->streams, cap * sizeof(*grown));
		if (!grown) {
			count_err(c, H2_ERR_STREAMS_FULL);
			return NULL;
		}
		c->streams = grown;
		c->cap_streams = cap;
	}
	s = &c->streams[c->nstreams++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->txn.flags = HTTP1_TXN_F_H2;
	s->txn.req_start_ns = ts;
	return s;
}

/* Reports the stream and removes it; s points into c->streams. */
static void stream_report(struct feed *f, struct h2_stream *s)
{
	struct h2_conn *c = f->c;
	struct http1_txn t = s->txn;
	char msg[HTTP1_GRPC_MESSAGE_MAX];

	memcpy(msg, s->grpc_message, sizeof(msg));
	if (!(s->flags & S_REQ_HEADERS))
		t.flags |= HTTP1_TXN_F_UNNAMED;
	if (c->stats) {
		c->stats->streams++;
		if (t.flags & HTTP1_TXN_F_UNNAMED)
			c->stats->unnamed++;
	}
	*s = c->streams[--c->nstreams];
	if (f->cb)
		f->cb(f->ctx, &t, msg[0] ? msg : NULL);
}

void h2_conn_upgraded(struct h2_conn *c, const struct http1_txn *up)
{
	struct h2_stream *s = stream_open(c, 1, up->req_start_ns);

	c->max_client_id = 1;
	if (!s)
		return;
	memcpy(s->txn.method, up->method, sizeof(s->txn.method));
	memcpy(s->txn.path, up->path, sizeof(s->txn.path));
	memcpy(s->txn.traceparent, up->traceparent, sizeof(s->txn.traceparent));
	s->txn.req_bytes = up->req_bytes;
	s->flags = S_REQ_HEADERS | S_REQ_END;
}

/* ---- header blocks ---- */

/* What one block said, before it is applied to its stream. */
struct block_fields {
	struct http1_txn *t; /* request fields go straight into the stream's txn */
	bool request;
	bool any_unknown;
	bool grpc;
	bool has_status, has_grpc_status;
	uint16_t status;
	uint16_t grpc_status;
	char grpc_message[HTTP1_GRPC_MESSAGE_MAX];
};

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && !memcmp(name, want, nlen);
}

static uint16_t parse_code(const char *v, size_t n, bool *ok)
{
	uint32_t x = 0;
	size_t i;

	*ok = n > 0 && n <= 5;
	for (i = 0; i < n && *ok; i++) {
		*ok = v[i] >= '0' && v[i] <= '9';
		x = x * 10 + (uint32_t)(v[i] - '0');
	}
	*ok = *ok && x <= 65535;
	return (uint16_t)x;
}

/* The request target without query or fragment; cut at HTTP1_PATH_MAX - 1. */
static void set_path(struct http1_txn *t, const char *v, size_t n, unsigned flags)
{
	size_t keep = strcspn(v, "?#;"), max = HTTP1_PATH_MAX - 1, i;

	/* An encoded '?' (%3F) may start a query too: nothing from it on is kept. */
	for (i = 0; i + 2 < keep; i++) {
		if (v[i] == '%' && v[i + 1] == '3' && (v[i + 2] == 'F' || v[i + 2] == 'f')) {
			keep = i;
			break;
		}
	}

	if (keep > n)
		keep = n;
	if (keep > max || (keep == n && (flags & HPACK_F_VALUE_CUT))) {
		t->flags |= HTTP1_TXN_F_PATH_CUT;
		if (keep > max)
			keep = max;
	}
	memcpy(t->path, v, keep);
	t->path[keep] = '\0';
}

static void copy_value(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n > dstsz - 1)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void request_field(struct block_fields *b, const char *name, size_t nlen, const char *v,
			  size_t vlen, unsigned flags)
{
	struct http1_txn *t = b->t;

	if (name_is(name, nlen, ":method")) {
		copy_value(t->method, sizeof(t->method), v, vlen);
	} else if (name_is(name, nlen, ":path")) {
		/* path bytes are kept only up to '?': the query never reaches the txn */
		char tmp[HPACK_VALUE_MAX + 1];

		copy_value(tmp, sizeof(tmp), v, vlen);
		set_path(t, tmp, strlen(tmp), flags);
	} else if (name_is(name, nlen, "traceparent")) {
		if (vlen < HTTP1_TRACEPARENT_MAX)
			copy_value(t->traceparent, sizeof(t->traceparent), v, vlen);
	}
}

static void on_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen,
		     unsigned flags)
{
	struct block_fields *b = ctx;
	bool ok;

	if (flags & HPACK_F_UNKNOWN) {
		b->any_unknown = true;
		return;
	}
	if (!v)
		return;
	if (name_is(name, nlen, "content-type")) {
		if (vlen >= 16 && !memcmp(v, "application/grpc", 16))
			b->grpc = true;
	} else if (b->request && b->t) {
		request_field(b, name, nlen, v, vlen, flags);
	} else if (name_is(name, nlen, ":status")) {
		b->status = parse_code(v, vlen, &ok);
		b->has_status = ok && b->status >= 100 && b->status <= 599;
	} else if (name_is(name, nlen, "grpc-status")) {
		b->grpc_status = parse_code(v, vlen, &ok);
		b->has_grpc_status = ok;
	} else if (name_is(name, nlen, "grpc-message")) {
		copy_value(b->grpc_message, sizeof(b->grpc_message), v, vlen);
	}
}

static void stream_end_response(struct feed *f, struct h2_stream *s)
{
	s->txn.resp_end_ns = f->ts;
	stream_report(f, s);
}

static void apply_response(struct feed *f, struct h2_stream *s, const struct block_fields *b,
			   bool end_stream, uint64_t ts)
{
	struct http1_txn *t = &s->txn;

	if (b->grpc)
		t->flags |= HTTP1_TXN_F_GRPC;
	if (b->has_status && !(s->flags & S_RESP_HEADERS)) {
		if (b->status < 200)
			return; /* interim: the answer is still to come */
		t->status = b->status;
		t->resp_start_ns = ts;
		s->flags |= S_RESP_HEADERS;
	}
	if (b->has_grpc_status) {
		t->grpc_status = b->grpc_status > 254 ? 255 : (uint8_t)b->grpc_status;
		t->flags |= HTTP1_TXN_F_GRPC_STATUS;
		memcpy(s->grpc_message, b->grpc_message, sizeof(s->grpc_message));
	}
	if (!t->resp_start_ns)
		t->resp_start_ns = ts; /* headers we could not read: the response still started */
	if (end_stream)
		stream_end_response(f, s);
}

/* A complete header block of stream id, from HEADERS (+ CONTINUATION). */
static void block_done(struct feed *f)
{
	struct h2_dir *d = f->d;
	struct h2_stream *s = stream_find(f->c, d->block_stream);
	struct block_fields b = {0};
	bool request = f->side == HTTP1_SIDE_REQUEST;

	d->in_block = false;
	b.request = request;
	if (s && request && !(s->flags & S_REQ_HEADERS))
		b.t = &s->txn; /* trailers of a request are not its name */
	if (d->block_lost && !d->hpack.lost) {
		hpack_lose(&d->hpack);
		count_err(f->c, H2_ERR_HPACK_LOST);
	} else if (!d->block_lost && d->block_len &&
		   hpack_decode(&d->hpack, d->block, d->block_len, on_field, &b) != HPACK_OK) {
		count_err(f->c, H2_ERR_HPACK_LOST);
	}
	if (!s)
		return;
	if (request) {
		s->txn.req_bytes += d->block_len;
		if (b.grpc)
			s->txn.flags |= HTTP1_TXN_F_GRPC;
		if (b.t && !f->c->first_kind && !d->block_lost)
			f->c->first_kind = b.grpc ? H2_KIND_GRPC : H2_KIND_HTTP;
		/* Named only when the block decoded in full: never a half-known name. */
		if (b.t && !d->block_lost && !d->hpack.lost && !b.any_unknown && s->txn.method[0])
			s->flags |= S_REQ_HEADERS;
		else if (b.t)
			s->txn.method[0] = s->txn.path[0] = '\0';
		if (d->block_end_stream)
			s->flags |= S_REQ_END;
		return;
	}
	s->txn.resp_bytes += d->block_len;
	apply_response(f, s, &b, d->block_end_stream, d->block_ts);
}

/* ---- frames ---- */

static void block_append(struct h2_dir *d, const uint8_t *p, size_t n)
{
	uint32_t need = d->block_len + (uint32_t)n;
	uint8_t *grown;
	uint32_t cap;

	if (d->block_lost)
		return;
	if (need > H2_BLOCK_MAX) {
		d->block_lost = true;
		return;
	}
	if (need > d->block_cap) {
		cap = d->block_cap ? d->block_cap : 1024;
		while (cap < need)
			cap *= 2;
		grown = realloc(d->block, cap);
		if (!grown) {
			d->block_lost = true;
			return;
		}
		d->block = grown;
		d->block_cap = cap;
	}
	memcpy(d->block + d->block_len, p, n);
	d->block_len = need;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A stream first seen by its response: counted, unnamed, its start estimated. */
static void response_opens(struct feed *f, uint32_t id)
{
	struct h2_stream *s = stream_open(f->c, id, f->d->frame_ts);

	if (!s)
		return;
	s->txn.flags |= HTTP1_TXN_F_START_EST;
	s->flags |= S_REQ_END;
	f->c->max_client_id = id;
}

static void headers_start(struct feed *f)
{
	struct h2_dir *d = f->d;
	uint32_t id = d->stream_id;

	d->in_block = true;
	d->block_len = 0;
	d->block_lost = false;
	d->block_stream = id;
	d->block_end_stream = d->fflags & FF_END_STREAM;
	d->block_ts = d->frame_ts;
	if (!(id & 1) || stream_find(f->c, id))
		return;
	if (f->side == HTTP1_SIDE_REQUEST) {
		if (stream_open(f->c, id, d->frame_ts) && id > f->c->max_client_id)
			f->c->max_client_id = id;
	} else if (f->c->lossy && id > f->c->max_client_id) {
		response_opens(f, id); /* its request was in bytes we lost */
	} else {
		count_err(f->c, H2_ERR_UNKNOWN_STREAM);
	}
}

static void frame_start(struct feed *f)
{
	struct h2_dir *d = f->d;
	const uint8_t *h = d->hdr;

	d->frame_len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	d->type = h[3];
	d->fflags = h[4];
	d->stream_id = be32(h + 5) & 0x7fffffff;
	d->remaining = d->frame_len;
	d->small_len = 0;
	d->frame_ts = f->ts;
	if (d->type == FT_HEADERS)
		headers_start(f);
	else if (d->type == FT_CONTINUATION && (!d->in_block || d->stream_id != d->block_stream))
		d->in_block = false; /* a stray continuation: nothing to add it to */
}

/* HEADERS payload: [pad length] [priority 5] fragment [padding]; trims the extras. */
static void headers_trim(struct h2_dir *d)
{
	uint32_t off = 0, pad = 0;

	if (d->block_lost)
		return;
	if (d->fflags & FF_PADDED) {
		if (d->block_len < 1) {
			d->block_lost = true;
			return;
		}
		pad = d->block[0];
		off = 1;
	}
	if (d->fflags & FF_PRIORITY)
		off += 5;
	if (off + pad > d->block_len) {
		d->block_lost = true;
		return;
	}
	d->block_len -= off + pad;
	if (off && d->block_len)
		memmove(d->block, d->block + off, d->block_len);
}

static void data_end(struct feed *f)
{
	struct h2_stream *s = stream_find(f->c, f->d->stream_id);

	if (!s)
		return;
	if (f->side == HTTP1_SIDE_REQUEST) {
		if (f->d->fflags & FF_END_STREAM)
			s->flags |= S_REQ_END;
		return;
	}
	if (!s->txn.resp_start_ns)
		s->txn.resp_start_ns = f->d->frame_ts;
	if (f->d->fflags & FF_END_STREAM)
		stream_end_response(f, s);
}

static void rst_end(struct feed *f)
{
	struct h2_stream *s = stream_find(f->c, f->d->stream_id);

	if (!s)
		return;
	s->txn.flags |= HTTP1_TXN_F_STREAM_RESET;
	if (!(s->flags & S_RESP_HEADERS))
		s->txn.flags |= HTTP1_TXN_F_NO_RESPONSE;
	s->txn.resp_end_ns = f->ts;
	stream_report(f, s);
}

/* Streams above the last id the server will process were refused (RFC 9113 6.8). */
static void goaway_end(struct feed *f)
{
	struct h2_conn *c = f->c;
	uint32_t last, i = 0;

	if (f->side != HTTP1_SIDE_RESPONSE || f->d->small_len < 4)
		return;
	last = be32(f->d->small) & 0x7fffffff;
	while (i < c->nstreams) {
		struct h2_stream *s = &c->streams[i];

		if (s->id <= last) {
			i++;
			continue;
		}
		s->txn.flags |= HTTP1_TXN_F_REFUSED | HTTP1_TXN_F_NO_RESPONSE;
		s->txn.status = 0;
		s->txn.resp_end_ns = f->ts;
		stream_report(f, s); /* moves the last stream into slot i */
	}
}

static void frame_end(struct feed *f)
{
	struct h2_dir *d = f->d;
	struct h2_stream *s;

	d->state = D_HEAD;
	d->hdr_len = 0;
	switch (d->type) {
	case FT_DATA:
		s = stream_find(f->c, d->stream_id);
		if (s && f->side == HTTP1_SIDE_REQUEST)
			s->txn.req_bytes += d->frame_len;
		else if (s)
			s->txn.resp_bytes += d->frame_len;
		data_end(f);
		break;
	case FT_HEADERS:
		headers_trim(d);
		/* fallthrough */
	case FT_CONTINUATION:
		if (d->in_block && (d->fflags & FF_END_HEADERS))
			block_done(f);
		break;
	case FT_RST_STREAM:
		rst_end(f);
		break;
	case FT_GOAWAY:
		goaway_end(f);
		break;
	}
}

static void payload_bytes(struct h2_dir *d, const uint8_t *p, size_t n)
{
	size_t take;

	switch (d->type) {
	case FT_HEADERS:
	case FT_CONTINUATION:
		if (d->in_block)
			block_append(d, p, n);
		break;
	case FT_RST_STREAM:
	case FT_GOAWAY:
		take = sizeof(d->small) - d->small_len;
		if (take > n)
			take = n;
		memcpy(d->small + d->small_len, p, take);
		d->small_len += (uint8_t)take;
		break;
	}
}

/* Could these 9 bytes be a frame header? Used only to find frames again after a loss. */
static bool plausible_header(const uint8_t *h)
{
	uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	uint32_t id = be32(h + 5);
	uint8_t type = h[3], fl = h[4];

	if (len > H2_RESYNC_FRAME_MAX || (id & 0x80000000u))
		return false;
	switch (type) {
	case FT_DATA:
		return id && !(fl & ~(FF_END_STREAM | FF_PADDED));
	case FT_HEADERS:
		return id && !(fl & ~(FF_END_STREAM | FF_END_HEADERS | FF_PADDED | FF_PRIORITY));
	case FT_RST_STREAM:
		return id && len == 4 && !fl;
	case FT_SETTINGS:
		return !id && len % 6 == 0 && !(fl & ~1u) && !(fl && len);
	case FT_PING:
		return !id && len == 8 && !(fl & ~1u);
	case FT_GOAWAY:
		return !id && len >= 8 && !fl;
	case FT_WINDOW_UPDATE:
		return len == 4 && !fl;
	}
	return false;
}

bool h2_is_frame_start(const uint8_t *buf, size_t cap)
{
	return cap >= 9 && plausible_header(buf);
}

/*
 * Bytes that exist but were not captured. Inside a payload that framing
 * counts they are skipped; a header block loses its HPACK state; past the
 * frame's end the next frame header is in them, and framing is lost.
 */
static void feed_unknown(struct feed *f, uint64_t n)
{
	struct h2_dir *d = f->d;

	while (n && d->state == D_PAYLOAD && n >= d->remaining) {
		n -= d->remaining;
		if (d->remaining && (d->type == FT_HEADERS || d->type == FT_CONTINUATION))
			d->block_lost = true;
		d->remaining = 0;
		frame_end(f);
	}
	if (!n)
		return;
	if (d->state == D_PAYLOAD) {
		d->remaining -= (uint32_t)n;
		if (d->type == FT_HEADERS || d->type == FT_CONTINUATION)
			d->block_lost = true;
		return;
	}
	if (d->state != D_LOST)
		count_err(f->c, H2_ERR_FRAMING_LOST);
	d->state = D_LOST;
}

/* After a loss: does this piece start with a frame? Its direction's table is lost too. */
static bool try_resync(struct feed *f, const uint8_t *buf, size_t cap)
{
	struct h2_dir *d = f->d;

	if (cap < 9 || !plausible_header(buf))
		return false;
	count_err(f->c, H2_ERR_RESYNC);
	if (!d->hpack.lost) {
		hpack_lose(&d->hpack);
		count_err(f->c, H2_ERR_HPACK_LOST);
	}
	d->in_block = false;
	d->state = D_HEAD;
	d->hdr_len = 0;
	return true;
}

static size_t step(struct feed *f, const uint8_t *p, size_t n)
{
	struct h2_dir *d = f->d;
	size_t take;

	switch (d->state) {
	case D_PREFACE:
		take = H2_PREFACE_LEN - d->preface_done;
		take = take < n ? take : n;
		if (memcmp(p, &H2_PREFACE[d->preface_done], take)) {
			count_err(f->c, H2_ERR_BAD_PREFACE);
			d->state = D_LOST;
			return n;
		}
		d->preface_done += (uint32_t)take;
		if (d->preface_done == H2_PREFACE_LEN)
			d->state = D_HEAD;
		return take;
	case D_HEAD:
		take = sizeof(d->hdr) - d->hdr_len;
		take = take < n ? take : n;
		memcpy(d->hdr + d->hdr_len, p, take);
		d->hdr_len += (uint8_t)take;
		if (d->hdr_len == sizeof(d->hdr)) {
			frame_start(f);
			d->state = D_PAYLOAD;
			if (!d->remaining)
				frame_end(f);
		}
		return take;
	case D_PAYLOAD:
		take = d->remaining < n ? d->remaining : n;
		payload_bytes(d, p, take);
		d->remaining -= (uint32_t)take;
		if (!d->remaining)
			frame_end(f);
		return take;
	}
	return n; /* D_LOST: the rest of this piece is not followed */
}

void h2_conn_feed(struct h2_conn *c, enum http1_side side, const uint8_t *buf, size_t cap,
		  size_t len, uint64_t ts, h2_txn_cb cb, void *ctx)
{
	struct feed f = {c, &c->dir[side], side, ts, cb, ctx};
	size_t i = 0;

	if (c->dead || !len)
		return;
	if (cap > len)
		cap = len;
	if (!buf)
		cap = 0;
	if (f.d->state == D_LOST && !try_resync(&f, buf, cap))
		return;
	while (i < cap && f.d->state != D_LOST)
		i += step(&f, buf + i, cap - i);
	if (f.d->state != D_LOST)
		feed_unknown(&f, len - cap);
}

void h2_conn_close(struct h2_conn *c, bool reset, uint64_t ts, h2_txn_cb cb, void *ctx)
{
	struct feed f = {c, &c->dir[HTTP1_SIDE_RESPONSE], HTTP1_SIDE_RESPONSE, ts, cb, ctx};

	while (c->nstreams) {
		struct h2_stream *s = &c->streams[c->nstreams - 1];

		if (s->flags & S_RESP_HEADERS) {
			s->txn.flags |= HTTP1_TXN_F_RESP_CUT;
		} else {
			s->txn.status = 0;
			s->txn.flags |= HTTP1_TXN_F_NO_RESPONSE;
		}
		if (reset)
			s->txn.flags |= HTTP1_TXN_F_RESET;
		s->txn.resp_end_ns = ts;
		stream_report(&f, s);
	}
	c->dead = true;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * HTTP/1.x transaction parser: one byte-at-a-time state machine per
 * direction, and a small FIFO that pairs requests with responses.
 *
 * Nothing is buffered beyond a token: the method, a bounded path, the
 * framing headers reduced to a number or a flag, and a traceparent that is
 * only kept once it proved to be well formed. Body bytes are skipped in bulk
 * and may be unknown (the capture limit, a reassembly gap) as long as the
 * framing says how many there are. When it does not, the stream counts why,
 * drops into S_RESYNC and waits for a piece (segment) that starts like a new
 * message; mid-piece bytes are never trusted as a message start.
 *
 * Pairing policy, chosen so that a reported latency is never a wrong one:
 * - A request enters the FIFO when its request line is complete; each final
 *   response answers the oldest one, and a response that started before the
 *   oldest request did cannot answer it (it is counted as unmatched).
 * - The FIFO is pending[] (full transactions) then backlog[] (16 bytes per
 *   request: no path, no traceparent), which refills pending[] as it drains;
 *   64 waiting requests cost 3.2 KiB per connection instead of 16 KiB.
 * - Past both, the NEWEST request is not kept: a marker behind the entry
 *   before it says its response comes next, and that response is reported
 *   alone (status and size, the start of that request's segment:
 *   HTTP1_TXN_F_START_EST), so the request is counted and the pairing of
 *   everything else stays right.
 * - A response with no request waiting while the request stream is skipping
 *   bytes it lost answers a request among them: it is reported alone too.
 * - After the response stream lost framing, the next status line answers the
 *   NEWEST waiting request; older ones lost their responses in the hole and
 *   are dropped as unmatched rather than paired with the wrong response.
 * - The latency of a request answered by 1xx interim responses is measured
 *   to the first byte of the final response, and resp_bytes excludes them.
 */
#include <string.h>

#include "core/http1.h"
#include "lib/str.h"

#define HEAD_MAX     65536	  /* longest message head we follow */
#define CL_MAX	     (1ULL << 60) /* Content-Length beyond this is garbage */
#define CHUNK_DIGITS 15		  /* hex digits of a chunk size */
#define TP_LEN	     55		  /* strlen("00-<32 hex>-<16 hex>-<2 hex>") */
#define SLOT_NONE    0xff
#define SLOT_BACKLOG 0x80   /* slot | SLOT_BACKLOG: a backlog[] index */
#define LEN_POISON   0xffff /* line_len of a token that can match nothing */

_Static_assert(sizeof(struct http1_conn) <= 3096, "http1_conn exists per live connection");
_Static_assert(HTTP1_PIPELINE_MAX < SLOT_BACKLOG, "slot indexes must not collide");
_Static_assert(HTTP1_BACKLOG_MAX < SLOT_NONE - SLOT_BACKLOG, "backlog indexes must fit a slot");
_Static_assert(sizeof(struct http1_backlog) == 16, "backlog entries are what deep pipelines cost");
_Static_assert(sizeof(((struct http1_stream *)0)->line) >= HTTP1_METHOD_MAX, "method scratch");

enum state {
	S_IDLE,
	S_RESYNC,
	/* request line */
	S_METHOD,
	S_TARGET,
	S_REQ_VERSION,
	S_REQ_EOL,
	/* status line */
	S_RESP_VERSION,
	S_RESP_SP,
	S_STATUS,
	S_REASON,
	/* header section */
	S_HDR_START,
	S_HDR_NAME,
	S_HDR_VALUE,
	S_HDR_SKIP,
	/* chunked body */
	S_CHUNK_SIZE,
	S_CHUNK_EXT,
	S_CHUNK_DATA,
	S_CHUNK_DATA_END,
	S_TRAILER_START,
	S_TRAILER_LINE,
	/* other bodies */
	S_BODY_CL,
	S_BODY_EOF,
};

/* Parts of a request-target (sub-state in S_TARGET). */
enum target_part {
	T_BEGIN,
	T_AUTHORITY, /* CONNECT host:port, kept as is */
	T_SCHEME,    /* absolute-form: "http" ... */
	T_SLASH1,
	T_SLASH2,
	T_HOST,	 /* ... "//host" skipped ... */
	T_PATH,	 /* ... the path, kept */
	T_PCT,	 /* ... just after a '%' */
	T_PCT3,	 /* ... just after "%3": an 'F' makes an encoded '?' */
	T_PARAM, /* ... a segment's ";parameters", never kept */
	T_SKIP,	 /* query or fragment, never kept */
};

/* Headers that matter (sub-state in S_HDR_VALUE). */
enum header_id {
	H_OTHER,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_CONNECTION,
	H_TRACEPARENT,
};

enum stream_flags {
	F_CR = 1u << 0,	       /* a CR ended a line: LF must follow */
	F_HAS_CL = 1u << 1,    /* remaining holds a Content-Length */
	F_TE = 1u << 2,	       /* Transfer-Encoding present */
	F_CHUNKED = 1u << 3,   /* ... and its last coding is chunked */
	F_CLOSE = 1u << 4,     /* Connection: close */
	F_TP_SEEN = 1u << 5,   /* a traceparent header was seen */
	F_TP_BAD = 1u << 6,    /* the traceparent (or a second one) is not kept */
	F_VAL = 1u << 7,       /* header value started (leading OWS skipped) */
	F_TOKEN_END = 1u << 8, /* OWS after the current token */
	F_PUSHED = 1u << 9,    /* request: the request line entered the FIFO */
	F_PAIRED = 1u << 10,   /* response: answers pending[head] */
	F_INTERIM = 1u << 11,  /* response: 1xx, not the final response */
	F_OPEN = 1u << 12,     /* response: pending[head] was cut, ends at the next one */
	F_RESYNCED = 1u << 13, /* response: framing was lost before this message */
	F_ANON = 1u << 14,     /* response: answers a request past both queues */
};

/* Flags that outlive a message. */
#define F_STREAM (F_OPEN | F_RESYNCED)

/* Everything a piece's bytes need to reach. */
struct feed {
	struct http1_conn *c;
	struct http1_stream *s;
	enum http1_side side;
	uint64_t ts;
	http1_txn_cb cb;
	void *ctx;
};

/* Methods a backlog entry can name; any other is reported as _OTHER. */
static const char *const method_names[] = {
    "_OTHER", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

static const char *const error_names[HTTP1_ERR__MAX] = {
    [HTTP1_ERR_BAD_REQUEST_LINE] = "bad_request_line",
    [HTTP1_ERR_BAD_STATUS_LINE] = "bad_status_line",
    [HTTP1_ERR_BAD_HEADER] = "bad_header",
    [HTTP1_ERR_HEAD_CUT] = "head_cut",
    [HTTP1_ERR_BODY_GAP] = "body_gap",
    [HTTP1_ERR_UNMATCHED_RESPONSE] = "unmatched_response",
    [HTTP1_ERR_PIPELINE_OVERFLOW] = "pipeline_overflow",
    [HTTP1_ERR_UPGRADED] = "upgraded",
};

const char *http1_error_name(enum http1_error err)
{
	if ((unsigned int)err >= HTTP1_ERR__MAX)
		return "unknown";
	return error_names[err];
}

static bool is_upper(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z';
}

static bool is_digit(uint8_t ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_ows(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

static uint8_t to_lower(uint8_t ch)
{
	return is_upper(ch) ? ch + ('a' - 'A') : ch;
}

/* RFC 9110 token characters, the only ones allowed in a field name. */
static bool is_tchar(uint8_t ch)
{
	if (ch >= 'a' && ch <= 'z')
		return true;
	if (is_upper(ch) || is_digit(ch))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch);
}

static bool is_head_state(uint8_t state)
{
	return state >= S_METHOD && state <= S_HDR_SKIP;
}

static void count_err(struct http1_conn *c, enum http1_error err)
{
	if (c->stats)
		c->stats->errors[err]++;
}

static bool token_is(const struct http1_stream *s, const char *word)
{
	size_t n = strlen(word);

	return s->line_len == n && !memcmp(s->line, word, n);
}

/* Append to the token scratch; a token too long for it matches nothing. */
static void token_add(struct http1_stream *s, uint8_t ch)
{
	if (s->line_len < sizeof(s->line))
		s->line[s->line_len++] = (char)ch;
	else
		s->line_len = LEN_POISON;
}

/*
 * The traceparent is copied into the txn as it arrives; when the request
 * stops at any other point than a line end (reported early, cut, dropped),
 * keep it only if it already is complete and valid.
 */
static void tp_settle(struct http1_stream *s, struct http1_txn *t)
{
	if (s->state != S_HDR_VALUE || s->sub != H_TRACEPARENT)
		return;
	if (s->line_len != TP_LEN)
		s->flags |= F_TP_BAD;
	if (t && (s->flags & F_TP_BAD))
		memset(t->traceparent, 0, sizeof(t->traceparent));
}

/* ---- request FIFO ---- */

static uint8_t slot_of(const struct http1_conn *c, unsigned int i)
{
	return (c->head + i) % HTTP1_PIPELINE_MAX;
}

static uint8_t backlog_of(const struct http1_conn *c, unsigned int i)
{
	return (c->bhead + i) % HTTP1_BACKLOG_MAX;
}

static struct http1_txn *req_txn(struct feed *f)
{
	uint8_t slot = f->s->slot;

	return slot == SLOT_NONE || (slot & SLOT_BACKLOG) ? NULL : &f->c->pending[slot];
}

static struct http1_backlog *req_backlog(struct feed *f)
{
	uint8_t slot = f->s->slot;

	if (slot == SLOT_NONE || !(slot & SLOT_BACKLOG))
		return NULL;
	return &f->c->backlog[slot & ~SLOT_BACKLOG];
}

static void set_req_bytes(struct feed *f)
{
	struct http1_txn *t = req_txn(f);
	struct http1_backlog *b = req_backlog(f);

	if (t)
		t->req_bytes = f->s->msg_bytes;
	if (b)
		b->req_bytes =
		    f->s->msg_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)f->s->msg_bytes;
}

static uint8_t method_index(const struct http1_stream *s)
{
	uint8_t i;

	for (i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (token_is(s, method_names[i]))
			return i;
	return 0;
}

/* The oldest backlog entry becomes the newest pending[] one. */
static void backlog_promote(struct http1_conn *c)
{
	uint8_t b = c->bhead, slot = slot_of(c, c->count);
	const struct http1_backlog *e = &c->backlog[b];
	struct http1_txn *t = &c->pending[slot];

	memset(t, 0, sizeof(*t));
	strcpy(t->method, method_names[e->method]);
	t->version_minor = e->version_minor;
	t->req_start_ns = e->req_start_ns;
	t->req_bytes = e->req_bytes;
	t->flags = HTTP1_TXN_F_PATH_DROPPED;
	c->skip_after[slot] = e->skip_after;
	if (c->req.slot == (SLOT_BACKLOG | b)) {
		/* Still sending its head: a traceparent begun before this is not whole. */
		c->req.slot = slot;
		c->req.flags |= F_TP_BAD;
	}
	c->bhead = backlog_of(c, 1);
	c->bcount--;
	c->count++;
}

static void fifo_refill(struct http1_conn *c)
{
	while (c->bcount && c->count < HTTP1_PIPELINE_MAX)
		backlog_promote(c);
}

/* Remove the oldest request; its overflow drops now come next on the wire. */
static void fifo_pop(struct http1_conn *c)
{
	uint8_t i = c->head;

	if (c->req.slot == i)
		c->req.slot = SLOT_NONE;
	c->resp.discard += c->skip_after[i];
	c->skip_after[i] = 0;
	c->head = slot_of(c, 1);
	c->count--;
	fifo_refill(c);
}

static void report_oldest(struct http1_conn *c, http1_txn_cb cb, void *ctx)
{
	struct http1_txn *t = &c->pending[c->head];

	/* The request may still be sending its head or body when its response is done. */
	if (c->req.slot == c->head) {
		t->req_bytes = c->req.msg_bytes;
		tp_settle(&c->req, t);
	}
	if (cb)
		cb(ctx, t);
	fifo_pop(c);
}

/* The response of pending[head] ends here; flags say how well we saw it. */
static void resp_complete(struct feed *f, uint64_t end_ns, uint32_t flags)
{
	struct http1_stream *s = &f->c->resp;
	struct http1_txn *t = &f->c->pending[f->c->head];

	t->resp_end_ns = end_ns;
	t->resp_bytes = s->msg_bytes;
	t->flags |= flags;
	s->flags &= ~(F_PAIRED | F_OPEN);
	report_oldest(f->c, f->cb, f->ctx);
}

/*
 * The response to a request that was past both queues (or not captured)
 * ends here: known are the response and the segment the request came in,
 * so the transaction has no method or path and an estimated start.
 */
static void anon_complete(struct feed *f, uint64_t end_ns, uint32_t flags)
{
	struct http1_stream *s = &f->c->resp;
	struct http1_txn t;

	memset(&t, 0, sizeof(t));
	t.status = s->status;
	t.version_minor = 1; /* pipelining is HTTP/1.1's */
	t.req_start_ns = f->c->anon_ns < s->start_ns ? f->c->anon_ns : s->start_ns;
	t.resp_start_ns = s->start_ns;
	t.resp_end_ns = end_ns;
	t.resp_bytes = s->msg_bytes;
	t.flags = flags | HTTP1_TXN_F_PATH_DROPPED | HTTP1_TXN_F_START_EST;
	s->flags &= ~F_ANON;
	if (f->cb)
		f->cb(f->ctx, &t);
}

/* ---- losing and finding framing ---- */

static void request_line_done(struct feed *f);
static void upgrade(struct feed *f);
static void path_cut_at(struct feed *f, unsigned int pos);

/*
 * A request line cut after its method still is a real request: track it, so
 * that its response does not get paired with the next request.
 */
static void keep_cut_request(struct feed *f)
{
	struct http1_txn *t = req_txn(f);

	/* A CONNECT target cut short may be cut inside its userinfo: keep none of it. */
	if (f->s->state == S_TARGET && f->s->sub == T_AUTHORITY)
		path_cut_at(f, 0);
	if (t && f->s->state == S_TARGET)
		t->flags |= HTTP1_TXN_F_PATH_CUT;
	request_line_done(f);
}

static void lose(struct feed *f, enum http1_error err)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t;

	count_err(f->c, err);
	if (f->side == HTTP1_SIDE_REQUEST) {
		if (err == HTTP1_ERR_HEAD_CUT && s->state >= S_TARGET && s->state <= S_REQ_EOL)
			keep_cut_request(f);
		t = req_txn(f);
		tp_settle(s, t);
		if (s->flags & F_PUSHED)
			set_req_bytes(f);
		s->slot = SLOT_NONE;
	} else if ((s->flags & (F_PAIRED | F_ANON)) && s->status == 101) {
		upgrade(f);
		return;
	} else if (s->flags & F_PAIRED) {
		/* Status is known: report it when the next response shows up. */
		s->flags |= F_OPEN;
		f->c->pending[f->c->head].flags |= HTTP1_TXN_F_RESP_CUT;
	} else if (s->flags & F_ANON) {
		anon_complete(f, f->ts, HTTP1_TXN_F_RESP_CUT);
	}
	s->state = S_RESYNC;
	s->flags &= ~F_CR;
}

static enum http1_error err_of_state(const struct feed *f)
{
	uint8_t st = f->s->state;

	if (st >= S_METHOD && st <= S_REQ_EOL)
		return HTTP1_ERR_BAD_REQUEST_LINE;
	if (st >= S_RESP_VERSION && st <= S_REASON)
		return HTTP1_ERR_BAD_STATUS_LINE;
	return HTTP1_ERR_BAD_HEADER;
}

static void bad(struct feed *f)
{
	lose(f, err_of_state(f));
}

/* Strict: a message start cut short by the capture is not trusted. */
static bool looks_like_start(enum http1_side side, const uint8_t *buf, size_t cap)
{
	size_t i;

	if (side == HTTP1_SIDE_RESPONSE)
		return cap >= 7 && !memcmp(buf, "HTTP/1.", 7);
	for (i = 0; i < cap && i < HTTP1_METHOD_MAX && is_upper(buf[i]); i++)
		;
	return i >= 3 && i < HTTP1_METHOD_MAX && i < cap && buf[i] == ' ';
}

static void resync(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->flags & F_OPEN)
		resp_complete(f, s->last_ns, 0);
	s->state = S_IDLE;
	s->flags |= F_RESYNCED;
	if (f->c->stats)
		f->c->stats->resyncs++;
}

/* ---- message boundaries ---- */

static void msg_start(struct feed *f, uint8_t state)
{
	struct http1_stream *s = f->s;

	s->state = state;
	s->sub = 0;
	s->flags &= F_STREAM;
	s->line_len = 0;
	s->status = 0;
	s->value = 0;
	s->remaining = 0;
	s->msg_bytes = 0;
	s->start_ns = f->ts;
}

static void req_start(struct feed *f)
{
	struct http1_conn *c = f->c;
	struct http1_txn *t;

	struct http1_backlog *b;

	msg_start(f, S_METHOD);
	/* Past both queues this (newest) request is not kept; request_line_done notes it. */
	if (!c->bcount && c->count < HTTP1_PIPELINE_MAX)
		f->s->slot = slot_of(c, c->count);
	else if (c->bcount < HTTP1_BACKLOG_MAX)
		f->s->slot = SLOT_BACKLOG | backlog_of(c, c->bcount);
	else
		f->s->slot = SLOT_NONE;
	if (f->s->slot == SLOT_NONE)
		c->overflow_ns = f->ts;
	t = req_txn(f);
	if (t) {
		memset(t, 0, sizeof(*t));
		t->req_start_ns = f->ts;
	}
	b = req_backlog(f);
	if (b) {
		memset(b, 0, sizeof(*b));
		b->req_start_ns = f->ts;
	}
}

static void req_done(struct feed *f)
{
	set_req_bytes(f);
	f->s->slot = SLOT_NONE;
	f->s->state = S_IDLE;
}

static void resp_done(struct feed *f)
{
	if (f->s->flags & F_PAIRED)
		resp_complete(f, f->ts, 0);
	else if (f->s->flags & F_ANON)
		anon_complete(f, f->ts, 0);
	f->s->state = S_IDLE;
}

static void msg_done(struct feed *f)
{
	if (f->side == HTTP1_SIDE_REQUEST)
		req_done(f);
	else
		resp_done(f);
}

/* 101 or a 2xx to CONNECT: the bytes that follow are not HTTP/1 any more. */
static void upgrade(struct feed *f)
{
	count_err(f->c, HTTP1_ERR_UPGRADED);
	if (f->s->flags & F_PAIRED)
		resp_complete(f, f->ts, 0);
	else if (f->s->flags & F_ANON)
		anon_complete(f, f->ts, 0);
	f->c->dead = true;
}

static void request_line_done(struct feed *f)
{
	struct http1_conn *c = f->c;

	uint8_t *after;

	f->s->flags |= F_PUSHED;
	f->s->state = S_HDR_START;
	if (f->s->slot != SLOT_NONE && (f->s->slot & SLOT_BACKLOG)) {
		c->bcount++;
		fifo_refill(c);
		return;
	}
	if (f->s->slot != SLOT_NONE) {
		c->count++;
		return;
	}
	/* Not kept: its response comes after those of everything waiting now. */
	count_err(c, HTTP1_ERR_PIPELINE_OVERFLOW);
	if (c->bcount)
		after = &c->backlog[backlog_of(c, c->bcount - 1)].skip_after;
	else if (c->count)
		after = &c->skip_after[slot_of(c, c->count - 1)];
	else
		after = &c->resp.discard;
	if (*after < UINT8_MAX)
		(*after)++;
}

/* Decide which waiting request a final response answers, if any. */
static void resp_pair(struct feed *f)
{
	struct http1_conn *c = f->c;
	struct http1_stream *s = f->s;
	struct http1_txn *t;

	if (s->flags & F_RESYNCED) {
		/* Older requests lost their responses in the hole we skipped. */
		while (c->count > 1) {
			count_err(c, HTTP1_ERR_UNMATCHED_RESPONSE);
			fifo_pop(c);
		}
		s->discard = 0;
		s->flags &= ~F_RESYNCED;
	}
	if (s->discard) {
		/* This response answers a request that was past both queues. */
		s->discard--;
		s->flags |= F_ANON;
		c->anon_ns = c->overflow_ns;
		return;
	}
	t = &c->pending[c->head];
	if (!c->count && c->req.state == S_RESYNC) {
		/* Its request is in bytes the request stream lost (the capture limit cut a
		 * burst of pipelined requests): the server answered it, so count it. */
		s->flags |= F_ANON;
		c->anon_ns = c->req.last_ns;
		return;
	}
	if (!c->count || t->req_start_ns > s->start_ns) {
		count_err(c, HTTP1_ERR_UNMATCHED_RESPONSE);
		return;
	}
	s->flags |= F_PAIRED;
	t->status = s->status;
	t->resp_start_ns = s->start_ns;
}

static void status_line_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->line_len != 3 || s->status < 100 || s->status > 599) {
		lose(f, HTTP1_ERR_BAD_STATUS_LINE);
		return;
	}
	s->state = S_HDR_START;
	if (s->status < 200 && s->status != 101)
		s->flags |= F_INTERIM;
	else
		resp_pair(f);
}

static void body_start(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->flags & F_TE) {
		if (s->flags & F_CHUNKED) {
			s->state = S_CHUNK_SIZE;
			s->value = 0;
			s->line_len = 0;
		} else if (f->side == HTTP1_SIDE_RESPONSE) {
			s->state = S_BODY_EOF;
		} else {
			/* RFC 9112 6.3: a request body we cannot delimit. */
			lose(f, HTTP1_ERR_BAD_HEADER);
		}
	} else if ((s->flags & F_HAS_CL) && s->remaining) {
		s->state = S_BODY_CL;
	} else if ((s->flags & F_HAS_CL) || f->side == HTTP1_SIDE_REQUEST) {
		msg_done(f);
	} else {
		s->state = S_BODY_EOF;
	}
}

static void resp_head_done(struct feed *f)
{
	struct http1_stream *s = f->s;
	const char *method = "";

	if (s->flags & F_INTERIM) {
		/* Not the answer yet: the request keeps waiting. */
		s->state = S_IDLE;
		return;
	}
	if (s->flags & F_PAIRED)
		method = f->c->pending[f->c->head].method;
	if (s->status == 101 || (!strcmp(method, "CONNECT") && s->status / 100 == 2)) {
		upgrade(f);
		return;
	}
	if (s->status == 204 || s->status == 304 || !strcmp(method, "HEAD"))
		resp_done(f);
	else
		body_start(f);
}

/* ---- header values ---- */

static void cl_number_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (!s->line_len || ((s->flags & F_HAS_CL) && s->remaining != s->value)) {
		lose(f, HTTP1_ERR_BAD_HEADER);
		return;
	}
	s->remaining = s->value;
	s->flags |= F_HAS_CL;
	s->value = 0;
	s->line_len = 0;
	s->flags &= ~F_TOKEN_END;
}

/* Content-Length: digits, possibly a list of identical values (RFC 9110 8.6). */
static void cl_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (is_digit(ch) && !(s->flags & F_TOKEN_END)) {
		s->value = s->value * 10 + (ch - '0');
		s->line_len = 1;
		if (s->value > CL_MAX)
			lose(f, HTTP1_ERR_BAD_HEADER);
	} else if (is_ows(ch)) {
		s->flags |= s->line_len ? F_TOKEN_END : 0;
	} else if (ch == ',') {
		cl_number_done(f);
	} else {
		lose(f, HTTP1_ERR_BAD_HEADER);
	}
}

static void list_token_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->line_len && s->sub == H_TRANSFER_ENCODING) {
		s->flags |= F_TE;
		if (token_is(s, "chunked"))
			s->flags |= F_CHUNKED;
		else
			s->flags &= ~F_CHUNKED;
	} else if (s->sub == H_CONNECTION && token_is(s, "close")) {
		s->flags |= F_CLOSE;
	}
	s->line_len = 0;
	s->flags &= ~F_TOKEN_END;
}

/* Comma-separated tokens (Transfer-Encoding, Connection): only the last one is kept. */
static void list_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (ch == ',')
		list_token_done(f);
	else if (is_ows(ch))
		s->flags |= s->line_len ? F_TOKEN_END : 0;
	else if (s->flags & F_TOKEN_END)
		s->line_len = LEN_POISON;
	else
		token_add(s, to_lower(ch));
}

/* traceparent: copied only while it still matches the W3C shape. */
static void tp_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t = req_txn(f);
	unsigned int p = s->line_len;
	bool ok;

	if (is_ows(ch)) {
		s->flags |= F_TOKEN_END;
		return;
	}
	if (p == 2 || p == 35 || p == 52)
		ok = ch == '-';
	else
		ok = is_digit(ch) || (ch >= 'a' && ch <= 'f');
	if (!ok || p >= TP_LEN || (s->flags & F_TOKEN_END)) {
		s->flags |= F_TP_BAD;
		return;
	}
	if (t)
		t->traceparent[p] = (char)ch;
	s->line_len++;
}

static void value_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	switch (s->sub) {
	case H_CONTENT_LENGTH:
		cl_number_done(f);
		break;
	case H_TRANSFER_ENCODING:
	case H_CONNECTION:
		list_token_done(f);
		break;
	case H_TRACEPARENT:
		/* Bad, or a second one (which of them would be right?): keep "". */
		tp_settle(s, req_txn(f));
		break;
	}
	if (s->state == S_HDR_VALUE)
		s->state = S_HDR_START;
}

static void value_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (!(s->flags & F_VAL)) {
		if (is_ows(ch))
			return;
		s->flags |= F_VAL;
	}
	switch (s->sub) {
	case H_CONTENT_LENGTH:
		cl_byte(f, ch);
		break;
	case H_TRANSFER_ENCODING:
	case H_CONNECTION:
		list_byte(f, ch);
		break;
	case H_TRACEPARENT:
		tp_byte(f, ch);
		break;
	}
}

static enum header_id header_id(const struct feed *f)
{
	const struct http1_stream *s = f->s;

	if (token_is(s, "content-length"))
		return H_CONTENT_LENGTH;
	if (token_is(s, "transfer-encoding"))
		return H_TRANSFER_ENCODING;
	if (token_is(s, "connection"))
		return H_CONNECTION;
	if (f->side == HTTP1_SIDE_REQUEST && token_is(s, "traceparent"))
		return H_TRACEPARENT;
	return H_OTHER;
}

static void header_name_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (!s->line_len) {
		lose(f, HTTP1_ERR_BAD_HEADER);
		return;
	}
	s->sub = header_id(f);
	s->line_len = 0;
	s->value = 0;
	s->flags &= ~(F_VAL | F_TOKEN_END);
	/* Any value but these few is skipped unread: no secret is ever copied. */
	s->state = s->sub == H_OTHER ? S_HDR_SKIP : S_HDR_VALUE;
	if (s->sub == H_TRACEPARENT) {
		if (s->flags & F_TP_SEEN)
			s->flags |= F_TP_BAD;
		s->flags |= F_TP_SEEN;
	}
}

/* ---- lines ---- */

static void chunk_size_done(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->value) {
		s->remaining = s->value;
		s->state = S_CHUNK_DATA;
	} else {
		s->state = S_TRAILER_START;
	}
}

static void line_end(struct feed *f)
{
	struct http1_stream *s = f->s;

	switch (s->state) {
	case S_REQ_EOL:
		request_line_done(f);
		break;
	case S_STATUS:
	case S_REASON:
		status_line_done(f);
		break;
	case S_HDR_START:
		if (f->side == HTTP1_SIDE_REQUEST)
			body_start(f);
		else
			resp_head_done(f);
		break;
	case S_HDR_VALUE:
		value_done(f);
		break;
	case S_HDR_SKIP:
	case S_TRAILER_LINE:
		s->state = s->state == S_HDR_SKIP ? S_HDR_START : S_TRAILER_START;
		break;
	case S_CHUNK_SIZE:
	case S_CHUNK_EXT:
		chunk_size_done(f);
		break;
	case S_CHUNK_DATA_END:
		s->state = S_CHUNK_SIZE;
		s->value = 0;
		s->line_len = 0;
		break;
	case S_TRAILER_START:
		msg_done(f);
		break;
	default:
		bad(f);
	}
}

/* ---- request line ---- */

/* Forget the path from byte pos on (userinfo, an encoded query). */
static void path_cut_at(struct feed *f, unsigned int pos)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t = req_txn(f);

	if (pos >= HTTP1_PATH_MAX - 1)
		return;
	if (t) {
		memset(t->path + pos, 0, HTTP1_PATH_MAX - pos);
		t->flags &= ~HTTP1_TXN_F_PATH_CUT;
	}
	s->line_len = (uint16_t)pos;
}

static void path_add(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t = req_txn(f);

	if (s->line_len < HTTP1_PATH_MAX - 1) {
		if (t)
			t->path[s->line_len] = (char)ch;
		s->line_len++;
	} else if (t) {
		t->flags |= HTTP1_TXN_F_PATH_CUT;
	}
}

static void method_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t = req_txn(f);

	if (is_upper(ch) && s->line_len < HTTP1_METHOD_MAX - 1) {
		s->line[s->line_len++] = (char)ch;
		return;
	}
	if (ch != ' ' || s->line_len < 3) {
		bad(f);
		return;
	}
	if (t)
		memcpy(t->method, s->line, s->line_len);
	if (req_backlog(f))
		req_backlog(f)->method = method_index(s);
	s->sub = token_is(s, "CONNECT") ? T_AUTHORITY : T_BEGIN;
	s->line_len = 0;
	s->state = S_TARGET;
}

static void target_end(struct feed *f)
{
	struct http1_stream *s = f->s;

	if (s->sub == T_BEGIN || s->sub == T_SCHEME || s->sub == T_SLASH1 || s->sub == T_SLASH2 ||
	    (s->sub == T_AUTHORITY && !s->line_len)) {
		bad(f);
		return;
	}
	if (s->sub == T_HOST)
		path_add(f, '/');
	s->line_len = 0;
	s->state = S_REQ_VERSION;
}

/*
 * A path byte. Kept: the path up to '?' or '#', less each segment's
 * ";parameters" (jsessionid and the like), cut where an encoded '?' (%3F)
 * starts what is a query to some servers.
 */
static void path_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	uint8_t sub = s->sub;

	s->sub = T_PATH;
	if (ch == '?' || ch == '#') {
		s->sub = T_SKIP;
	} else if (ch == ';') {
		s->sub = T_PARAM;
	} else if (sub == T_PCT3 && to_lower(ch) == 'f') {
		path_cut_at(f, (unsigned int)s->value);
		s->sub = T_SKIP;
	} else {
		if (ch == '%') {
			s->value = s->line_len; /* where "%3F" would start */
			s->sub = T_PCT;
		} else if (sub == T_PCT && ch == '3') {
			s->sub = T_PCT3;
		}
		path_add(f, ch);
	}
}

static void target_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (ch == ' ') {
		target_end(f);
		return;
	}
	if (ch <= ' ' || ch >= 0x7f) {
		bad(f);
		return;
	}
	switch (s->sub) {
	case T_BEGIN:
		if (ch == '/' || ch == '*')
			path_add(f, ch);
		else if (!(to_lower(ch) >= 'a' && to_lower(ch) <= 'z'))
			bad(f);
		s->sub = (ch == '/' || ch == '*') ? T_PATH : T_SCHEME;
		break;
	case T_AUTHORITY:
		/* user:password@host:port: only what follows the last '@' is kept. */
		if (ch == '@')
			path_cut_at(f, 0);
		else
			path_add(f, ch);
		break;
	case T_SCHEME:
		if (ch == ':')
			s->sub = T_SLASH1;
		else if (!is_tchar(ch))
			bad(f);
		break;
	case T_SLASH1:
	case T_SLASH2:
		if (ch == '/')
			s->sub++;
		else
			bad(f);
		break;
	case T_HOST:
		if (ch == '/' || ch == '?' || ch == '#')
			path_add(f, '/');
		if (ch == '/')
			s->sub = T_PATH;
		else if (ch == '?' || ch == '#')
			s->sub = T_SKIP;
		break;
	case T_PATH:
	case T_PCT:
	case T_PCT3:
		path_byte(f, ch);
		break;
	case T_PARAM:
		if (ch == '/') {
			path_add(f, '/');
			s->sub = T_PATH;
		} else if (ch == '?' || ch == '#') {
			s->sub = T_SKIP;
		}
		break;
	}
}

/* "HTTP/1." then one digit; the request side accepts only 1.0 and 1.1. */
static void version_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	struct http1_txn *t = req_txn(f);
	bool req = f->side == HTTP1_SIDE_REQUEST;

	if (s->line_len < 7) {
		if (ch != "HTTP/1."[s->line_len])
			bad(f);
		s->line_len++;
	} else if (req ? (ch == '0' || ch == '1') : is_digit(ch)) {
		if (req && t)
			t->version_minor = ch - '0';
		if (req && req_backlog(f))
			req_backlog(f)->version_minor = ch - '0';
		s->state = req ? S_REQ_EOL : S_RESP_SP;
	} else {
		bad(f);
	}
}

static void status_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (is_digit(ch) && s->line_len < 3) {
		s->status = s->status * 10 + (ch - '0');
		s->line_len++;
	} else if (ch == ' ' && s->line_len == 3) {
		s->state = S_REASON;
	} else if (ch == '\r') {
		s->flags |= F_CR;
	} else if (ch == '\n') {
		line_end(f);
	} else {
		bad(f);
	}
}

/* ---- headers and chunk lines ---- */

static void hdr_start_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (is_ows(ch)) {
		/* obs-fold: a continuation of a line we already handled */
		s->state = S_HDR_SKIP;
	} else if (is_tchar(ch)) {
		s->state = S_HDR_NAME;
		s->line_len = 0;
		token_add(s, to_lower(ch));
	} else {
		bad(f);
	}
}

static void hdr_name_byte(struct feed *f, uint8_t ch)
{
	if (ch == ':')
		header_name_done(f);
	else if (is_tchar(ch))
		token_add(f->s, to_lower(ch));
	else
		bad(f);
}

static void chunk_size_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;
	int h = str_hex_digit(ch);

	if (h >= 0 && s->line_len < CHUNK_DIGITS) {
		s->value = s->value * 16 + (unsigned int)h;
		s->line_len++;
	} else if ((ch == ';' || is_ows(ch)) && s->line_len) {
		s->state = S_CHUNK_EXT;
	} else if (ch == '\r' && s->line_len) {
		s->flags |= F_CR;
	} else if (ch == '\n' && s->line_len) {
		line_end(f);
	} else {
		bad(f);
	}
}

/* States whose lines end in CRLF or LF and hold nothing else we check. */
static void eol_byte(struct feed *f, uint8_t ch, bool skip_other)
{
	if (ch == '\n')
		line_end(f);
	else if (ch == '\r')
		f->s->flags |= F_CR;
	else if (!skip_other)
		bad(f);
}

static void idle_byte(struct feed *f, uint8_t ch);

static void state_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	switch (s->state) {
	case S_METHOD:
		method_byte(f, ch);
		break;
	case S_TARGET:
		target_byte(f, ch);
		break;
	case S_REQ_VERSION:
	case S_RESP_VERSION:
		version_byte(f, ch);
		break;
	case S_RESP_SP:
		if (ch == ' ') {
			s->state = S_STATUS;
			s->line_len = 0;
		} else {
			bad(f);
		}
		break;
	case S_STATUS:
		status_byte(f, ch);
		break;
	case S_HDR_START:
		if (ch == '\r' || ch == '\n')
			eol_byte(f, ch, false);
		else
			hdr_start_byte(f, ch);
		break;
	case S_HDR_NAME:
		hdr_name_byte(f, ch);
		break;
	case S_HDR_VALUE:
		if (ch == '\r' || ch == '\n')
			eol_byte(f, ch, false);
		else
			value_byte(f, ch);
		break;
	case S_CHUNK_SIZE:
		chunk_size_byte(f, ch);
		break;
	case S_TRAILER_START:
		if (ch == '\r' || ch == '\n')
			eol_byte(f, ch, false);
		else
			s->state = S_TRAILER_LINE;
		break;
	case S_REQ_EOL:
	case S_CHUNK_DATA_END:
		eol_byte(f, ch, false);
		break;
	default: /* S_REASON, S_HDR_SKIP, S_CHUNK_EXT, S_TRAILER_LINE */
		if (ch == '\n')
			line_end(f);
	}
}

static void one_byte(struct feed *f, uint8_t ch)
{
	struct http1_stream *s = f->s;

	if (s->state == S_IDLE) {
		idle_byte(f, ch);
		return;
	}
	s->msg_bytes++;
	if (is_head_state(s->state) && s->msg_bytes > HEAD_MAX) {
		lose(f, HTTP1_ERR_BAD_HEADER);
		return;
	}
	if (s->flags & F_CR) {
		s->flags &= ~F_CR;
		if (ch == '\n')
			line_end(f);
		else
			bad(f);
		return;
	}
	state_byte(f, ch);
}

static void idle_byte(struct feed *f, uint8_t ch)
{
	/* RFC 9112 2.2: empty lines before a message are ignored. */
	if (ch == '\r' || ch == '\n')
		return;
	if (f->side == HTTP1_SIDE_REQUEST && is_upper(ch)) {
		req_start(f);
	} else if (f->side == HTTP1_SIDE_RESPONSE && ch == 'H') {
		msg_start(f, S_RESP_VERSION);
	} else {
		lose(f, f->side == HTTP1_SIDE_REQUEST ? HTTP1_ERR_BAD_REQUEST_LINE
						      : HTTP1_ERR_BAD_STATUS_LINE);
		return;
	}
	one_byte(f, ch);
}

/* ---- bodies ---- */

static bool in_bulk_state(const struct http1_stream *s)
{
	return s->state == S_BODY_CL || s->state == S_CHUNK_DATA || s->state == S_BODY_EOF;
}

/* Skip up to n body bytes, known or not; returns how many were taken. */
static uint64_t body_take(struct feed *f, uint64_t n)
{
	struct http1_stream *s = f->s;
	uint64_t take = n;

	if (s->state != S_BODY_EOF) {
		take = n < s->remaining ? n : s->remaining;
		s->remaining -= take;
	}
	s->msg_bytes += take;
	if (s->state == S_BODY_EOF || s->remaining)
		return take;
	if (s->state == S_BODY_CL)
		msg_done(f);
	else
		s->state = S_CHUNK_DATA_END;
	return take;
}

static bool stream_ok(const struct feed *f)
{
	return !f->c->dead && f->s->state != S_RESYNC;
}

/* States that only wait for the end of their line (values we never read). */
static bool skips_line(const struct http1_stream *s)
{
	return !(s->flags & F_CR) && (s->state == S_HDR_SKIP || s->state == S_REASON ||
				      s->state == S_CHUNK_EXT || s->state == S_TRAILER_LINE);
}

/*
 * Most of a message head is values of headers we skip (User-Agent, Accept,
 * Cookie, ...): jump to the line's end with memchr instead of running the
 * state machine per byte. Returns the bytes skipped; 0 leaves the next byte
 * (the LF, or one past the head limit) to one_byte.
 */
static size_t skip_line(struct feed *f, const uint8_t *p, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) : n;
	struct http1_stream *s = f->s;

	if (is_head_state(s->state) && s->msg_bytes + take > HEAD_MAX)
		return 0;
	s->msg_bytes += take;
	return take;
}

/*
 * Header names: the token characters up to ':' go into the name buffer in
 * one tight loop, exactly as hdr_name_byte would take them one by one; the
 * ':' (or a bad byte) is left to one_byte. Never crosses the head limit.
 */
static size_t scan_name(struct feed *f, const uint8_t *p, size_t n)
{
	struct http1_stream *s = f->s;
	uint64_t room = HEAD_MAX > s->msg_bytes ? HEAD_MAX - s->msg_bytes : 0;
	size_t i;

	if (n > room)
		n = room;
	for (i = 0; i < n && is_tchar(p[i]); i++)
		token_add(s, to_lower(p[i]));
	s->msg_bytes += i;
	return i;
}

static size_t feed_known(struct feed *f, const uint8_t *buf, size_t cap)
{
	size_t i = 0, skipped;

	while (i < cap && stream_ok(f)) {
		if (in_bulk_state(f->s))
			i += body_take(f, cap - i);
		else if (skips_line(f->s) && (skipped = skip_line(f, buf + i, cap - i)) > 0)
			i += skipped;
		else if (f->s->state == S_HDR_NAME && !(f->s->flags & F_CR) &&
			 (skipped = scan_name(f, buf + i, cap - i)) > 0)
			i += skipped;
		else
			one_byte(f, buf[i++]);
	}
	return i;
}

/* Bytes that exist but were not captured: fine only where framing counts them. */
static void feed_unknown(struct feed *f, uint64_t n)
{
	while (n && stream_ok(f)) {
		if (in_bulk_state(f->s))
			n -= body_take(f, n);
		else if (f->s->state == S_IDLE || is_head_state(f->s->state))
			lose(f, HTTP1_ERR_HEAD_CUT);
		else
			lose(f, HTTP1_ERR_BODY_GAP);
	}
}

/* ---- public ---- */

void http1_conn_init(struct http1_conn *c, struct http1_stats *stats)
{
	memset(c, 0, sizeof(*c));
	c->stats = stats;
	c->req.slot = SLOT_NONE;
	c->resp.slot = SLOT_NONE;
}

void http1_conn_feed(struct http1_conn *c, enum http1_side side, const uint8_t *buf, size_t cap,
		     size_t len, uint64_t ts, http1_txn_cb cb, void *ctx)
{
	struct feed f = {c, side == HTTP1_SIDE_REQUEST ? &c->req : &c->resp, side, ts, cb, ctx};

	if (c->dead || !len)
		return;
	if (cap > len)
		cap = len;
	if (!buf)
		cap = 0;
	if (f.s->state == S_RESYNC) {
		if (!looks_like_start(side, buf, cap))
			goto out;
		resync(&f);
	}
	c->live_bytes = (uint32_t)feed_known(&f, buf, cap);
	feed_unknown(&f, len - cap);
out:
	f.s->last_ns = ts;
}

void http1_conn_close(struct http1_conn *c, bool reset, uint64_t ts, http1_txn_cb cb, void *ctx)
{
	struct feed f = {c, &c->resp, HTTP1_SIDE_RESPONSE, ts, cb, ctx};
	uint32_t flags = HTTP1_TXN_F_NO_RESPONSE | (reset ? HTTP1_TXN_F_RESET : 0);

	/* A response read until close ends here; any other one was cut short. */
	uint32_t cut = c->resp.state == S_BODY_EOF ? 0 : HTTP1_TXN_F_RESP_CUT;

	if ((c->resp.flags & F_PAIRED) && c->count)
		resp_complete(&f, c->resp.last_ns, cut);
	else if (c->resp.flags & F_ANON)
		anon_complete(&f, c->resp.last_ns, cut);
	while (c->count) {
		c->pending[c->head].status = 0;
		c->pending[c->head].flags |= flags;
		report_oldest(c, cb, ctx);
	}
	c->req.state = S_IDLE;
	c->resp.state = S_IDLE;
	c->resp.flags = 0;
	c->req.slot = SLOT_NONE;
	c->dead = true;
}

/* ---- requests the kernel parsed (datapath v2) ---- */

/* A path byte kept, or the PATH_CUT mark once the path is full. */
static void kept_add(struct http1_txn *t, size_t *len, char ch)
{
	if (*len < HTTP1_PATH_MAX - 1)
		t->path[(*len)++] = ch;
	else
		t->flags |= HTTP1_TXN_F_PATH_CUT;
}

/* The same cut as path_cut_at, on a path built by http1_target_path. */
static void kept_cut(struct http1_txn *t, size_t *len, size_t pos)
{
	if (pos >= HTTP1_PATH_MAX - 1)
		return;
	t->flags &= ~HTTP1_TXN_F_PATH_CUT;
	*len = pos;
}

/* An origin-form path with nothing to drop: most requests, copied whole. */
static bool plain_path(const char *target, size_t n)
{
	size_t i;

	if (!n || n >= HTTP1_PATH_MAX || target[0] != '/')
		return false;
	for (i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)target[i];

		if (ch <= ' ' || ch >= 0x7f || ch == '?' || ch == '#' || ch == ';' || ch == '%')
			return false;
	}
	return true;
}

/*
 * The rules of target_byte and path_byte, applied to a whole origin- or
 * absolute-form target at once (the kernel's copy of it): keep the path,
 * never the query, fragment, ";parameters" or what follows an encoded '?'.
 */
int http1_target_path(const char *target, size_t n, struct http1_txn *t)
{
	uint8_t sub = T_BEGIN;
	size_t i, len = 0, pct = 0;
	uint8_t ch;

	t->flags &= ~HTTP1_TXN_F_PATH_CUT;
	if (plain_path(target, n)) {
		memcpy(t->path, target, n);
		t->path[n] = '\0';
		return 0;
	}
	for (i = 0; i < n; i++) {
		ch = (uint8_t)target[i];
		if (ch <= ' ' || ch >= 0x7f)
			goto bad;
		switch (sub) {
		case T_BEGIN:
			if (ch == '/' || ch == '*')
				kept_add(t, &len, (char)ch);
			else if (!(to_lower(ch) >= 'a' && to_lower(ch) <= 'z'))
				goto bad;
			sub = (ch == '/' || ch == '*') ? T_PATH : T_SCHEME;
			break;
		case T_SCHEME:
			if (ch == ':')
				sub = T_SLASH1;
			else if (!is_tchar(ch))
				goto bad;
			break;
		case T_SLASH1:
		case T_SLASH2:
			if (ch != '/')
				goto bad;
			sub++;
			break;
		case T_HOST:
			if (ch == '/' || ch == '?' || ch == '#')
				kept_add(t, &len, '/');
			if (ch == '/')
				sub = T_PATH;
			else if (ch == '?' || ch == '#')
				sub = T_SKIP;
			break;
		case T_PATH:
		case T_PCT:
		case T_PCT3:
			if (ch == '?' || ch == '#') {
				sub = T_SKIP;
			} else if (ch == ';') {
				sub = T_PARAM;
			} else if (sub == T_PCT3 && to_lower(ch) == 'f') {
				kept_cut(t, &len, pct);
				sub = T_SKIP;
			} else {
				if (ch == '%') {
					pct = len;
					sub = T_PCT;
				} else {
					sub = (sub == T_PCT && ch == '3') ? T_PCT3 : T_PATH;
				}
				kept_add(t, &len, (char)ch);
			}
			break;
		case T_PARAM:
			if (ch == '/') {
				kept_add(t, &len, '/');
				sub = T_PATH;
			} else if (ch == '?' || ch == '#') {
				sub = T_SKIP;
			}
			break;
		default: /* T_SKIP */
			break;
		}
	}
	if (sub == T_BEGIN || sub == T_SCHEME || sub == T_SLASH1 || sub == T_SLASH2)
		goto bad;
	if (sub == T_HOST)
		kept_add(t, &len, '/');
	t->path[len] = '\0';
	return 0;
bad:
	t->path[0] = '\0';
	t->flags &= ~HTTP1_TXN_F_PATH_CUT;
	return -1;
}

bool http1_traceparent_ok(const char *v, size_t n)
{
	size_t i;

	if (n != TP_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 2 || i == 35 || i == 52) {
			if (v[i] != '-')
				return false;
		} else if (!is_digit((uint8_t)v[i]) && !(v[i] >= 'a' && v[i] <= 'f')) {
			return false;
		}
	}
	return true;
}

int http1_conn_inject(struct http1_conn *c, const struct http1_txn *t)
{
	/* Room for it and for a request the request stream may be filling. */
	if (c->dead || c->bcount || c->count + 1 >= HTTP1_PIPELINE_MAX)
		return -1;
	c->head = (uint8_t)((c->head + HTTP1_PIPELINE_MAX - 1) % HTTP1_PIPELINE_MAX);
	c->pending[c->head] = *t;
	c->skip_after[c->head] = 0;
	c->count++;
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * OTLP bodies without a protobuf library: a small hand-written writer for
 * the handful of messages meshsight sends (otlp/encode.h).
 *
 * Nested messages are written in place: the tag and a one-byte length are
 * reserved, the body is written after them, and when the body turns out to
 * need a longer length varint it is moved up. That keeps one buffer, one
 * pass and the canonical (shortest) encoding that byte-exact tests expect.
 *
 * Strings from the network (paths, process names) need not be UTF-8, but
 * protobuf string fields and JSON must be: invalid bytes become U+FFFD.
 */
#include "otlp/wire.h"

/* --- growable buffer ---------------------------------------------------- */

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Once an append fails every later one is dropped, so encoders check once. */
static bool buf_grow(struct otlp_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (extra <= b->cap - b->len)
		return true;
	if (extra > SIZE_MAX / 4 - b->len)
		goto out_oom;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto out_oom;
	b->data = p;
	b->cap = cap;
	return true;
out_oom:
	b->oom = true;
	return false;
}

void wire_buf_put(struct otlp_buf *b, const void *p, size_t n)
{
	if (!n || !buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void wire_buf_reset(struct otlp_buf *b)
{
	b->len = 0;
	b->oom = false;
}

/* --- UTF-8 ----------------------------------------------------------------- */

static bool utf8_cont(uint8_t c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0. p is NUL-terminated, and NUL is
 * never a continuation byte, so the checks stop before running off the end.
 */
static size_t utf8_seq_len(const uint8_t *p)
{
	uint8_t c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return utf8_cont(p[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (!utf8_cont(p[1]) || !utf8_cont(p[2]))
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (!utf8_cont(p[1]) || !utf8_cont(p[2]) || !utf8_cont(p[3]))
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

bool wire_utf8_valid(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n;

	for (; *p; p += n) {
		n = utf8_seq_len(p);
		if (!n)
			return false;
	}
	return true;
}

/* A malloc'ed copy of s with each invalid byte replaced by U+FFFD. */
char *wire_utf8_sanitize(const char *s)
{
	static const char repl[] = "\xef\xbf\xbd";
	const uint8_t *p = (const uint8_t *)s;
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	size_t n;

	if (!out)
		return NULL;
	while (*p) {
		n = utf8_seq_len(p);
		if (n) {
			memcpy(o, p, n);
			p += n;
			o += n;
		} else {
			memcpy(o, repl, 3);
			p++;
			o += 3;
		}
	}
	*o = '\0';
	return out;
}

/* --- protobuf writer ------------------------------------------------------- */

static size_t pb_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t pb_varint_to(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static void pb_varint(struct otlp_buf *b, uint64_t v)
{
	uint8_t tmp[10];

	wire_buf_put(b, tmp, pb_varint_to(tmp, v));
}

static void pb_tag(struct otlp_buf *b, uint32_t field, enum pb_wire wt)
{
	pb_varint(b, (uint64_t)field << 3 | wt);
}

static void pb_le(struct otlp_buf *b, uint64_t v, size_t n)
{
	uint8_t tmp[8];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	wire_buf_put(b, tmp, n);
}

static uint64_t double_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static void pb_fixed64(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, PB_I64);
	pb_le(b, v, 8);
}

static void pb_double(struct otlp_buf *b, uint32_t field, double d)
{
	pb_fixed64(b, field, double_bits(d));
}

static void pb_uint(struct otlp_buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct otlp_buf *b, uint32_t field, const void *p, size_t n)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n);
	wire_buf_put(b, p, n);
}

/* Always written: oneof members (AnyValue) keep their presence when empty. */
static void pb_str(struct otlp_buf *b, uint32_t field, const char *s)
{
	char *clean;

	if (!s)
		s = "";
	if (wire_utf8_valid(s)) {
		pb_bytes(b, field, s, strlen(s));
		return;
	}
	clean = wire_utf8_sanitize(s);
	if (!clean) {
		b->oom = true;
		return;
	}
	pb_bytes(b, field, clean, strlen(clean));
	free(clean);
}

/* Plain proto3 string fields: "" is the default and is not written. */
static void pb_str_opt(struct otlp_buf *b, uint32_t field, const char *s)
{
	if (s && *s)
		pb_str(b, field, s);
}

/* Opens a nested message; returns where its body starts, for pb_end(). */
static size_t pb_begin(struct otlp_buf *b, uint32_t field)
{
	pb_tag(b, field, PB_LEN);
	wire_buf_put(b, "", 1); /* one length byte, enough for bodies under 128 */
	return b->len;
}

static void pb_end(struct otlp_buf *b, size_t start)
{
	size_t n = b->len - start, k = pb_varint_size(n);

	if (b->oom)
		return;
	if (k > 1) {
		if (!buf_grow(b, k - 1))
			return;
		memmove(b->data + start + k - 1, b->data + start, n);
		b->len += k - 1;
	}
	pb_varint_to(b->data + start - 1, n);
}

/* --- protobuf messages ----------------------------------------------------- */

static void pb_anyvalue(struct otlp_buf *b, const struct otlp_attr *a)
{
	size_t v = pb_begin(b, F_KV_VALUE);

	switch (a->type) {
	case OTLP_STR:
		pb_str(b, F_ANY_STRING, a->s);
		break;
	case OTLP_INT:
		pb_uint(b, F_ANY_INT, (uint64_t)a->i); /* int64: two's complement varint */
		break;
	case OTLP_DOUBLE:
		pb_double(b, F_ANY_DOUBLE, a->d);
		break;
	case OTLP_BOOL:
		pb_uint(b, F_ANY_BOOL, a->b);
		break;
	}
	pb_end(b, v);
}

static void pb_attrs(struct otlp_buf *b, uint32_t field, const struct otlp_attrs *attrs)
{
	size_t i, kv;

	for (i = 0; i < attrs->n; i++) {
		kv = pb_begin(b, field);
		pb_str_opt(b, F_KV_KEY, attrs->v[i].key);
		pb_anyvalue(b, &attrs->v[i]);
		pb_end(b, kv);
	}
}

static void pb_resource_and_scope_open(struct otlp_buf *b, const struct otlp_resource_block *blk,
				       size_t *scope_data)
{
	size_t m;

	m = pb_begin(b, F_RES_RESOURCE);
	pb_attrs(b, F_RESOURCE_ATTRS, &blk->resource);
	pb_end(b, m);
	*scope_data = pb_begin(b, F_RES_SCOPE_DATA);
	m = pb_begin(b, F_SCOPE_SCOPE);
	pb_str_opt(b, F_ISCOPE_NAME, blk->scope_name);
	pb_str_opt(b, F_ISCOPE_VERSION, blk->scope_version);
	pb_end(b, m);
}

static void pb_number_point(struct otlp_buf *b, const struct otlp_metric *m,
			    const struct otlp_point *p)
{
	size_t dp = pb_begin(b, F_DATA_POINTS);

	if (p->start_ns)
		pb_fixed64(b, F_POINT_START, p->start_ns);
	if (p->time_ns)
		pb_fixed64(b, F_POINT_TIME, p->time_ns);
	/* The value is a oneof: written even when zero, or the point has no value. */
	if (m->kind == OTLP_METRIC_GAUGE)
		pb_double(b, F_NPOINT_DOUBLE, p->as_double);
	else
		pb_fixed64(b, F_NPOINT_INT, (uint64_t)p->as_int); /* sfixed64 */
	pb_attrs(b, F_NPOINT_ATTRS, &p->attrs);
	pb_end(b, dp);
}

static void pb_packed_fixed64(struct otlp_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n * 8);
	for (i = 0; i < n; i++)
		pb_le(b, v[i], 8);
}

static void pb_packed_double(struct otlp_buf *b, uint32_t field, const double *v, size_t n)
{
	size_t i;

	if (!n)
		return;
	pb_tag(b, field, PB_LEN);
	pb_varint(b, n * 8);
	for (i = 0; i < n; i++)
		pb_le(b, double_bits(v[i]), 8);
}

/* Buckets need both arrays; without bounds only the total bucket makes sense. */
bool wire_hist_has_buckets(const struct otlp_point *p)
{
	return p->bucket_counts && (p->bounds || !p->nbounds);
}

static void pb_hist_point(struct otlp_buf *b, const struct otlp_point *p)
{
	size_t dp = pb_begin(b, F_DATA_POINTS);

	if (p->start_ns)
		pb_fixed64(b, F_POINT_START, p->start_ns);
	if (p->time_ns)
		pb_fixed64(b, F_POINT_TIME, p->time_ns);
	if (p->count)
		pb_fixed64(b, F_HPOINT_COUNT, p->count);
	/* sum, min and max are proto3 "optional": present even when zero. */
	pb_double(b, F_HPOINT_SUM, p->sum);
	if (wire_hist_has_buckets(p)) {
		pb_packed_fixed64(b, F_HPOINT_BUCKETS, p->bucket_counts, p->nbounds + 1);
		pb_packed_double(b, F_HPOINT_BOUNDS, p->bounds, p->nbounds);
	}
	pb_attrs(b, F_HPOINT_ATTRS, &p->attrs);
	if (p->has_min_max) {
		pb_double(b, F_HPOINT_MIN, p->min);
		pb_double(b, F_HPOINT_MAX, p->max);
	}
	pb_end(b, dp);
}

static uint32_t metric_data_field(enum otlp_metric_kind kind)
{
	switch (kind) {
	case OTLP_METRIC_GAUGE:
		return F_METRIC_GAUGE;
	case OTLP_METRIC_HISTOGRAM:
		return F_METRIC_HISTOGRAM;
	case OTLP_METRIC_SUM:
	default:
		return F_METRIC_SUM;
	}
}

static void pb_metric(struct otlp_buf *b, const struct otlp_metric *m)
{
	size_t mm = pb_begin(b, F_SCOPE_ITEMS), data, i;

	pb_str_opt(b, F_METRIC_NAME, m->name);
	pb_str_opt(b, F_METRIC_DESCRIPTION, m->description);
	pb_str_opt(b, F_METRIC_UNIT, m->unit);
	data = pb_begin(b, metric_data_field(m->kind));
	for (i = 0; i < m->npoints; i++) {
		if (m->kind == OTLP_METRIC_HISTOGRAM)
			pb_hist_point(b, &m->points[i]);
		else
			pb_number_point(b, m, &m->points[i]);
	}
	if (m->kind != OTLP_METRIC_GAUGE && m->temporality)
		pb_uint(b, F_DATA_TEMPORALITY, m->temporality);
	if (m->kind == OTLP_METRIC_SUM)
		pb_uint(b, F_SUM_MONOTONIC, 1);
	pb_end(b, data);
	pb_end(b, mm);
}

bool wire_all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void pb_span(struct otlp_buf *b, const struct otlp_span *s)
{
	size_t sp = pb_begin(b, F_SCOPE_ITEMS), st;

	pb_bytes(b, F_SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
	pb_bytes(b, F_SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
	if (!wire_all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		pb_bytes(b, F_SPAN_PARENT_ID, s->parent_span_id, sizeof(s->parent_span_id));
	pb_str_opt(b, F_SPAN_NAME, s->name);
	if (s->kind)
		pb_uint(b, F_SPAN_KIND, s->kind);
	if (s->start_ns)
		pb_fixed64(b, F_SPAN_START, s->start_ns);
	if (s->end_ns)
		pb_fixed64(b, F_SPAN_END, s->end_ns);
	pb_attrs(b, F_SPAN_ATTRS, &s->attrs);
	/* An absent Status means UNSET, so only a set one is written. */
	if (s->status || (s->status_message && *s->status_message)) {
		st = pb_begin(b, F_SPAN_STATUS);
		pb_str_opt(b, F_STATUS_MESSAGE, s->status_message);
		if (s->status)
			pb_uint(b, F_STATUS_CODE, s->status);
		pb_end(b, st);
	}
	if (s->flags) {
		pb_tag(b, F_SPAN_FLAGS, PB_I32);
		pb_le(b, s->flags, 4);
	}
	pb_end(b, sp);
}

static void pb_log(struct otlp_buf *b, const struct otlp_log *l)
{
	size_t lr = pb_begin(b, F_SCOPE_ITEMS), body;

	if (l->time_ns)
		pb_fixed64(b, F_LOG_TIME, l->time_ns);
	if (l->severity)
		pb_uint(b, F_LOG_SEVERITY, l->severity);
	pb_str_opt(b, F_LOG_SEVERITY_TEXT, l->severity_text);
	if (l->body) {
		body = pb_begin(b, F_LOG_BODY);
		pb_str(b, F_ANY_STRING, l->body);
		pb_end(b, body);
	}
	pb_attrs(b, F_LOG_ATTRS, &l->attrs);
	if (l->has_ids) {
		pb_bytes(b, F_LOG_TRACE_ID, l->trace_id, sizeof(l->trace_id));
		pb_bytes(b, F_LOG_SPAN_ID, l->span_id, sizeof(l->span_id));
	}
	if (l->observed_ns)
		pb_fixed64(b, F_LOG_OBSERVED, l->observed_ns);
	pb_str_opt(b, F_LOG_EVENT_NAME, l->event_name);
	pb_end(b, lr);
}

/*
 * A ResourceMetrics, ResourceSpans or ResourceLogs: the three messages
 * share their field numbers (resource 1, scope 2, items 2 in the scope),
 * and a block holds items of one signal only, so one writer serves all.
 */
static void pb_resource_block(struct otlp_buf *b, const struct otlp_resource_block *blk)
{
	size_t r = pb_begin(b, F_REQ_RESOURCE_DATA), sc, i;

	pb_resource_and_scope_open(b, blk, &sc);
	for (i = 0; i < blk->nmetrics; i++)
		pb_metric(b, &blk->metrics[i]);
	for (i = 0; i < blk->nspans; i++)
		pb_span(b, &blk->spans[i]);
	for (i = 0; i < blk->nlogs; i++)
		pb_log(b, &blk->logs[i]);
	pb_end(b, sc);
	pb_end(b, r);
}

static int encode_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	size_t i;

	wire_buf_reset(out);
	for (i = 0; i < req->nblocks; i++)
		pb_resource_block(out, &req->blocks[i]);
	return out->oom ? -ENOMEM : 0;
}

int otlp_encode_metrics_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_pb(req, out);
}

int otlp_encode_traces_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_pb(req, out);
}

int otlp_encode_logs_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_pb(req, out);
}

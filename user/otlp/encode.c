// SPDX-License-Identifier: BSD-2-Clause
/*
 * OTLP bodies without a protobuf library: a small hand-written writer for
 * the handful of messages meshsight sends, the OTLP/JSON mapping of the
 * same model through jansson, and a reader for the one message collectors
 * send back (Export*ServiceResponse and its partial_success).
 *
 * Nested messages are written in place: the tag and a one-byte length are
 * reserved, the body is written after them, and when the body turns out to
 * need a longer length varint it is moved up. That keeps one buffer, one
 * pass and the canonical (shortest) encoding that byte-exact tests expect.
 *
 * Strings from the network (paths, process names) need not be UTF-8, but
 * protobuf string fields and JSON must be: invalid bytes become U+FFFD.
 * The response reader treats the body as hostile: every length is checked
 * against what is left, and anything malformed is -EINVAL.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/encode.h"

/* Protobuf wire types. */
enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_SGROUP = 3, /* deprecated groups: only ever skipped */
	PB_EGROUP = 4,
	PB_I32 = 5,
};

/*
 * Field numbers of opentelemetry-proto v1: collector/{metrics,trace}/v1,
 * metrics/v1, trace/v1, common/v1 and resource/v1.
 */
enum {
	F_REQ_RESOURCE_DATA = 1, /* resource_metrics, resource_spans */
	F_RES_RESOURCE = 1,	 /* Resource{Metrics,Spans}.resource */
	F_RES_SCOPE_DATA = 2,	 /* scope_metrics, scope_spans */
	F_SCOPE_SCOPE = 1,	 /* Scope{Metrics,Spans}.scope */
	F_SCOPE_ITEMS = 2,	 /* metrics, spans */
	F_RESOURCE_ATTRS = 1,
	F_ISCOPE_NAME = 1,
	F_ISCOPE_VERSION = 2,
	F_KV_KEY = 1,
	F_KV_VALUE = 2,
	F_ANY_STRING = 1,
	F_ANY_BOOL = 2,
	F_ANY_INT = 3,
	F_ANY_DOUBLE = 4,
	F_METRIC_NAME = 1,
	F_METRIC_DESCRIPTION = 2,
	F_METRIC_UNIT = 3,
	F_METRIC_GAUGE = 5,
	F_METRIC_SUM = 7,
	F_METRIC_HISTOGRAM = 9,
	F_DATA_POINTS = 1, /* Gauge, Sum, Histogram */
	F_DATA_TEMPORALITY = 2,
	F_SUM_MONOTONIC = 3,
	F_POINT_START = 2, /* NumberDataPoint and HistogramDataPoint */
	F_POINT_TIME = 3,
	F_NPOINT_DOUBLE = 4,
	F_NPOINT_INT = 6,
	F_NPOINT_ATTRS = 7,
	F_HPOINT_COUNT = 4,
	F_HPOINT_SUM = 5,
	F_HPOINT_BUCKETS = 6,
	F_HPOINT_BOUNDS = 7,
	F_HPOINT_ATTRS = 9,
	F_HPOINT_MIN = 11,
	F_HPOINT_MAX = 12,
	F_SPAN_TRACE_ID = 1,
	F_SPAN_SPAN_ID = 2,
	F_SPAN_PARENT_ID = 4,
	F_SPAN_NAME = 5,
	F_SPAN_KIND = 6,
	F_SPAN_START = 7,
	F_SPAN_END = 8,
	F_SPAN_ATTRS = 9,
	F_SPAN_STATUS = 15,
	F_SPAN_FLAGS = 16,
	F_STATUS_MESSAGE = 2,
	F_STATUS_CODE = 3,
	F_RESP_PARTIAL = 1,
	F_PARTIAL_REJECTED = 1, /* rejected_data_points, rejected_spans */
	F_PARTIAL_MESSAGE = 2,
};

/* Nesting of deprecated groups we agree to skip in a response. */
#define PB_GROUP_MAX_DEPTH 16

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

static void buf_put(struct otlp_buf *b, const void *p, size_t n)
{
	if (!n || !buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_reset(struct otlp_buf *b)
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

static bool utf8_valid(const char *s)
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
static char *utf8_sanitize(const char *s)
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

	buf_put(b, tmp, pb_varint_to(tmp, v));
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
	buf_put(b, tmp, n);
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
	buf_put(b, p, n);
}

/* Always written: oneof members (AnyValue) keep their presence when empty. */
static void pb_str(struct otlp_buf *b, uint32_t field, const char *s)
{
	char *clean;

	if (!s)
		s = "";
	if (utf8_valid(s)) {
		pb_bytes(b, field, s, strlen(s));
		return;
	}
	clean = utf8_sanitize(s);
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
	buf_put(b, "", 1); /* one length byte, enough for bodies under 128 */
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
static bool hist_has_buckets(const struct otlp_point *p)
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
	if (hist_has_buckets(p)) {
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

static bool all_zero(const uint8_t *p, size_t n)
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
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
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

static void pb_resource_metrics(struct otlp_buf *b, const struct otlp_resource_block *blk)
{
	size_t rm = pb_begin(b, F_REQ_RESOURCE_DATA), sm, i;

	pb_resource_and_scope_open(b, blk, &sm);
	for (i = 0; i < blk->nmetrics; i++)
		pb_metric(b, &blk->metrics[i]);
	pb_end(b, sm);
	pb_end(b, rm);
}

static void pb_resource_spans(struct otlp_buf *b, const struct otlp_resource_block *blk)
{
	size_t rs = pb_begin(b, F_REQ_RESOURCE_DATA), ss, i;

	pb_resource_and_scope_open(b, blk, &ss);
	for (i = 0; i < blk->nspans; i++)
		pb_span(b, &blk->spans[i]);
	pb_end(b, ss);
	pb_end(b, rs);
}

int otlp_encode_metrics_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < req->nblocks; i++)
		pb_resource_metrics(out, &req->blocks[i]);
	return out->oom ? -ENOMEM : 0;
}

int otlp_encode_traces_pb(const struct otlp_request *req, struct otlp_buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < req->nblocks; i++)
		pb_resource_spans(out, &req->blocks[i]);
	return out->oom ? -ENOMEM : 0;
}

/* --- OTLP/JSON ------------------------------------------------------------- */

/*
 * jansson's setters take a NULL value or a NULL container as a failure and
 * release the other side, so a builder chains them, ORs the results, and
 * tells an allocation failure by returning NULL.
 */
static json_t *json_done(json_t *o, int err)
{
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *j_str(const char *s)
{
	json_t *j;
	char *clean;

	if (!s)
		s = "";
	if (utf8_valid(s))
		return json_string_nocheck(s);
	clean = utf8_sanitize(s);
	if (!clean)
		return NULL;
	j = json_string_nocheck(clean);
	free(clean);
	return j;
}

/* The protobuf JSON mapping writes 64-bit integers as strings: doubles lose them. */
static json_t *j_u64(uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	return json_string_nocheck(tmp);
}

static json_t *j_i64(int64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	return json_string_nocheck(tmp);
}

/* JSON has no NaN or infinities; the protobuf mapping spells them as strings. */
static json_t *j_double(double d)
{
	if (isnan(d))
		return json_string_nocheck("NaN");
	if (isinf(d))
		return json_string_nocheck(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

/* Trace and span ids are hex in OTLP/JSON, unlike the base64 of other bytes. */
static json_t *j_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[2 * 16 + 1];
	size_t i;

	for (i = 0; i < n && i < 16; i++) {
		tmp[2 * i] = digits[p[i] >> 4];
		tmp[2 * i + 1] = digits[p[i] & 0xf];
	}
	tmp[2 * i] = '\0';
	return json_string_nocheck(tmp);
}

static json_t *j_anyvalue(const struct otlp_attr *a)
{
	json_t *v = json_object();

	switch (a->type) {
	case OTLP_STR:
		return json_done(v, json_object_set_new(v, "stringValue", j_str(a->s)));
	case OTLP_INT:
		return json_done(v, json_object_set_new(v, "intValue", j_i64(a->i)));
	case OTLP_DOUBLE:
		return json_done(v, json_object_set_new(v, "doubleValue", j_double(a->d)));
	case OTLP_BOOL:
		return json_done(v, json_object_set_new(v, "boolValue", json_boolean(a->b)));
	}
	return json_done(v, -1);
}

/* Empty attribute lists are left out, as proto3 leaves out empty repeated fields. */
static int j_set_attrs(json_t *o, const char *name, const struct otlp_attrs *attrs)
{
	json_t *arr, *kv;
	size_t i;
	int err = 0;

	if (!attrs->n)
		return 0;
	arr = json_array();
	for (i = 0; i < attrs->n; i++) {
		kv = json_object();
		err |= json_object_set_new(kv, "key", j_str(attrs->v[i].key));
		err |= json_object_set_new(kv, "value", j_anyvalue(&attrs->v[i]));
		err |= json_array_append_new(arr, json_done(kv, err));
	}
	return json_object_set_new(o, name, json_done(arr, err));
}

static int j_set_str_opt(json_t *o, const char *name, const char *s)
{
	if (!s || !*s)
		return 0;
	return json_object_set_new(o, name, j_str(s));
}

static json_t *j_resource(const struct otlp_resource_block *blk)
{
	json_t *r = json_object();

	return json_done(r, j_set_attrs(r, "attributes", &blk->resource));
}

static json_t *j_scope(const struct otlp_resource_block *blk)
{
	json_t *s = json_object();
	int err = 0;

	err |= j_set_str_opt(s, "name", blk->scope_name);
	err |= j_set_str_opt(s, "version", blk->scope_version);
	return json_done(s, err);
}

static int j_set_times(json_t *o, uint64_t start_ns, uint64_t time_ns)
{
	int err = 0;

	if (start_ns)
		err |= json_object_set_new(o, "startTimeUnixNano", j_u64(start_ns));
	err |= json_object_set_new(o, "timeUnixNano", j_u64(time_ns));
	return err;
}

static json_t *j_number_point(const struct otlp_metric *m, const struct otlp_point *p)
{
	json_t *o = json_object();
	int err = j_set_attrs(o, "attributes", &p->attrs);

	err |= j_set_times(o, p->start_ns, p->time_ns);
	if (m->kind == OTLP_METRIC_GAUGE)
		err |= json_object_set_new(o, "asDouble", j_double(p->as_double));
	else
		err |= json_object_set_new(o, "asInt", j_i64(p->as_int));
	return json_done(o, err);
}

static int j_set_buckets(json_t *o, const struct otlp_point *p)
{
	json_t *counts = json_array(), *bounds = json_array();
	int err = 0;
	size_t i;

	for (i = 0; i <= p->nbounds; i++)
		err |= json_array_append_new(counts, j_u64(p->bucket_counts[i]));
	for (i = 0; i < p->nbounds; i++)
		err |= json_array_append_new(bounds, j_double(p->bounds[i]));
	err |= json_object_set_new(o, "bucketCounts", counts);
	err |= json_object_set_new(o, "explicitBounds", bounds);
	return err;
}

static json_t *j_hist_point(const struct otlp_point *p)
{
	json_t *o = json_object();
	int err = j_set_attrs(o, "attributes", &p->attrs);

	err |= j_set_times(o, p->start_ns, p->time_ns);
	err |= json_object_set_new(o, "count", j_u64(p->count));
	err |= json_object_set_new(o, "sum", j_double(p->sum));
	if (hist_has_buckets(p))
		err |= j_set_buckets(o, p);
	if (p->has_min_max) {
		err |= json_object_set_new(o, "min", j_double(p->min));
		err |= json_object_set_new(o, "max", j_double(p->max));
	}
	return json_done(o, err);
}

static const char *metric_data_name(enum otlp_metric_kind kind)
{
	switch (kind) {
	case OTLP_METRIC_GAUGE:
		return "gauge";
	case OTLP_METRIC_HISTOGRAM:
		return "histogram";
	case OTLP_METRIC_SUM:
	default:
		return "sum";
	}
}

static json_t *j_metric(const struct otlp_metric *m)
{
	json_t *o = json_object(), *data = json_object(), *points = json_array();
	int err = 0;
	size_t i;

	for (i = 0; i < m->npoints; i++) {
		json_t *p = m->kind == OTLP_METRIC_HISTOGRAM ? j_hist_point(&m->points[i])
							     : j_number_point(m, &m->points[i]);
		err |= json_array_append_new(points, p);
	}
	err |= json_object_set_new(data, "dataPoints", points);
	if (m->kind != OTLP_METRIC_GAUGE && m->temporality)
		err |= json_object_set_new(data, "aggregationTemporality",
					   json_integer(m->temporality));
	if (m->kind == OTLP_METRIC_SUM)
		err |= json_object_set_new(data, "isMonotonic", json_true());
	err |= json_object_set_new(o, "name", j_str(m->name));
	err |= j_set_str_opt(o, "description", m->description);
	err |= j_set_str_opt(o, "unit", m->unit);
	err |= json_object_set_new(o, metric_data_name(m->kind), data);
	return json_done(o, err);
}

static int j_set_status(json_t *o, const struct otlp_span *s)
{
	json_t *st;
	int err;

	if (!s->status && !(s->status_message && *s->status_message))
		return 0;
	st = json_object();
	err = j_set_str_opt(st, "message", s->status_message);
	if (s->status)
		err |= json_object_set_new(st, "code", json_integer(s->status));
	return json_object_set_new(o, "status", json_done(st, err));
}

static json_t *j_span(const struct otlp_span *s)
{
	json_t *o = json_object();
	int err = 0;

	err |= json_object_set_new(o, "traceId", j_hex(s->trace_id, sizeof(s->trace_id)));
	err |= json_object_set_new(o, "spanId", j_hex(s->span_id, sizeof(s->span_id)));
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
		err |= json_object_set_new(o, "parentSpanId",
					   j_hex(s->parent_span_id, sizeof(s->parent_span_id)));
	if (s->flags)
		err |= json_object_set_new(o, "flags", json_integer(s->flags));
	err |= json_object_set_new(o, "name", j_str(s->name));
	err |= json_object_set_new(o, "kind", json_integer(s->kind));
	err |= json_object_set_new(o, "startTimeUnixNano", j_u64(s->start_ns));
	err |= json_object_set_new(o, "endTimeUnixNano", j_u64(s->end_ns));
	err |= j_set_attrs(o, "attributes", &s->attrs);
	err |= j_set_status(o, s);
	return json_done(o, err);
}

/* ResourceMetrics or ResourceSpans: the same shape, only the leaves differ. */
static json_t *j_resource_block(const struct otlp_resource_block *blk, bool spans)
{
	json_t *rb = json_object(), *sb = json_object(), *items = json_array();
	int err = 0;
	size_t i;

	if (spans) {
		for (i = 0; i < blk->nspans; i++)
			err |= json_array_append_new(items, j_span(&blk->spans[i]));
	} else {
		for (i = 0; i < blk->nmetrics; i++)
			err |= json_array_append_new(items, j_metric(&blk->metrics[i]));
	}
	err |= json_object_set_new(sb, "scope", j_scope(blk));
	err |= json_object_set_new(sb, spans ? "spans" : "metrics", items);
	err |= json_object_set_new(rb, "resource", j_resource(blk));
	err |= json_object_set_new(rb, spans ? "scopeSpans" : "scopeMetrics",
				   json_pack("[o]", json_done(sb, err)));
	return json_done(rb, err);
}

static int j_dump_cb(const char *p, size_t n, void *data)
{
	struct otlp_buf *b = data;

	buf_put(b, p, n);
	return b->oom ? -1 : 0;
}

static int encode_json(const struct otlp_request *req, struct otlp_buf *out, bool spans)
{
	json_t *root = json_object(), *blocks = json_array();
	int err = 0;
	size_t i;

	buf_reset(out);
	for (i = 0; i < req->nblocks; i++)
		err |= json_array_append_new(blocks, j_resource_block(&req->blocks[i], spans));
	err |= json_object_set_new(root, spans ? "resourceSpans" : "resourceMetrics", blocks);
	root = json_done(root, err);
	if (!root)
		return -ENOMEM;
	err = json_dump_callback(root, j_dump_cb, out, JSON_COMPACT);
	json_decref(root);
	return err || out->oom ? -ENOMEM : 0;
}

int otlp_encode_metrics_json(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_json(req, out, false);
}

int otlp_encode_traces_json(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_json(req, out, true);
}

/* --- responses ------------------------------------------------------------- */

/* The message ends up in logs: control bytes from a peer must not reach them. */
static void copy_msg(char *msg, size_t msglen, const char *s, size_t n)
{
	size_t i;

	if (!msg || !msglen)
		return;
	if (n > msglen - 1)
		n = msglen - 1;
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		msg[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	msg[n] = '\0';
}

struct pb_cur {
	const uint8_t *p, *end;
};

static int pb_read_varint(struct pb_cur *c, uint64_t *v)
{
	unsigned shift;
	uint8_t byte;

	*v = 0;
	for (shift = 0; shift < 70; shift += 7) {
		if (c->p == c->end)
			return -EINVAL;
		byte = *c->p++;
		/* The tenth byte holds only bit 63. */
		if (shift == 63 && byte > 1)
			return -EINVAL;
		*v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return 0;
	}
	return -EINVAL;
}

static int pb_read_key(struct pb_cur *c, uint32_t *field, enum pb_wire *wt)
{
	uint64_t key;
	int err = pb_read_varint(c, &key);

	if (err)
		return err;
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -EINVAL;
	*field = (uint32_t)(key >> 3);
	*wt = (enum pb_wire)(key & 7);
	return 0;
}

static int pb_advance(struct pb_cur *c, uint64_t n)
{
	if (n > (uint64_t)(c->end - c->p))
		return -EINVAL;
	c->p += n;
	return 0;
}

/* A length-delimited field: sub gets its body, c moves past it. */
static int pb_read_len(struct pb_cur *c, struct pb_cur *sub)
{
	uint64_t n;
	int err = pb_read_varint(c, &n);

	if (err)
		return err;
	sub->p = c->p;
	err = pb_advance(c, n);
	sub->end = c->p;
	return err;
}

static int pb_skip(struct pb_cur *c, uint32_t field, enum pb_wire wt, unsigned depth);

/* Skips fields up to the end-group tag that closes the group opened by field. */
static int pb_skip_group(struct pb_cur *c, uint32_t field, unsigned depth)
{
	enum pb_wire wt;
	uint32_t f;
	int err;

	if (depth >= PB_GROUP_MAX_DEPTH)
		return -EINVAL;
	for (;;) {
		err = pb_read_key(c, &f, &wt);
		if (err)
			return err;
		if (wt == PB_EGROUP)
			return f == field ? 0 : -EINVAL;
		err = pb_skip(c, f, wt, depth + 1);
		if (err)
			return err;
	}
}

static int pb_skip(struct pb_cur *c, uint32_t field, enum pb_wire wt, unsigned depth)
{
	struct pb_cur sub;
	uint64_t v;

	switch (wt) {
	case PB_VARINT:
		return pb_read_varint(c, &v);
	case PB_I64:
		return pb_advance(c, 8);
	case PB_LEN:
		return pb_read_len(c, &sub);
	case PB_I32:
		return pb_advance(c, 4);
	case PB_SGROUP:
		return pb_skip_group(c, field, depth);
	case PB_EGROUP: /* unmatched */
	default:
		return -EINVAL;
	}
}

/* Export{Metrics,Trace}PartialSuccess; the last occurrence of a field wins. */
static int pb_read_partial(struct pb_cur *c, int64_t *rejected, char *msg, size_t msglen)
{
	struct pb_cur sub;
	enum pb_wire wt;
	uint32_t field;
	uint64_t v;
	int err;

	while (c->p < c->end) {
		err = pb_read_key(c, &field, &wt);
		if (!err && field == F_PARTIAL_REJECTED && wt == PB_VARINT) {
			err = pb_read_varint(c, &v);
			*rejected = (int64_t)v;
		} else if (!err && field == F_PARTIAL_MESSAGE && wt == PB_LEN) {
			err = pb_read_len(c, &sub);
			if (!err)
				copy_msg(msg, msglen, (const char *)sub.p, sub.end - sub.p);
		} else if (!err) {
			err = pb_skip(c, field, wt, 0);
		}
		if (err)
			return err;
	}
	return 0;
}

static int decode_pb(const uint8_t *body, size_t len, int64_t *rejected, char *msg, size_t msglen)
{
	struct pb_cur c = {body, body + len}, sub;
	enum pb_wire wt;
	uint32_t field;
	int err;

	while (c.p < c.end) {
		err = pb_read_key(&c, &field, &wt);
		if (!err && field == F_RESP_PARTIAL && wt == PB_LEN) {
			err = pb_read_len(&c, &sub);
			if (!err)
				err = pb_read_partial(&sub, rejected, msg, msglen);
		} else if (!err) {
			err = pb_skip(&c, field, wt, 0);
		}
		if (err)
			return err;
	}
	return 0;
}

/* JSON receivers must accept both the lowerCamelCase and the proto field names. */
static json_t *j_member(const json_t *o, const char *camel, const char *proto)
{
	json_t *v = json_object_get(o, camel);

	return v ? v : json_object_get(o, proto);
}

/* int64 in the JSON mapping: a string of decimal digits, or a plain number. */
static int j_read_int64(const json_t *v, int64_t *out)
{
	const char *s;
	char *end;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (!*s || strlen(s) != json_string_length(v))
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int decode_json(const uint8_t *body, size_t len, int64_t *rejected, char *msg, size_t msglen)
{
	json_t *root, *ps, *rej, *em;
	int err = -EINVAL;

	root = json_loadb((const char *)body, len, 0, NULL);
	if (!json_is_object(root))
		goto out_free;
	ps = j_member(root, "partialSuccess", "partial_success");
	if (!ps || json_is_null(ps)) {
		err = 0;
		goto out_free;
	}
	if (!json_is_object(ps))
		goto out_free;
	rej = j_member(ps, "rejectedDataPoints", "rejected_data_points");
	if (!rej)
		rej = j_member(ps, "rejectedSpans", "rejected_spans");
	if (j_read_int64(rej, rejected))
		goto out_free;
	em = j_member(ps, "errorMessage", "error_message");
	if (em && !json_is_null(em) && !json_is_string(em))
		goto out_free;
	if (json_is_string(em))
		copy_msg(msg, msglen, json_string_value(em), json_string_length(em));
	err = 0;
out_free:
	json_decref(root);
	return err;
}

int otlp_decode_response(const uint8_t *body, size_t len, bool is_json, int64_t *rejected,
			 char *msg, size_t msglen)
{
	int64_t n = 0;
	int err;

	if (msg && msglen)
		msg[0] = '\0';
	if (!len)
		err = 0;
	else if (is_json)
		err = decode_json(body, len, &n, msg, msglen);
	else
		err = decode_pb(body, len, &n, msg, msglen);
	/* A negative count is no count: callers add it to unsigned totals. */
	if (!err && n < 0)
		err = -EINVAL;
	if (err) {
		n = 0;
		if (msg && msglen)
			msg[0] = '\0';
	}
	if (rejected)
		*rejected = n;
	return err;
}

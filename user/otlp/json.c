// SPDX-License-Identifier: BSD-2-Clause
/* The OTLP/JSON mapping of the same model (otlp/encode.h), through jansson. */
#include "otlp/wire.h"

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
	if (wire_utf8_valid(s))
		return json_string_nocheck(s);
	clean = wire_utf8_sanitize(s);
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
	if (wire_hist_has_buckets(p))
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
	if (!wire_all_zero(s->parent_span_id, sizeof(s->parent_span_id)))
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

static json_t *j_log(const struct otlp_log *l)
{
	json_t *o = json_object(), *body = json_object();
	int err = 0;

	if (l->time_ns)
		err |= json_object_set_new(o, "timeUnixNano", j_u64(l->time_ns));
	if (l->observed_ns)
		err |= json_object_set_new(o, "observedTimeUnixNano", j_u64(l->observed_ns));
	if (l->severity)
		err |= json_object_set_new(o, "severityNumber", json_integer(l->severity));
	err |= j_set_str_opt(o, "severityText", l->severity_text);
	err |= json_object_set_new(body, "stringValue", j_str(l->body));
	err |= json_object_set_new(o, "body", json_done(body, err));
	err |= j_set_attrs(o, "attributes", &l->attrs);
	if (l->has_ids) {
		err |= json_object_set_new(o, "traceId", j_hex(l->trace_id, sizeof(l->trace_id)));
		err |= json_object_set_new(o, "spanId", j_hex(l->span_id, sizeof(l->span_id)));
	}
	err |= j_set_str_opt(o, "eventName", l->event_name);
	return json_done(o, err);
}

/* The three signals' JSON names: Resource{Metrics,Spans,Logs} and below. */
enum j_signal {
	J_METRICS,
	J_TRACES,
	J_LOGS,
};

static const struct {
	const char *request, *scope, *items;
} j_names[] = {
    [J_METRICS] = {"resourceMetrics", "scopeMetrics", "metrics"},
    [J_TRACES] = {"resourceSpans", "scopeSpans", "spans"},
    [J_LOGS] = {"resourceLogs", "scopeLogs", "logRecords"},
};

/* ResourceMetrics, ResourceSpans or ResourceLogs: the same shape, only the leaves differ. */
static json_t *j_resource_block(const struct otlp_resource_block *blk, enum j_signal sig)
{
	json_t *rb = json_object(), *sb = json_object(), *items = json_array();
	int err = 0;
	size_t i;

	if (sig == J_TRACES) {
		for (i = 0; i < blk->nspans; i++)
			err |= json_array_append_new(items, j_span(&blk->spans[i]));
	} else if (sig == J_LOGS) {
		for (i = 0; i < blk->nlogs; i++)
			err |= json_array_append_new(items, j_log(&blk->logs[i]));
	} else {
		for (i = 0; i < blk->nmetrics; i++)
			err |= json_array_append_new(items, j_metric(&blk->metrics[i]));
	}
	err |= json_object_set_new(sb, "scope", j_scope(blk));
	err |= json_object_set_new(sb, j_names[sig].items, items);
	err |= json_object_set_new(rb, "resource", j_resource(blk));
	err |= json_object_set_new(rb, j_names[sig].scope, json_pack("[o]", json_done(sb, err)));
	return json_done(rb, err);
}

static int j_dump_cb(const char *p, size_t n, void *data)
{
	struct otlp_buf *b = data;

	wire_buf_put(b, p, n);
	return b->oom ? -1 : 0;
}

static int encode_json(const struct otlp_request *req, struct otlp_buf *out, enum j_signal sig)
{
	json_t *root = json_object(), *blocks = json_array();
	int err = 0;
	size_t i;

	wire_buf_reset(out);
	for (i = 0; i < req->nblocks; i++)
		err |= json_array_append_new(blocks, j_resource_block(&req->blocks[i], sig));
	err |= json_object_set_new(root, j_names[sig].request, blocks);
	root = json_done(root, err);
	if (!root)
		return -ENOMEM;
	err = json_dump_callback(root, j_dump_cb, out, JSON_COMPACT);
	json_decref(root);
	return err || out->oom ? -ENOMEM : 0;
}

int otlp_encode_metrics_json(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_json(req, out, J_METRICS);
}

int otlp_encode_traces_json(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_json(req, out, J_TRACES);
}

int otlp_encode_logs_json(const struct otlp_request *req, struct otlp_buf *out)
{
	return encode_json(req, out, J_LOGS);
}

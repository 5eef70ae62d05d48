// SPDX-License-Identifier: BSD-2-Clause
/* See logs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/env.h"
#include "lib/str.h"
#include "core/aggregator.h"
#include "answers/graph.h"
#include "otlp/logs.h"
#include "lib/addr.h"

#define LOG_ATTRS_MAX 14
#define LOG_BODY_MAX  (2 * GRAPH_ID_MAX + EVENTS_DETAIL_MAX + HTTP1_PATH_MAX + 64)
#define RES_NAME_MAX  256

int log_config_from_env(struct log_config *c, env_getter get, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} vars[] = {
	    {"OTEL_BLRP_SCHEDULE_DELAY", offsetof(struct log_config, schedule_delay_ms)},
	    {"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", offsetof(struct log_config, max_batch)},
	};
	const char *v;
	size_t i;

	*c = (struct log_config){.schedule_delay_ms = 1000, .max_batch = 512};
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = env_value(get, vars[i].name);
		if (v && parse_u32_range(v, 1, 10000000, (uint32_t *)((char *)c + vars[i].off))) {
			snprintf(err, errlen, "%s '%s': expected a whole number from 1 to 10000000",
				 vars[i].name, v);
			return -EINVAL;
		}
	}
	return 0;
}

void logs_init(struct log_export *lx, const struct log_config *c)
{
	memset(lx, 0, sizeof(*lx));
	lx->cfg = *c;
}

/* What one record's attributes and strings point into. */
struct log_scratch {
	struct otlp_attr attrs[LOG_ATTRS_MAX];
	size_t nattrs;
	char body[LOG_BODY_MAX];
	char event_name[48];
	char client[GRAPH_ID_MAX], server[GRAPH_ID_MAX];
	char client_ip[NAMING_ADDR_LEN];
	char error_type[8];
	size_t res;
};

struct log_resource {
	char name[RES_NAME_MAX];
	char ns[IDENTITY_NAME_MAX];
	struct otlp_attr attrs[3 + LOGS_AGENT_ATTRS_MAX];
	size_t nattrs, nlogs, fill;
};

struct log_batch {
	struct naming *naming;
	const struct logs_opts *o;
	struct event *events;
	struct access_record *recs;
	size_t nev, nrec;
	struct otlp_log *logs;	     /* ordered by resource */
	struct log_scratch *scratch; /* events first, then records */
	struct log_resource *res;    /* [0]: the agent, for events */
	size_t nres;
};

static void add_str(struct log_scratch *s, const char *key, const char *val)
{
	if (val && s->nattrs < LOG_ATTRS_MAX)
		s->attrs[s->nattrs++] = (struct otlp_attr){.key = key, .type = OTLP_STR, .s = val};
}

static void add_int(struct log_scratch *s, const char *key, int64_t val)
{
	if (s->nattrs < LOG_ATTRS_MAX)
		s->attrs[s->nattrs++] = (struct otlp_attr){.key = key, .type = OTLP_INT, .i = val};
}

static void add_double(struct log_scratch *s, const char *key, double val)
{
	if (s->nattrs < LOG_ATTRS_MAX)
		s->attrs[s->nattrs++] =
		    (struct otlp_attr){.key = key, .type = OTLP_DOUBLE, .d = val};
}

static void res_str(struct log_resource *r, const char *key, const char *val)
{
	r->attrs[r->nattrs++] = (struct otlp_attr){.key = key, .type = OTLP_STR, .s = val};
}

/* The agent's own resource, as its metrics have it: what events come from. */
static void agent_resource(struct log_batch *lb)
{
	struct log_resource *r = &lb->res[lb->nres++];
	size_t i;

	res_str(r, "service.name", lb->o->agent_service_name);
	res_str(r, "host.name", lb->o->host_name ? lb->o->host_name : "");
	for (i = 0; i < lb->o->nagent_attrs && i < LOGS_AGENT_ATTRS_MAX; i++)
		if (strcmp(lb->o->agent_attrs[i].key, "service.name"))
			r->attrs[r->nattrs++] = lb->o->agent_attrs[i];
}

/* The recording end of an access-log record, as its span names it. */
static size_t record_resource(struct log_batch *lb, const struct access_record *a)
{
	const uint8_t *local = a->local_is_client ? a->client_addr : a->server_addr;
	struct endpoint_names names;
	struct log_resource *r;
	char name[RES_NAME_MAX];
	const char *ns;
	size_t i;

	naming_resolve(lb->naming, local, &a->local, &names);
	naming_node_name(&names, !a->local_is_client, name, sizeof(name));
	ns = names.namespace_ ? names.namespace_ : "";
	for (i = 1; i < lb->nres; i++)
		if (!strcmp(lb->res[i].name, name) && !strcmp(lb->res[i].ns, ns))
			return i;
	r = &lb->res[lb->nres];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->ns, sizeof(r->ns), "%s", ns);
	res_str(r, "service.name", r->name);
	res_str(r, "host.name", lb->o->host_name ? lb->o->host_name : "");
	if (r->ns[0])
		res_str(r, "service.namespace", r->ns);
	return lb->nres++;
}

static enum otlp_severity event_severity_number(const struct event *e)
{
	const char *sev = event_severity(e);

	if (!strcmp(sev, "critical"))
		return OTLP_SEVERITY_ERROR;
	return !strcmp(sev, "warning") ? OTLP_SEVERITY_WARN : OTLP_SEVERITY_INFO;
}

static void event_fill(struct log_batch *lb, const struct event *e, struct log_scratch *s,
		       struct otlp_log *l)
{
	const char *kind = event_kind_name(e->kind);

	memset(l, 0, sizeof(*l));
	snprintf(s->event_name, sizeof(s->event_name), "meshsight.%s", kind);
	snprintf(s->body, sizeof(s->body), "%s %s -> %s%s%s", kind, e->source, e->destination,
		 e->detail[0] ? ": " : "", e->detail);
	add_str(s, "meshsight.event.kind", kind);
	if (e->kind == EVENT_RESOLVED)
		add_str(s, "meshsight.event.resolves", event_kind_name(e->resolves));
	if (e->source[0]) /* split_drift is about a Service, not an edge: no client */
		add_str(s, "client", e->source);
	add_str(s, "server", e->destination);
	if (e->port)
		add_int(s, "server.port", e->port);
	add_double(s, "meshsight.event.value", e->value);
	add_double(s, "meshsight.event.threshold", e->threshold);
	l->time_ns = e->time_unix_ns;
	l->observed_ns = lb->o->now_unix_ns;
	l->severity = event_severity_number(e);
	l->severity_text = event_severity(e);
	l->event_name = s->event_name;
	l->body = s->body;
	l->attrs = (struct otlp_attrs){s->attrs, s->nattrs};
}

/* An end as the graph names it (the same names as /api/v1/access-log). */
static void end_name(struct naming *naming, const uint8_t addr[16], const struct edge_end *local,
		     char *out, size_t len)
{
	struct edge_end none = {0};
	struct endpoint_names n;
	enum graph_node_kind kind;
	char id[GRAPH_ID_MAX];

	naming_resolve(naming, addr, local ? local : &none, &n);
	snprintf(out, len, "%s", graph_node_id(&n, &kind, id, sizeof(id)));
}

static void record_attrs(const struct access_record *a, struct log_scratch *s)
{
	const char *method = edge_method_class(a->method);

	add_str(s, "http.request.method", method);
	if (a->path[0])
		add_str(s, "url.path", a->path);
	if (a->status)
		add_int(s, "http.response.status_code", a->status);
	if (!a->status || a->status >= 500) {
		if (a->status)
			snprintf(s->error_type, sizeof(s->error_type), "%u", a->status);
		else
			snprintf(s->error_type, sizeof(s->error_type), "_OTHER");
		add_str(s, "error.type", s->error_type);
	}
	add_str(s, "client", s->client);
	add_str(s, "server", s->server);
	add_str(s, "server.address", s->server);
	add_int(s, "server.port", a->server_port);
	add_str(s, "client.address", s->client_ip);
	add_int(s, "client.port", a->client_port);
	add_double(s, "meshsight.duration_ms", (double)a->duration_ns / 1e6);
	add_str(s, "meshsight.reporter", a->local_is_client ? "source" : "destination");
}

static void record_fill(struct log_batch *lb, const struct access_record *a, struct log_scratch *s,
			struct otlp_log *l)
{
	char status[16];

	memset(l, 0, sizeof(*l));
	end_name(lb->naming, a->client_addr, a->local_is_client ? &a->local : NULL, s->client,
		 sizeof(s->client));
	end_name(lb->naming, a->server_addr, a->local_is_client ? NULL : &a->local, s->server,
		 sizeof(s->server));
	addr_format(a->client_addr, s->client_ip, sizeof(s->client_ip));
	record_attrs(a, s);
	if (a->status)
		snprintf(status, sizeof(status), "%u", a->status);
	else
		snprintf(status, sizeof(status), "no response");
	snprintf(s->body, sizeof(s->body), "%s %s %s %.1f ms %s -> %s",
		 a->method[0] ? a->method : "-", a->path[0] ? a->path : "-", status,
		 (double)a->duration_ns / 1e6, s->client, s->server);
	l->time_ns = a->time_unix_ns;
	l->observed_ns = lb->o->now_unix_ns;
	l->severity = !a->status || a->status >= 500 ? OTLP_SEVERITY_ERROR
		      : a->status >= 400	     ? OTLP_SEVERITY_WARN
						     : OTLP_SEVERITY_INFO;
	l->severity_text = l->severity == OTLP_SEVERITY_ERROR  ? "ERROR"
			   : l->severity == OTLP_SEVERITY_WARN ? "WARN"
							       : "INFO";
	l->event_name = "meshsight.access_log";
	l->body = s->body;
	l->attrs = (struct otlp_attrs){s->attrs, s->nattrs};
	l->has_ids = true;
	memcpy(l->trace_id, a->trace_id, sizeof(l->trace_id));
	memcpy(l->span_id, a->span_id, sizeof(l->span_id));
}

static int encode_batch(struct log_batch *lb, struct otlp_buf *out)
{
	struct otlp_resource_block *blocks = calloc(lb->nres, sizeof(*blocks));
	struct otlp_request req = {.blocks = blocks};
	size_t i, off = 0;
	int err;

	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < lb->nres; i++) {
		off += lb->res[i].nlogs;
		if (!lb->res[i].nlogs)
			continue; /* no events: the agent's resource stays out */
		blocks[req.nblocks++] = (struct otlp_resource_block){
		    .resource = {lb->res[i].attrs, lb->res[i].nattrs},
		    .scope_name = "meshsight",
		    .scope_version = lb->o->scope_version,
		    .logs = lb->logs + off - lb->res[i].nlogs,
		    .nlogs = lb->res[i].nlogs,
		};
	}
	err = lb->o->json ? otlp_encode_logs_json(&req, out) : otlp_encode_logs_pb(&req, out);
	free(blocks);
	return err;
}

/* Names and fills every record, each at its resource's place in lb->logs. */
static void fill_all(struct log_batch *lb)
{
	size_t i, off, total = lb->nev + lb->nrec;

	lb->res[0].nlogs = lb->nev;
	for (i = 0; i < lb->nrec; i++) {
		lb->scratch[lb->nev + i].res = record_resource(lb, &lb->recs[i]);
		lb->res[lb->scratch[lb->nev + i].res].nlogs++;
	}
	for (i = 0, off = 0; i < lb->nres; i++) {
		lb->res[i].fill = off;
		off += lb->res[i].nlogs;
	}
	for (i = 0; i < total; i++) {
		struct log_scratch *s = &lb->scratch[i];
		struct otlp_log *l = &lb->logs[lb->res[s->res].fill++];

		if (i < lb->nev)
			event_fill(lb, &lb->events[i], s, l);
		else
			record_fill(lb, &lb->recs[i - lb->nev], s, l);
	}
}

/* A look under the locks before allocating a batch: most seconds have nothing. */
static bool anything_new(const struct log_export *lx, struct analysis *an, struct access_log *al)
{
	bool news;

	pthread_mutex_lock(&an->lock);
	news = an->ev.seq != lx->event_cursor;
	pthread_mutex_unlock(&an->lock);
	if (!news && al) {
		pthread_mutex_lock(&al->lock);
		news = al->recorded != lx->access_cursor;
		pthread_mutex_unlock(&al->lock);
	}
	return news;
}

static size_t take_new(struct log_export *lx, struct log_batch *lb, struct analysis *an,
		       struct access_log *al)
{
	size_t max = lx->cfg.max_batch;

	pthread_mutex_lock(&an->lock);
	lb->nev =
	    events_since(&an->ev, &lx->event_cursor, lb->events, max, &lx->stats.events_missed);
	pthread_mutex_unlock(&an->lock);
	if (al)
		lb->nrec = access_log_since(al, &lx->access_cursor, lb->recs, max - lb->nev,
					    &lx->stats.access_missed);
	return lb->nev + lb->nrec;
}

int logs_build(struct log_export *lx, struct analysis *an, struct access_log *al, struct naming *n,
	       const struct logs_opts *o, struct otlp_buf *out, uint64_t *nrecs)
{
	struct log_batch lb = {.naming = n, .o = o};
	size_t max = lx->cfg.max_batch, total;
	int err = -ENOMEM;

	*nrecs = 0;
	if (!anything_new(lx, an, al))
		return 0;
	lb.events = calloc(max, sizeof(*lb.events));
	lb.recs = calloc(max, sizeof(*lb.recs));
	lb.logs = calloc(max, sizeof(*lb.logs));
	lb.scratch = calloc(max, sizeof(*lb.scratch));
	lb.res = calloc(max + 1, sizeof(*lb.res));
	if (!lb.events || !lb.recs || !lb.logs || !lb.scratch || !lb.res)
		goto out_free;
	err = 0;
	total = take_new(lx, &lb, an, al);
	if (!total)
		goto out_free;
	agent_resource(&lb);
	fill_all(&lb);
	err = encode_batch(&lb, out);
	if (err) {
		/* The cursors moved on: these are lost, and said so. */
		lx->stats.build_failed += total;
		goto out_free;
	}
	lx->stats.events += lb.nev;
	lx->stats.access += lb.nrec;
	*nrecs = total;
out_free:
	free(lb.events);
	free(lb.recs);
	free(lb.logs);
	free(lb.scratch);
	free(lb.res);
	return err;
}

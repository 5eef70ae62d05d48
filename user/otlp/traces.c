// SPDX-License-Identifier: BSD-2-Clause
/* See traces.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/env.h"
#include "core/h2.h"
#include "core/trace_context.h"
#include "otlp/traces.h"
#include "lib/addr.h"

#define NAME_MAX_LEN   256
#define SPAN_ATTRS_MAX 18 /* HTTP attributes (13) + gRPC rpc.* (4) */

int spans_init(struct span_buffer *b, const struct span_config *c)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *c;
	b->recs = calloc(c->max_queue, sizeof(*b->recs));
	b->tokens = c->max_per_second;
	return b->recs ? 0 : -ENOMEM;
}

void spans_free(struct span_buffer *b)
{
	free(b->recs);
	b->recs = NULL;
}

double spans_effective_rate(const struct span_buffer *b)
{
	return b->stats.seen ? (double)b->stats.queued / b->stats.seen : 1.0;
}

static uint64_t get_u64(const uint8_t *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static bool root_sampled(const struct span_config *c, const uint8_t trace_id[16])
{
	switch (c->root) {
	case SAMPLER_ALWAYS_ON:
		return true;
	case SAMPLER_ALWAYS_OFF:
		return false;
	case SAMPLER_RATIO:
		/* The trace id's low 8 bytes, as a fraction of 2^64, below the ratio. */
		return (double)get_u64(trace_id + 8) < c->ratio * 18446744073709551616.0;
	}
	return true;
}

static bool is_error(bool server, uint16_t status)
{
	return status == 0 || status >= 500 || (!server && status >= 400);
}

/*
 * The RPC conventions: a client span fails on any status but OK; a server
 * span only on the codes that mean the server failed (UNKNOWN,
 * DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
 */
static bool grpc_is_error(bool server, int status)
{
	if (status < 0)
		return true;
	if (!server)
		return status != 0;
	return status == 2 || status == 4 || status == 12 || status == 13 || status == 14 ||
	       status == 15;
}

static bool rec_is_error(const struct span_rec *r)
{
	if (r->grpc)
		return r->failed || grpc_is_error(r->server, r->grpc_status);
	return r->failed || is_error(r->server, r->status);
}

/* Token bucket refilled at max_per_second, one second of burst. */
static bool ceiling_allows(struct span_buffer *b, uint64_t now_ns, bool error)
{
	double rate = b->cfg.max_per_second;

	if (!rate)
		return true;
	if (now_ns > b->tokens_ns) {
		b->tokens += (now_ns - b->tokens_ns) / 1e9 * rate;
		if (b->tokens > rate)
			b->tokens = rate;
		b->tokens_ns = now_ns;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return true;
	}
	return error; /* error spans are always kept */
}

static void fill_ids(struct span_rec *r, const struct flow_txn_info *info,
		     const struct http1_txn *t, bool *has_header)
{
	struct txn_ids ids;

	txn_ids(info, t, r->server, &ids);
	memcpy(r->trace_id, ids.trace_id, sizeof(r->trace_id));
	memcpy(r->span_id, ids.span_id, sizeof(r->span_id));
	memcpy(r->parent_id, ids.parent_id, sizeof(r->parent_id));
	r->trace_flags = ids.flags & 1;
	*has_header = ids.from_header;
}

static void fill_protocol(struct span_rec *r, const struct flow_txn_info *info,
			  const struct http1_txn *t)
{
	const uint32_t failed =
	    HTTP1_TXN_F_NO_RESPONSE | HTTP1_TXN_F_STREAM_RESET | HTTP1_TXN_F_REFUSED;

	r->status = t->status;
	if (!(t->flags & HTTP1_TXN_F_H2))
		return;
	r->version_major = 2;
	r->failed = (t->flags & failed) != 0;
	r->grpc = (t->flags & HTTP1_TXN_F_GRPC) != 0;
	r->grpc_status = edge_txn_grpc_status(t);
	if (r->grpc && info->grpc_message)
		snprintf(r->grpc_message, sizeof(r->grpc_message), "%s", info->grpc_message);
}

void spans_on_txn(void *ctx, const struct flow_txn_info *info, const struct http1_txn *t)
{
	struct span_buffer *b = ctx;
	struct span_rec r;
	bool has_header, sampled;

	memset(&r, 0, sizeof(r));
	r.server = !info->local_is_client;
	fill_ids(&r, info, t, &has_header);
	b->stats.seen++;
	sampled = has_header && b->cfg.parent_based ? (r.trace_flags & 1)
						    : root_sampled(&b->cfg, r.trace_id);
	if (!sampled) {
		b->stats.sampled_out++;
		return;
	}
	r.trace_flags |= 1;
	fill_protocol(&r, info, t);
	if (!ceiling_allows(b, info->end_ns, rec_is_error(&r))) {
		b->stats.ceiling_dropped++;
		return;
	}
	if (b->count == b->cfg.max_queue) {
		b->stats.queue_dropped++;
		return;
	}
	r.version_minor = t->version_minor;
	memcpy(r.method, t->method, sizeof(r.method));
	memcpy(r.path, t->path, sizeof(r.path));
	r.start_ns = t->req_start_ns;
	r.end_ns = t->resp_end_ns ? t->resp_end_ns : info->end_ns;
	memcpy(r.client_addr, info->client_addr, 16);
	memcpy(r.server_addr, info->server_addr, 16);
	r.client_port = info->client_port;
	r.server_port = info->server_port;
	r.local = info->local;
	b->recs[(b->head + b->count) % b->cfg.max_queue] = r;
	b->count++;
	b->stats.queued++;
}

/* ---- encoding ---- */

struct span_scratch {
	struct otlp_attr attrs[SPAN_ATTRS_MAX];
	char server_name[NAME_MAX_LEN];
	char client_ip[NAMING_ADDR_LEN];
	char server_ip[NAMING_ADDR_LEN];
	char error_type[8];
	char rpc_service[HTTP1_PATH_MAX];
	char rpc_method[HTTP1_PATH_MAX];
	size_t res; /* index of its resource */
};

struct span_resource {
	char name[NAME_MAX_LEN];
	char ns[IDENTITY_NAME_MAX];
	struct otlp_attr attrs[3];
	size_t nspans, fill;
};

struct span_batch {
	struct naming *naming;
	const struct spans_opts *o;
	struct otlp_span *spans;      /* ordered by resource */
	struct span_scratch *scratch; /* parallel to the ring order */
	struct span_resource *res;
	size_t nres;
};

static void add_str(struct otlp_attr *a, size_t *n, const char *key, const char *val)
{
	if (!val || *n >= SPAN_ATTRS_MAX)
		return;
	a[*n] = (struct otlp_attr){.key = key, .type = OTLP_STR, .s = val};
	(*n)++;
}

static void add_int(struct otlp_attr *a, size_t *n, const char *key, int64_t val)
{
	if (*n >= SPAN_ATTRS_MAX)
		return;
	a[*n] = (struct otlp_attr){.key = key, .type = OTLP_INT, .i = val};
	(*n)++;
}

static size_t resource_of(struct span_batch *sb, const struct span_rec *r)
{
	const uint8_t *local = r->server ? r->server_addr : r->client_addr;
	struct endpoint_names names;
	struct span_resource *res;
	char name[NAME_MAX_LEN];
	const char *ns;
	size_t i;

	naming_resolve(sb->naming, local, &r->local, &names);
	naming_node_name(&names, r->server, name, sizeof(name));
	ns = names.namespace_ ? names.namespace_ : "";
	for (i = 0; i < sb->nres; i++)
		if (!strcmp(sb->res[i].name, name) && !strcmp(sb->res[i].ns, ns))
			return i;
	res = &sb->res[sb->nres];
	snprintf(res->name, sizeof(res->name), "%s", name);
	snprintf(res->ns, sizeof(res->ns), "%s", ns);
	res->attrs[0] = (struct otlp_attr){.key = "service.name", .type = OTLP_STR, .s = res->name};
	res->attrs[1] = (struct otlp_attr){
	    .key = "host.name", .type = OTLP_STR, .s = sb->o->host_name ? sb->o->host_name : ""};
	res->attrs[2] =
	    (struct otlp_attr){.key = "service.namespace", .type = OTLP_STR, .s = res->ns};
	return sb->nres++;
}

/* rpc.* attributes of a gRPC span (service and method when the path has that shape). */
static void grpc_attrs(const struct span_rec *r, struct span_scratch *s, size_t *n)
{
	const char *svc, *method;
	size_t slen, mlen;

	add_str(s->attrs, n, "rpc.system", "grpc");
	if (h2_grpc_split(r->path, &svc, &slen, &method, &mlen)) {
		snprintf(s->rpc_service, sizeof(s->rpc_service), "%.*s", (int)slen, svc);
		snprintf(s->rpc_method, sizeof(s->rpc_method), "%.*s", (int)mlen, method);
		add_str(s->attrs, n, "rpc.service", s->rpc_service);
		add_str(s->attrs, n, "rpc.method", s->rpc_method);
	}
	if (r->grpc_status >= 0)
		add_int(s->attrs, n, "rpc.grpc.status_code", r->grpc_status);
}

static void span_attrs(struct span_batch *sb, const struct span_rec *r, struct span_scratch *s,
		       struct otlp_attrs *out)
{
	const char *method = edge_method_class(r->method);
	struct endpoint_names server;
	size_t n = 0;

	naming_resolve(sb->naming, r->server_addr, r->server ? &r->local : NULL, &server);
	naming_node_name(&server, true, s->server_name, sizeof(s->server_name));
	addr_format(r->client_addr, s->client_ip, sizeof(s->client_ip));
	addr_format(r->server_addr, s->server_ip, sizeof(s->server_ip));
	if (r->grpc)
		grpc_attrs(r, s, &n);
	add_str(s->attrs, &n, "http.request.method", method);
	/* A request pipelined too deep has no method or path known (http1.h). */
	if (!strcmp(method, "_OTHER") && r->method[0] && strcmp(r->method, "_OTHER"))
		add_str(s->attrs, &n, "http.request.method_original", r->method);
	if (r->status)
		add_int(s->attrs, &n, "http.response.status_code", r->status);
	if (r->path[0])
		add_str(s->attrs, &n, "url.path", r->path);
	add_str(s->attrs, &n, "url.scheme", "http");
	add_str(s->attrs, &n, "server.address", s->server_name);
	add_int(s->attrs, &n, "server.port", r->server_port);
	add_str(s->attrs, &n, "network.protocol.version",
		r->version_major == 2 ? "2"
		: r->version_minor    ? "1.1"
				      : "1.0");
	add_str(s->attrs, &n, "network.peer.address", r->server ? s->client_ip : s->server_ip);
	add_int(s->attrs, &n, "network.peer.port", r->server ? r->client_port : r->server_port);
	if (r->server) {
		add_str(s->attrs, &n, "client.address", s->client_ip);
		add_int(s->attrs, &n, "client.port", r->client_port);
	}
	if (rec_is_error(r)) {
		if (r->grpc && r->grpc_status >= 0)
			snprintf(s->error_type, sizeof(s->error_type), "%d", r->grpc_status);
		else if (r->status && !r->failed)
			snprintf(s->error_type, sizeof(s->error_type), "%u", r->status);
		else
			snprintf(s->error_type, sizeof(s->error_type), "_OTHER");
		add_str(s->attrs, &n, "error.type", s->error_type);
	}
	*out = (struct otlp_attrs){s->attrs, n};
}

static void span_fill(struct span_batch *sb, const struct span_rec *r, struct span_scratch *s,
		      struct otlp_span *sp)
{
	const char *method = edge_method_class(r->method);

	memset(sp, 0, sizeof(*sp));
	memcpy(sp->trace_id, r->trace_id, 16);
	memcpy(sp->span_id, r->span_id, 8);
	memcpy(sp->parent_span_id, r->parent_id, 8);
	sp->flags = r->trace_flags;
	/* Without a route, the conventions name the span by its method alone. */
	sp->name = strcmp(method, "_OTHER") ? method : "HTTP";
	/* gRPC: "package.Service/Method", the RPC conventions' span name. */
	if (r->grpc && r->path[0] == '/' && r->path[1])
		sp->name = r->path + 1;
	sp->kind = r->server ? OTLP_SPAN_KIND_SERVER : OTLP_SPAN_KIND_CLIENT;
	sp->start_ns = r->start_ns + sb->o->mono_to_unix_ns;
	sp->end_ns = (r->end_ns > r->start_ns ? r->end_ns : r->start_ns) + sb->o->mono_to_unix_ns;
	sp->status = rec_is_error(r) ? OTLP_STATUS_ERROR : OTLP_STATUS_UNSET;
	if (sp->status == OTLP_STATUS_ERROR && r->grpc_message[0])
		sp->status_message = r->grpc_message;
	span_attrs(sb, r, s, &sp->attrs);
}

static int encode_batch(struct span_batch *sb, struct otlp_buf *out)
{
	struct otlp_resource_block *blocks = calloc(sb->nres ? sb->nres : 1, sizeof(*blocks));
	struct otlp_request req = {.blocks = blocks, .nblocks = sb->nres};
	size_t i, off = 0;
	int err;

	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < sb->nres; i++) {
		blocks[i].resource =
		    (struct otlp_attrs){sb->res[i].attrs, sb->res[i].ns[0] ? 3 : 2};
		blocks[i].scope_name = "meshsight";
		blocks[i].scope_version = sb->o->scope_version;
		blocks[i].spans = sb->spans + off;
		blocks[i].nspans = sb->res[i].nspans;
		off += sb->res[i].nspans;
	}

	err = sb->o->json ? otlp_encode_traces_json(&req, out) : otlp_encode_traces_pb(&req, out);
	free(blocks);
	return err;
}

int spans_build(struct span_buffer *b, struct naming *n, const struct spans_opts *o,
		struct otlp_buf *out, uint64_t *nspans)
{
	size_t count = b->count < b->cfg.max_batch ? b->count : b->cfg.max_batch, i, off;
	struct span_batch sb = {.naming = n, .o = o};
	int err = -ENOMEM;

	*nspans = 0;
	if (!count)
		return 0;
	sb.spans = calloc(count, sizeof(*sb.spans));
	sb.scratch = calloc(count, sizeof(*sb.scratch));
	sb.res = calloc(count, sizeof(*sb.res));
	if (!sb.spans || !sb.scratch || !sb.res)
		goto out;
	for (i = 0; i < count; i++) {
		sb.scratch[i].res = resource_of(&sb, &b->recs[(b->head + i) % b->cfg.max_queue]);
		sb.res[sb.scratch[i].res].nspans++;
	}
	/* Spans of one resource must be contiguous: place them by resource offset. */
	for (i = 0, off = 0; i < sb.nres; i++) {
		sb.res[i].fill = off;
		off += sb.res[i].nspans;
	}
	for (i = 0; i < count; i++) {
		struct span_resource *res = &sb.res[sb.scratch[i].res];

		span_fill(&sb, &b->recs[(b->head + i) % b->cfg.max_queue], &sb.scratch[i],
			  &sb.spans[res->fill++]);
	}
	err = encode_batch(&sb, out);
	if (!err) {
		b->head = (b->head + count) % b->cfg.max_queue;
		b->count -= count;
		*nspans = count;
	}
out:
	free(sb.spans);
	free(sb.scratch);
	free(sb.res);
	return err;
}

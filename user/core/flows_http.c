// SPDX-License-Identifier: BSD-2-Clause
/*
 * A flow's HTTP: the parser state allocated only for flows that carry
 * payload, the captured bytes (socket layer or TLS clear text) fed through
 * reassembly to the HTTP/1 or HTTP/2 parser, the kernel's request/response
 * pairs and its hand-overs to userspace (datapath v2), and each finished
 * transaction recorded on the flow's edge.
 */
#include "core/flow.h"

static void txn_info(const struct flowtab *ft, const struct flow *f, uint64_t end_ns,
		     struct flow_txn_info *info)
{
	bool client = flow_role(f) == MS_ROLE_CLIENT;

	memset(info, 0, sizeof(*info));
	memcpy(info->client_addr, client ? f->tuple.local_addr : f->tuple.remote_addr, 16);
	memcpy(info->server_addr, client ? f->tuple.remote_addr : f->tuple.local_addr, 16);
	info->client_port = client ? f->tuple.local_port : f->tuple.remote_port;
	info->server_port = client ? f->tuple.remote_port : f->tuple.local_port;
	if (f->seq_known)
		info->client_isn = client ? f->snd_start : f->rcv_start;
	info->index = f->ntxn;
	info->local_is_client = client;
	info->peer_local = flow_peer_is_local(ft, f);
	info->local.cgroup_id = f->cgroup_id;
	memcpy(info->local.comm, f->comm, sizeof(info->local.comm));
	info->end_ns = end_ns;
}

static void record_txn(struct flow *f, const struct http1_txn *t, const char *grpc_message)
{
	struct flowtab *ft = f->ft;
	uint64_t now = t->resp_end_ns ? t->resp_end_ns : f->last_ns;
	struct edge *e = flow_edge(ft, f, now);
	struct flow_txn_info info;

	ft->stats.transactions++;
	if (e)
		agg_record_http(ft->agg, e, flow_reporter(f), t, now);
	if (ft->txn_hook) {
		txn_info(ft, f, now, &info);
		info.grpc_message = grpc_message;
		ft->txn_hook(ft->txn_hook_ctx, &info, t);
	}
	f->ntxn++;
}

/* A transaction of userspace's parser. */
void flow_on_txn(void *ctx, const struct http1_txn *t)
{
	struct flow *f = ctx;

	if (f->h2c_asked && t->status == 101 && f->http && !f->http->upgrade) {
		/* Not a transaction of its own: HTTP/2 stream 1 answers this request. */
		f->http->upgrade = malloc(sizeof(*t));
		if (f->http->upgrade) {
			*f->http->upgrade = *t;
			return;
		}
		f->ft->stats.http_limit++; /* counted as the 101 it was, then HTTP/1 ends */
	}
	if (f->pending)
		flow_decide(f->ft, f, EDGE_PROTO_HTTP, t->req_start_ns); /* upgrade refused */
	f->ft->stats.capture_txns++;
	record_txn(f, t, NULL);
}

/* The edge of an HTTP/2 connection: what its first request was. */
static void h2_decide(struct flow *f, uint8_t kind, uint64_t ts)
{
	if (f->pending && kind != H2_KIND_NONE)
		flow_decide(f->ft, f, kind == H2_KIND_GRPC ? EDGE_PROTO_GRPC : EDGE_PROTO_HTTP2,
			    ts);
}

void flow_on_h2_txn(void *ctx, const struct http1_txn *t, const char *grpc_message)
{
	struct flow *f = ctx;

	h2_decide(f, t->flags & HTTP1_TXN_F_GRPC ? H2_KIND_GRPC : H2_KIND_HTTP, t->req_start_ns);
	f->ft->stats.capture_txns++;
	record_txn(f, t, grpc_message);
}

static struct h2_conn *flow_h2_start(struct flowtab *ft, struct flow *f)
{
	struct h2_conn *h2 = calloc(1, sizeof(*h2));

	if (!h2) {
		ft->stats.http_limit++;
		f->http_off = true;
		return NULL;
	}
	if (f->h2_midstream)
		h2_conn_init_midstream(h2, &ft->h2_stats);
	else
		h2_conn_init(h2, &ft->h2_stats);
	f->http->h2 = h2;
	return h2;
}

static int flow_http_alloc(struct flowtab *ft, struct flow *f)
{
	if (f->http)
		return 0;
	if (ft->nhttp >= ft->lim.max_http) {
		ft->stats.http_limit++;
		return -ENOSPC;
	}
	f->http = calloc(1, sizeof(*f->http));
	if (!f->http) {
		ft->stats.http_limit++;
		return -ENOMEM;
	}
	ft->nhttp++;
	reasm_init(&f->http->reasm[MS_DIR_EGRESS], &ft->budget, &ft->reasm_stats);
	reasm_init(&f->http->reasm[MS_DIR_INGRESS], &ft->budget, &ft->reasm_stats);
	if (f->seq_known) {
		reasm_start(&f->http->reasm[MS_DIR_EGRESS], f->snd_start);
		reasm_start(&f->http->reasm[MS_DIR_INGRESS], f->rcv_start);
	}
	http1_conn_init(&f->http->parser, &ft->http_stats);
	if (f->h2 && !flow_h2_start(ft, f))
		return -ENOMEM;
	return 0;
}

/* The 101 ended the HTTP/1 bytes of this piece: what follows is the server's HTTP/2. */
static void feed_upgraded(struct flow *f, const uint8_t *buf, size_t cap, size_t len, uint64_t ts)
{
	size_t used = f->http->parser.live_bytes;
	struct h2_conn *h2 = flow_h2_start(f->ft, f);

	if (!h2)
		return;
	h2_conn_upgraded(h2, f->http->upgrade);
	if (used > cap)
		used = cap;
	h2_conn_feed(h2, HTTP1_SIDE_RESPONSE, buf ? buf + used : NULL, cap - used, len - used, ts,
		     flow_on_h2_txn, f);
}

void flow_feed_parser(void *ctx, const uint8_t *buf, size_t cap, size_t len, uint64_t ts)
{
	struct feed_ctx *fc = ctx;
	struct flow *f = fc->f;

	if (!cap && len)
		f->partial = true; /* a gap: bytes lost (a capture cut is not one: cap > 0) */
	if (!f->http || f->http_off)
		return;
	if (f->http->h2) {
		h2_conn_feed(f->http->h2, fc->side, buf, cap, len, ts, flow_on_h2_txn, f);
		h2_decide(f, f->http->h2->first_kind, ts);
		if (f->http->h2->lossy)
			f->partial = true; /* frames or names lost: the counts may be short */
		return;
	}
	http1_conn_feed(&f->http->parser, fc->side, buf, cap, len, ts, flow_on_txn, f);
	if (http1_conn_alive(&f->http->parser))
		return;
	if (!f->http->upgrade || fc->side != HTTP1_SIDE_RESPONSE) {
		f->http_off = true; /* upgraded to something else: the rest is not HTTP/1 */
		return;
	}
	feed_upgraded(f, buf, cap, len, ts);
}

enum http1_side flow_side_of(const struct flow *f, uint8_t dir)
{
	bool client = flow_role(f) == MS_ROLE_CLIENT;

	return (dir == MS_DIR_EGRESS) == client ? HTTP1_SIDE_REQUEST : HTTP1_SIDE_RESPONSE;
}

/*
 * The first payload of a flow picks its parser: the HTTP/2 preface (or the
 * SETTINGS frame an HTTP/2 server greets with before it), a frame of a
 * connection first seen mid-stream, or an HTTP/1 request asking for h2c,
 * leave the edge to be decided by the first request;
 * anything else is HTTP/1, decided now. The kernel sends a server's first
 * bytes only when they are such a SETTINGS frame (bpf/proto/http2.h).
 */
static void first_payload(struct flowtab *ft, struct flow *f, uint8_t dir, const uint8_t *data,
			  size_t cap, uint64_t ts)
{
	bool from_client = flow_side_of(f, dir) == HTTP1_SIDE_REQUEST;

	if ((from_client && h2_is_preface(data, cap)) ||
	    (!from_client && h2_is_server_settings(data, cap)))
		f->h2 = f->pending = true;
	else if (!f->seq_known && h2_is_frame_start(data, cap))
		f->h2 = f->h2_midstream = f->pending = true; /* opened before the agent */
	else if (from_client && h2_upgrade_requested(data, cap))
		f->h2c_asked = f->pending = true;
	else
		flow_decide(ft, f, EDGE_PROTO_HTTP, ts);
}

/* Parsed traffic of this flow counts for nothing: a tunnel's bytes are
 * ciphertext or a second copy of the app's; excluded; or decided as TCP. */
static bool flow_skips_http(const struct flow *f)
{
	return f->tunnel || f->excluded || (f->decided && !edge_proto_is_http(f->proto));
}

/* The flow a payload-carrying event belongs to; one the table never saw open is counted. */
static struct flow *payload_flow(struct flowtab *ft, const struct ms_event_hdr *h)
{
	struct flow *f = flow_find(ft, h->cookie);

	if (!f)
		ft->stats.data_without_flow++;
	return f;
}

void flow_on_data(struct flowtab *ft, const struct ms_data_event *ev)
{
	struct flow *f = payload_flow(ft, &ev->hdr);
	struct feed_ctx fc;

	if (!f)
		return;
	f->last_ns = ev->hdr.ts_ns;
	if (f->role == MS_ROLE_UNKNOWN && ev->role != MS_ROLE_UNKNOWN)
		f->role = ev->role;
	if (flow_skips_http(f) || f->tls) /* a TLS flow's bytes here are ciphertext */
		return;
	if (!f->decided && !f->pending)
		first_payload(ft, f, ev->dir, ev->data, ev->cap_len, ev->hdr.ts_ns);
	if (f->http_off || ev->dir > MS_DIR_INGRESS || flow_http_alloc(ft, f)) {
		f->http_off = true;
		return;
	}

	fc.f = f;
	fc.side = flow_side_of(f, ev->dir);
	reasm_segment(&f->http->reasm[ev->dir], ev->seq, ev->data, ev->cap_len, ev->len,
		      ev->hdr.ts_ns, flow_feed_parser, &fc);
}

/*
 * Clear bytes of one SSL call: numbered per direction from 0 and fed to the
 * parsers as if they were captured segments. A handshake mark only makes
 * the flow wait for them (see FLOW_TLS_GRACE_NS).
 */
void flow_on_tls(struct flowtab *ft, const struct ms_tls_data_event *ev)
{
	struct flow *f = payload_flow(ft, &ev->hdr);
	struct feed_ctx fc;

	if (!f)
		return;
	f->last_ns = ev->hdr.ts_ns;
	f->tls = true;
	if (flow_skips_http(f)) {
		if (f->decided && !f->tunnel && !f->excluded && ev->len)
			ft->stats.tls_late++;
		return;
	}
	if (!ev->len)
		return;
	if (!f->decided && !f->pending)
		first_payload(ft, f, ev->dir, ev->data, ev->cap_len, ev->hdr.ts_ns);
	if (f->http_off || flow_http_alloc(ft, f)) {
		f->http_off = true;
		return;
	}
	if (!f->tls_fed) {
		f->tls_fed = true;
		reasm_start(&f->http->reasm[MS_DIR_EGRESS], 0);
		reasm_start(&f->http->reasm[MS_DIR_INGRESS], 0);
	}
	fc.f = f;
	fc.side = flow_side_of(f, ev->dir);
	reasm_segment(&f->http->reasm[ev->dir], f->tls_seq[ev->dir], ev->data, ev->cap_len, ev->len,
		      ev->hdr.ts_ns, flow_feed_parser, &fc);
	f->tls_seq[ev->dir] += ev->len;
}

/* A request the kernel parsed, as the byte parser would have reported it. */
static void req_to_txn(struct flowtab *ft, const struct ms_http_req *r, struct http1_txn *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->method, r->method, r->method_len);
	if (http1_target_path(r->var, r->target_len, t))
		ft->stats.bad_targets++;
	if (r->tp_len == MS_TP_LEN && http1_traceparent_ok(r->var + MS_TARGET_MAX, MS_TP_LEN))
		memcpy(t->traceparent, r->var + MS_TARGET_MAX, MS_TP_LEN);
	t->version_minor = r->version_minor;
	t->req_start_ns = r->start_ns;
	t->req_bytes = r->bytes;
}

static bool flow_takes_http(struct flowtab *ft, struct flow *f, uint64_t ts)
{
	f->last_ns = ts;
	if (flow_skips_http(f))
		return false;
	flow_decide(ft, f, EDGE_PROTO_HTTP, ts);
	return true;
}

void flow_on_pair(struct flowtab *ft, const struct ms_http_pair_event *ev)
{
	struct flow *f = payload_flow(ft, &ev->hdr);
	struct http1_txn t;

	if (!f || !flow_takes_http(ft, f, ev->hdr.ts_ns))
		return;
	req_to_txn(ft, &ev->req, &t);
	t.status = ev->status;
	t.resp_start_ns = ev->resp_start_ns;
	t.resp_end_ns = ev->resp_end_ns;
	t.resp_bytes = ev->resp_bytes;
	if (ev->hdr.flags & MS_PAIR_F_NO_RESPONSE)
		t.flags |= HTTP1_TXN_F_NO_RESPONSE;
	if (ev->hdr.flags & MS_PAIR_F_RESET)
		t.flags |= HTTP1_TXN_F_RESET;
	if (ev->hdr.flags & MS_PAIR_F_RESP_CUT)
		t.flags |= HTTP1_TXN_F_RESP_CUT;
	ft->stats.kernel_txns++;
	record_txn(f, &t, NULL);
}

/*
 * One direction leaves kernel parsing: its bytes from ev->seq on come as
 * payload events, starting with a message. A request handed over goes to
 * the front of the parser's queue, where its response will find it.
 */
void flow_on_mode(struct flowtab *ft, const struct ms_mode_event *ev)
{
	struct flow *f = payload_flow(ft, &ev->hdr);
	struct http1_txn t;

	ft->stats.fallbacks[ev->reason]++;
	if (!f || !flow_takes_http(ft, f, f->last_ns))
		return;
	if (f->http_off || flow_http_alloc(ft, f)) {
		f->http_off = true;
		return;
	}
	reasm_start(&f->http->reasm[ev->dir], ev->seq);
	if (!(ev->hdr.flags & MS_MODE_F_REQ))
		return;
	req_to_txn(ft, &ev->req, &t);
	if (http1_conn_inject(&f->http->parser, &t))
		ft->stats.inject_failed++;
}

/* The flow ends: what its reassembly still holds, then its parser, is flushed. */
void flow_finish_http(struct flow *f, bool reset, uint64_t ts)
{
	struct feed_ctx fc = {.f = f};
	int dir;

	if (!f->http)
		return;
	for (dir = MS_DIR_EGRESS; dir <= MS_DIR_INGRESS; dir++) {
		fc.side = flow_side_of(f, dir);
		reasm_flush(&f->http->reasm[dir], flow_feed_parser, &fc);
	}
	if (f->http->h2)
		h2_conn_close(f->http->h2, reset, ts, flow_on_h2_txn, f);
	else
		http1_conn_close(&f->http->parser, reset, ts, flow_on_txn, f);
}

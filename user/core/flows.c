// SPDX-License-Identifier: BSD-2-Clause
/*
 * See flows.h. The orientation rules live here: the client's socket reports
 * as "source" and the server's as "destination", and both map to the same
 * edge key (client address, server address, server port), so a request seen
 * from both ends lands in the two views of one edge.
 *
 * Tunnel matching pairs an application socket with the mesh proxy socket at
 * its other end, whichever opens first. Client side, the redirected accept's
 * remote end is the app socket's local end (the app socket itself still names
 * the real server). Server side, the proxy connects to the app from the
 * client's own address, so the two sockets' 4-tuples mirror each other.
 * Sockets in other network namespaces can share addresses; every index keeps
 * the first socket of a key, as by_tuple does.
 *
 * What a flow's payload becomes (parsers, kernel pairs, TLS clear text) is
 * in flows_http.c.
 */
#include "core/flow.h"

struct flow *flow_find(const struct flowtab *ft, uint64_t cookie)
{
	struct htab_node *n = htab_find(&ft->flows, &cookie);

	return n ? container_of(n, struct flow, node) : NULL;
}

static void flowtab_free_indexes(struct flowtab *ft)
{
	htab_free(&ft->flows);
	htab_free(&ft->by_tuple);
	htab_free(&ft->tunnel_by_tuple);
	htab_free(&ft->tunnel_by_remote);
	htab_free(&ft->client_by_local);
}

int flowtab_init(struct flowtab *ft, struct aggregator *agg, const struct flow_limits *lim)
{
	const size_t tuple_off = offsetof(struct flow, tuple_key);
	const size_t ep_node = offsetof(struct flow, ep_node);
	char err[128];

	memset(ft, 0, sizeof(*ft));
	ft->agg = agg;
	ft->lim = *lim;
	ft->budget.limit = lim->reasm_budget;
	if (htab_init(&ft->flows, offsetof(struct flow, cookie) - offsetof(struct flow, node),
		      sizeof(uint64_t)) ||
	    htab_init(&ft->by_tuple, tuple_off - offsetof(struct flow, tuple_node),
		      sizeof(struct flow_tuple_key)) ||
	    htab_init(&ft->tunnel_by_tuple, tuple_off - ep_node, sizeof(struct flow_tuple_key)) ||
	    htab_init(&ft->tunnel_by_remote, offsetof(struct flow, ep_key) - ep_node,
		      sizeof(struct flow_ep_key)) ||
	    htab_init(&ft->client_by_local, offsetof(struct flow, ep_key) - ep_node,
		      sizeof(struct flow_ep_key)))
		goto out_nomem;
	return flowtab_set_tunnel_ports(ft, FLOW_TUNNEL_PORTS_DEFAULT, err, sizeof(err));

out_nomem:
	flowtab_free_indexes(ft);
	return -ENOMEM;
}

/* One port of a list at *p, up to ',' or the end; *p moves to what follows. */
static int next_port(const char **p, uint16_t *port, char *err, size_t errlen)
{
	const char *s = *p;
	size_t len = strcspn(s, ","), i;
	uint32_t v = 0;

	if (len == 0 || len > 5 || strspn(s, "0123456789") < len) {
		snprintf(err, errlen,
			 "'%.*s' is not a port: expected numbers 1-65535 separated by commas",
			 (int)(len > 16 ? 16 : len), s);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		v = v * 10 + (uint32_t)(s[i] - '0');
	if (v == 0 || v > 65535) {
		snprintf(err, errlen, "port %u is out of range: expected 1-65535", v);
		return -EINVAL;
	}
	*port = (uint16_t)v;
	*p = s + len;
	return 0;
}

int flowtab_set_tunnel_ports(struct flowtab *ft, const char *list, char *err, size_t errlen)
{
	uint16_t ports[FLOW_TUNNEL_PORTS_MAX];
	const char *p = list;
	uint32_t n = 0, i;

	while (*list) { /* "" lists no port; otherwise the loop ends at the last entry */
		if (n == FLOW_TUNNEL_PORTS_MAX) {
			snprintf(err, errlen, "more than %d tunnel ports", FLOW_TUNNEL_PORTS_MAX);
			return -EINVAL;
		}
		if (next_port(&p, &ports[n], err, errlen))
			return -EINVAL;
		for (i = 0; i < n; i++) {
			if (ports[i] == ports[n]) {
				snprintf(err, errlen, "port %u is listed twice", ports[n]);
				return -EINVAL;
			}
		}
		n++;
		if (!*p)
			break;
		p++; /* the comma: an entry must follow, so "15008," is an error */
	}
	memcpy(ft->tunnel_ports, ports, n * sizeof(ports[0]));
	ft->ntunnel_ports = n;
	return 0;
}

static void tuple_index_remove(struct flowtab *ft, struct flow *f)
{
	if (f->in_tuple_index)
		htab_remove(&ft->by_tuple, &f->tuple_node);
	f->in_tuple_index = false;
}

/* Two sockets with the same 4-tuple (e.g. in two network namespaces): first one wins. */
static void tuple_index_add(struct flowtab *ft, struct flow *f)
{
	memcpy(f->tuple_key.local_addr, f->tuple.local_addr, 16);
	memcpy(f->tuple_key.remote_addr, f->tuple.remote_addr, 16);
	f->tuple_key.local_port = f->tuple.local_port;
	f->tuple_key.remote_port = f->tuple.remote_port;
	if (htab_find(&ft->by_tuple, &f->tuple_key))
		return;
	htab_insert(&ft->by_tuple, &f->tuple_node);
	f->in_tuple_index = true;
}

/* The 4-tuple of the socket at the other end of f. */
static void peer_key(const struct flow *f, struct flow_tuple_key *k)
{
	memcpy(k->local_addr, f->tuple.remote_addr, 16);
	memcpy(k->remote_addr, f->tuple.local_addr, 16);
	k->local_port = f->tuple.remote_port;
	k->remote_port = f->tuple.local_port;
}

/* Is the other end of f a socket this agent watches too? */
bool flow_peer_is_local(const struct flowtab *ft, const struct flow *f)
{
	struct flow_tuple_key k;

	peer_key(f, &k);
	return htab_find(&ft->by_tuple, &k) != NULL;
}

static struct flow *flow_by_tuple(const struct flowtab *ft, const struct flow_tuple_key *k)
{
	struct htab_node *n = htab_find(&ft->by_tuple, k);

	return n ? container_of(n, struct flow, tuple_node) : NULL;
}

static struct htab *ep_htab(struct flowtab *ft, uint8_t which)
{
	switch (which) {
	case EP_TUNNEL_TUPLE:
		return &ft->tunnel_by_tuple;
	case EP_TUNNEL_REMOTE:
		return &ft->tunnel_by_remote;
	case EP_CLIENT_LOCAL:
		return &ft->client_by_local;
	}
	return NULL;
}

static struct flow *ep_find(struct htab *h, const void *key)
{
	struct htab_node *n = htab_find(h, key);

	return n ? container_of(n, struct flow, ep_node) : NULL;
}

static void ep_index_remove(struct flowtab *ft, struct flow *f)
{
	if (f->ep_index != EP_NONE)
		htab_remove(ep_htab(ft, f->ep_index), &f->ep_node);
	f->ep_index = EP_NONE;
}

/* The key (tuple_key or ep_key) is already set; the first socket of a key stays. */
static void ep_index_add(struct flowtab *ft, struct flow *f, uint8_t which)
{
	struct htab *h = ep_htab(ft, which);
	const void *key = which == EP_TUNNEL_TUPLE ? (const void *)&f->tuple_key : &f->ep_key;

	if (htab_find(h, key))
		return;
	htab_insert(h, &f->ep_node);
	f->ep_index = which;
}

static void ep_key_set(struct flow_ep_key *k, const uint8_t addr[16], uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, addr, 16);
	k->port = port;
}

static void flow_free_http(struct flowtab *ft, struct flow *f)
{
	if (!f->http)
		return;
	if (f->http->h2) {
		h2_conn_free(f->http->h2);
		free(f->http->h2);
	}
	free(f->http->upgrade);
	reasm_release(&f->http->reasm[0]);
	reasm_release(&f->http->reasm[1]);
	free(f->http);
	f->http = NULL;
	ft->nhttp--;
}

void flow_destroy(struct flowtab *ft, struct flow *f)
{
	htab_remove(&ft->flows, &f->node);
	tuple_index_remove(ft, f);
	ep_index_remove(ft, f);
	flow_free_http(ft, f);
	free(f);
}

void flowtab_free(struct flowtab *ft)
{
	struct htab_node *n, *tmp;
	size_t i;

	htab_for_each_safe(&ft->flows, n, tmp, i)
	    flow_destroy(ft, container_of(n, struct flow, node));
	flowtab_free_indexes(ft);
}

size_t flowtab_count(const struct flowtab *ft)
{
	return ft->flows.count;
}

/*
 * A flow first seen mid-stream and never classified has no known role; an
 * ephemeral-looking local port is the best guess that it is the client.
 */
uint8_t flow_role(const struct flow *f)
{
	if (f->role != MS_ROLE_UNKNOWN)
		return f->role;
	return f->tuple.local_port > f->tuple.remote_port ? MS_ROLE_CLIENT : MS_ROLE_SERVER;
}

enum edge_reporter flow_reporter(const struct flow *f)
{
	return flow_role(f) == MS_ROLE_CLIENT ? REPORTER_SOURCE : REPORTER_DESTINATION;
}

static void flow_edge_key(const struct flow *f, struct edge_key *k)
{
	memset(k, 0, sizeof(*k));
	k->proto = f->proto;
	if (flow_role(f) == MS_ROLE_CLIENT) {
		memcpy(k->src_addr, f->tuple.local_addr, 16);
		memcpy(k->dst_addr, f->tuple.remote_addr, 16);
		k->dst_port = f->tuple.remote_port;
	} else {
		memcpy(k->src_addr, f->tuple.remote_addr, 16);
		memcpy(k->dst_addr, f->tuple.local_addr, 16);
		k->dst_port = f->tuple.local_port;
	}
}

/* Once per flow, when it is decided: which pods own its two ends now. */
static void flow_resolve_owners(struct flowtab *ft, struct flow *f)
{
	bool client = flow_role(f) == MS_ROLE_CLIENT;
	struct edge_key k;

	if (!ft->owner)
		return;
	flow_edge_key(f, &k);
	if (!ft->owner(ft->owner_ctx, k.src_addr, client ? f->cgroup_id : 0, 0,
		       f->owner[REPORTER_SOURCE]))
		f->owner[REPORTER_SOURCE][0] = '\0';
	if (!ft->owner(ft->owner_ctx, k.dst_addr, client ? 0 : f->cgroup_id, k.dst_port,
		       f->owner[REPORTER_DESTINATION]))
		f->owner[REPORTER_DESTINATION][0] = '\0';
}

/*
 * Does the edge end belong to another pod than the flow's? Stamps an
 * unstamped end. A flow older than the edge's pod (its own pod gone since)
 * is not a reason to retire the edge; the owner is asked again to tell.
 */
static bool end_owner_changed(struct flowtab *ft, const struct flow *f, struct edge_end *end,
			      const uint8_t addr[16], enum edge_reporter which)
{
	const char *mine = f->owner[which];
	char now[EDGE_UID_MAX];

	if (!mine[0])
		return false;
	if (!end->pod_uid[0]) {
		memcpy(end->pod_uid, mine, sizeof(end->pod_uid));
		return false;
	}
	if (!strcmp(end->pod_uid, mine))
		return false;
	return ft->owner(ft->owner_ctx, addr, end->cgroup_id, end->port, now) && !strcmp(now, mine);
}

struct edge *flow_edge(struct flowtab *ft, struct flow *f, uint64_t now_ns)
{
	struct edge_key k;
	struct edge_end *end;
	struct edge *e;

	flow_edge_key(f, &k);
	/* The key's hash and compare are most of a request's cost: look up once. */
	if (f->edge && f->edge_gen == ft->agg->destroyed && f->edge->key.proto == f->proto)
		e = f->edge;
	else
		e = agg_edge(ft->agg, &k, now_ns);
	f->edge = NULL;
	if (!e)
		return NULL;
	if (end_owner_changed(ft, f, &e->src, k.src_addr, REPORTER_SOURCE) ||
	    end_owner_changed(ft, f, &e->dst, k.dst_addr, REPORTER_DESTINATION)) {
		agg_retire(ft->agg, e);
		e = agg_edge(ft->agg, &k, now_ns);
		if (!e)
			return NULL;
		memcpy(e->src.pod_uid, f->owner[REPORTER_SOURCE], EDGE_UID_MAX);
		memcpy(e->dst.pod_uid, f->owner[REPORTER_DESTINATION], EDGE_UID_MAX);
	}
	/* This socket is local: it names its end of the edge. */
	end = flow_role(f) == MS_ROLE_CLIENT ? &e->src : &e->dst;
	end->cgroup_id = f->cgroup_id;
	if (f->comm[0])
		memcpy(end->comm, f->comm, sizeof(end->comm));
	if (f->carried)
		e->mutual_tls = true;
	if (f->partial)
		e->partial = true;
	if (f->tls)
		e->tls = true;
	f->edge = e;
	f->edge_gen = ft->agg->destroyed;
	return e;
}

/* Adds what the kernel counted since the last time to the flow's edge. */
void flow_account_tcp(struct flowtab *ft, struct flow *f, uint64_t acked, uint64_t received,
		      uint32_t retrans, uint32_t srtt_us, uint64_t now_ns)
{
	uint64_t d_acked = acked > f->acct_sent ? acked - f->acct_sent : 0;
	uint64_t d_recv = received > f->acct_received ? received - f->acct_received : 0;
	uint32_t d_retr = retrans > f->acct_retrans ? retrans - f->acct_retrans : 0;
	struct edge *e;

	if (!f->decided)
		return; /* kept in the kernel counters until the edge is known */
	e = flow_edge(ft, f, now_ns);
	if (!e)
		return;
	f->acct_sent += d_acked;
	f->acct_received += d_recv;
	f->acct_retrans += d_retr;
	/* The edge counts source -> destination as "sent". */
	if (flow_role(f) == MS_ROLE_CLIENT)
		agg_record_tcp(ft->agg, e, REPORTER_SOURCE, d_acked, d_recv, d_retr, srtt_us,
			       now_ns);
	else
		agg_record_tcp(ft->agg, e, REPORTER_DESTINATION, d_recv, d_acked, d_retr, srtt_us,
			       now_ns);
}

void flow_decide(struct flowtab *ft, struct flow *f, enum edge_proto proto, uint64_t now_ns)
{
	struct edge *e;

	if (f->decided || f->tunnel || f->excluded)
		return;
	f->decided = true;
	f->pending = false;
	f->proto = proto;
	flow_resolve_owners(ft, f);
	e = flow_edge(ft, f, now_ns);
	if (e)
		agg_record_open(ft->agg, e, flow_reporter(f), now_ns);
}

/*
 * A tunnel port is a listening port: a client whose ephemeral port happens
 * to be 15001 is still an application socket.
 */
static bool flow_is_tunnel(const struct flowtab *ft, const struct flow *f)
{
	uint16_t listening =
	    flow_role(f) == MS_ROLE_CLIENT ? f->tuple.remote_port : f->tuple.local_port;
	uint32_t i;

	for (i = 0; i < ft->ntunnel_ports; i++)
		if (listening == ft->tunnel_ports[i])
			return true;
	return ft->is_tunnel_cgroup && ft->is_tunnel_cgroup(ft->tunnel_cgroup_ctx, f->cgroup_id);
}

static void mark_carried(struct flowtab *ft, struct flow *app)
{
	if (app->carried)
		return;
	app->carried = true;
	ft->stats.tunnel_carried++;
}

/*
 * A tunnel socket that accepted carries the client app socket at its remote
 * end; one that connected may be the spoofed connect to a server app, whose
 * socket then mirrors its 4-tuple.
 */
static void tunnel_open(struct flowtab *ft, struct flow *t)
{
	struct flow_tuple_key k;
	struct flow *app;

	if (flow_role(t) == MS_ROLE_SERVER) {
		ep_key_set(&t->ep_key, t->tuple.remote_addr, t->tuple.remote_port);
		ep_index_add(ft, t, EP_TUNNEL_REMOTE);
		app = ep_find(&ft->client_by_local, &t->ep_key);
	} else {
		ep_index_add(ft, t, EP_TUNNEL_TUPLE);
		peer_key(t, &k);
		app = flow_by_tuple(ft, &k);
		if (app && (app->tunnel || flow_role(app) != MS_ROLE_SERVER))
			app = NULL;
	}
	if (app)
		mark_carried(ft, app);
}

/* The mirror image of tunnel_open, for when the application socket opens second. */
static void app_open(struct flowtab *ft, struct flow *f)
{
	struct flow_tuple_key k;

	if (flow_role(f) == MS_ROLE_CLIENT) {
		ep_key_set(&f->ep_key, f->tuple.local_addr, f->tuple.local_port);
		ep_index_add(ft, f, EP_CLIENT_LOCAL);
		if (ep_find(&ft->tunnel_by_remote, &f->ep_key))
			mark_carried(ft, f);
		return;
	}
	peer_key(f, &k);
	if (ep_find(&ft->tunnel_by_tuple, &k))
		mark_carried(ft, f);
}

static void exclude_flow(struct flowtab *ft, struct flow *f)
{
	if (f->excluded)
		return;
	f->excluded = true;
	ft->stats.excluded_flows++;
}

/*
 * An excluded socket, or the peer of one: the agent's export to a collector
 * watched on this node must not show up from the collector's socket either.
 * Whichever of the two opens first, the second finds the first by 4-tuple.
 */
static bool flow_check_excluded(struct flowtab *ft, struct flow *f)
{
	struct flow_tuple_key k;
	struct flow *peer;

	peer_key(f, &k);
	peer = flow_by_tuple(ft, &k);
	if (ft->is_excluded && ft->is_excluded(ft->exclude_ctx, f->pid, f->comm, f->cgroup_id)) {
		exclude_flow(ft, f);
		if (peer && !peer->decided)
			exclude_flow(ft, peer);
	} else if (peer && peer->excluded) {
		exclude_flow(ft, f);
	}
	return f->excluded;
}

static void flow_classify(struct flowtab *ft, struct flow *f)
{
	bool tunnel;

	if (flow_check_excluded(ft, f))
		return;
	tunnel = flow_is_tunnel(ft, f);

	if (tunnel && !f->tunnel)
		ft->stats.tunnel_flows++;
	f->tunnel = tunnel;
	if (tunnel)
		tunnel_open(ft, f);
	else
		app_open(ft, f);
}

static struct flow *flow_create(struct flowtab *ft, uint64_t cookie)
{
	struct flow *f;

	if (ft->flows.count >= ft->lim.max_flows) {
		ft->stats.flows_limit++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		ft->stats.flows_limit++;
		return NULL;
	}
	f->cookie = cookie;
	f->ft = ft;
	htab_insert(&ft->flows, &f->node);
	return f;
}

static void on_open(struct flowtab *ft, const struct ms_conn_open_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);

	if (!f)
		f = flow_create(ft, ev->hdr.cookie);
	if (!f)
		return;
	ep_index_remove(ft, f);
	tuple_index_remove(ft, f);
	f->tuple = ev->tuple;
	tuple_index_add(ft, f);
	f->cgroup_id = ev->cgroup_id;
	f->pid = ev->pid;
	memcpy(f->comm, ev->comm, sizeof(f->comm));
	f->role = ev->role;
	f->origin = ev->origin;
	f->seq_known = ev->seq_known;
	f->snd_start = ev->snd_nxt;
	f->rcv_start = ev->rcv_nxt;
	f->last_ns = ev->hdr.ts_ns;
	flow_classify(ft, f);
	if (ev->l7 == MS_L7_OPAQUE)
		flow_decide(ft, f, EDGE_PROTO_TCP, ev->hdr.ts_ns);
}

/* What ends a flow: the close event, or the kernel entry that kept it (ring full). */
struct flow_end {
	bool reset, lost;
	uint64_t acked, received;
	uint32_t retrans, srtt_us;
	uint64_t ts;
};

static void flow_close(struct flowtab *ft, struct flow *f, const struct flow_end *c)
{
	struct edge *e;

	if (c->lost)
		f->partial = true;
	if (f->tunnel || f->excluded) {
		if (f->tunnel)
			ft->stats.tunnel_bytes += c->acked + c->received;
		flow_destroy(ft, f);
		return;
	}
	f->last_ns = c->ts;
	if (f->pending) {
		/* Its streams decide the edge; without any, it is still what it spoke. */
		flow_finish_http(f, c->reset, c->ts);
		flow_decide(ft, f,
			    f->h2 || (f->http && f->http->h2) ? EDGE_PROTO_HTTP2 : EDGE_PROTO_HTTP,
			    c->ts);
	} else {
		flow_decide(ft, f, EDGE_PROTO_TCP, c->ts);
		if (edge_proto_is_http(f->proto))
			flow_finish_http(f, c->reset, c->ts);
	}
	flow_account_tcp(ft, f, c->acked, c->received, c->retrans, c->srtt_us, c->ts);
	e = flow_edge(ft, f, c->ts);
	if (e)
		agg_record_close(ft->agg, e, flow_reporter(f), c->reset, c->ts);
	flow_destroy(ft, f);
}

static void on_close(struct flowtab *ft, const struct ms_conn_close_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);
	struct flow_end c = {
	    .reset = ev->hdr.flags & MS_CLOSE_F_RESET,
	    .lost = ev->hdr.flags & MS_CLOSE_F_LOST, /* the kernel entry goes with the close */
	    .acked = ev->bytes_acked,
	    .received = ev->bytes_received,
	    .retrans = ev->total_retrans,
	    .srtt_us = ev->srtt_us,
	    .ts = ev->hdr.ts_ns,
	};

	if (!f) {
		ft->stats.close_without_flow++;
		return;
	}
	flow_close(ft, f, &c);
}

static bool http_req_ok(const struct ms_http_req *r)
{
	return r->method_len >= 1 && r->method_len < sizeof(r->method) &&
	       r->target_len <= MS_TARGET_MAX && (r->tp_len == 0 || r->tp_len == MS_TP_LEN);
}

/* A pair event is sent only up to the bytes its request uses (MS_PAIR_SIZE). */
static bool pair_ok(const struct ms_http_pair_event *ev, size_t size)
{
	return size >= MS_PAIR_SIZE(0, 0) && http_req_ok(&ev->req) &&
	       size >= MS_PAIR_SIZE(ev->req.tp_len, ev->req.target_len);
}

static bool mode_ok(const struct ms_mode_event *ev, size_t size)
{
	if (size < offsetof(struct ms_mode_event, req) || ev->dir > MS_DIR_INGRESS ||
	    ev->reason >= MS_FB__MAX)
		return false;
	return !(ev->hdr.flags & MS_MODE_F_REQ) || (size >= sizeof(*ev) && http_req_ok(&ev->req));
}

static bool record_size_ok(const struct ms_event_hdr *h, size_t size)
{
	const struct ms_data_event *d = (const void *)h;

	switch (h->type) {
	case MS_EV_CONN_OPEN:
		return size >= sizeof(struct ms_conn_open_event);
	case MS_EV_CONN_CLOSE:
		return size >= sizeof(struct ms_conn_close_event);
	case MS_EV_DATA:
		return size >= sizeof(*d) && d->cap_len <= size - sizeof(*d) &&
		       d->cap_len <= d->len && d->cap_len <= MS_CAPTURE_MAX;
	case MS_EV_HTTP_PAIR:
		return pair_ok((const struct ms_http_pair_event *)h, size);
	case MS_EV_MODE:
		return mode_ok((const struct ms_mode_event *)h, size);
	case MS_EV_TLS_DATA: {
		const struct ms_tls_data_event *t = (const void *)h;

		return size >= sizeof(*t) && t->cap_len <= size - sizeof(*t) &&
		       t->cap_len <= t->len && t->cap_len <= MS_CAPTURE_MAX &&
		       t->dir <= MS_DIR_INGRESS;
	}
	}
	return false;
}

int flowtab_handle_event(struct flowtab *ft, const void *data, size_t size)
{
	const struct ms_event_hdr *h = data;

	if (size < sizeof(*h) || !record_size_ok(h, size)) {
		ft->stats.malformed_events++;
		return -EINVAL;
	}
	ft->stats.events[h->type]++;
	ft->stats.event_bytes += size;
	switch (h->type) {
	case MS_EV_CONN_OPEN:
		on_open(ft, data);
		break;
	case MS_EV_CONN_CLOSE:
		on_close(ft, data);
		break;
	case MS_EV_DATA:
		flow_on_data(ft, data);
		break;
	case MS_EV_HTTP_PAIR:
		flow_on_pair(ft, data);
		break;
	case MS_EV_MODE:
		flow_on_mode(ft, data);
		break;
	case MS_EV_TLS_DATA:
		flow_on_tls(ft, data);
		break;
	}
	return 0;
}

/*
 * Can this connection be gone without a word? Sockops reports the close of
 * every connection whose handshake it saw (or marks its entry closed when
 * the ring is full), so those are kept until they close, however quiet:
 * the skb hooks refresh last_seen_ns only now and then (every
 * MS_REFRESH_EVERY payload packets, and at request starts), and a pooled
 * connection may send nothing for hours. Only connections first seen
 * mid-stream, whose close nobody reports, are forgotten after idle_ns
 * without a packet (their packets all take the capture path, which
 * refreshes it each time).
 */
static bool flow_may_vanish(uint8_t origin)
{
	return origin != MS_ORIGIN_SOCKOPS;
}

bool flowtab_sync_kernel(struct flowtab *ft, uint64_t cookie, const struct ms_conn *kc,
			 uint64_t now_ns)
{
	struct flow *f = flow_find(ft, cookie);
	bool stale = flow_may_vanish(kc->origin) && ft->lim.idle_ns && now_ns > kc->last_seen_ns &&
		     now_ns - kc->last_seen_ns > ft->lim.idle_ns;

	/*
	 * Closed with no flow: its open event may still be in the ring (both
	 * were sent while the consumer was behind), so the entry waits for the
	 * next scans; only when none came does it go.
	 */
	if (!f)
		return (stale && kc->opened_ns) ||
		       ((kc->flags & MS_CONN_F_CLOSED) && now_ns > kc->last_seen_ns &&
			now_ns - kc->last_seen_ns > FLOW_CLOSED_GRACE_NS);
	if (kc->flags & MS_CONN_F_CLOSED) {
		/* Its close event was lost: the kernel kept the final counters. */
		struct flow_end c = {
		    .reset = kc->flags & MS_CONN_F_RESET,
		    .lost = true,
		    .acked = kc->bytes_acked,
		    .received = kc->bytes_received,
		    .retrans = kc->total_retrans,
		    .srtt_us = kc->srtt_us,
		    .ts = kc->last_seen_ns,
		};

		ft->stats.closes_recovered++;
		flow_close(ft, f, &c);
		return true;
	}
	if (kc->last_seen_ns > f->last_ns)
		f->last_ns = kc->last_seen_ns;
	if (kc->flags & MS_CONN_F_LOST)
		f->partial = true;
	if (kc->l7 == MS_L7_OPAQUE && !f->tls &&
	    (!ft->tls_grace_ns || now_ns - kc->opened_ns >= ft->tls_grace_ns))
		flow_decide(ft, f, EDGE_PROTO_TCP, now_ns); /* also a greeting that led nowhere */
	flow_account_tcp(ft, f, kc->bytes_acked, kc->bytes_received, kc->total_retrans, kc->srtt_us,
			 now_ns);
	return stale;
}

void flowtab_expire(struct flowtab *ft, uint64_t now_ns)
{
	struct htab_node *n, *tmp;
	struct flow *f;
	size_t i;

	if (!ft->lim.idle_ns)
		return;
	htab_for_each_safe(&ft->flows, n, tmp, i)
	{
		f = container_of(n, struct flow, node);
		if (flow_may_vanish(f->origin) && now_ns > f->last_ns &&
		    now_ns - f->last_ns > ft->lim.idle_ns) {
			ft->stats.flows_evicted_idle++;
			flow_destroy(ft, f);
		}
	}
}

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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/flows.h"

/* HTTP parsing state, allocated only for flows that carry payload. */
struct flow_http {
	struct reasm_dir reasm[2]; /* by enum ms_dir */
	struct http1_conn parser;
	struct h2_conn *h2; /* HTTP/2: replaces parser (prior knowledge, or after a 101) */
	/* The request a "101" to "Upgrade: h2c" answered: the response side then
	 * switches to HTTP/2. Allocated only then, so HTTP/1 flows do not pay for it. */
	struct http1_txn *upgrade;
};

/* Which tunnel matching index a flow is in (see struct flowtab). */
enum flow_ep_index {
	EP_NONE = 0,
	EP_TUNNEL_TUPLE,  /* key: tuple_key */
	EP_TUNNEL_REMOTE, /* key: ep_key = remote end */
	EP_CLIENT_LOCAL,  /* key: ep_key = local end */
};

/* Nodes come before their keys: htab keeps the key's offset from the node. */
struct flow {
	struct htab_node node;
	uint64_t cookie;
	struct htab_node tuple_node;
	struct htab_node ep_node;
	struct flow_tuple_key tuple_key;
	struct flow_ep_key ep_key;
	uint8_t ep_index; /* enum flow_ep_index */
	bool in_tuple_index;
	bool tunnel;   /* a mesh proxy's socket: counted, never an edge */
	bool carried;  /* an application socket whose peer is a local tunnel socket */
	bool excluded; /* not observed: an excluded process's socket or its local peer */
	bool partial;  /* some of its bytes were not seen (lost events, a stream gap) */
	uint64_t ntxn; /* transactions reported so far */
	struct ms_tuple tuple;
	uint64_t cgroup_id;
	uint64_t last_ns; /* last event or kernel-seen packet */
	uint32_t pid;
	uint32_t snd_start, rcv_start;
	uint8_t role;
	uint8_t origin;
	bool seq_known;
	bool decided;	     /* counted into an edge, proto below is final */
	bool http_off;	     /* no parser (limit reached or upgraded) */
	bool pending;	     /* HTTP/2 candidate: the edge is decided by its first request */
	bool h2;	     /* started with the HTTP/2 preface */
	bool h2c_asked;	     /* first request asked for "Upgrade: h2c" */
	bool tls;	     /* TLS through libssl: clear bytes come as MS_EV_TLS_DATA */
	bool tls_fed;	     /* its clear streams are numbered in tls_seq */
	uint32_t tls_seq[2]; /* by enum ms_dir: clear bytes so far */
	uint8_t proto;	     /* enum edge_proto once decided */
	char comm[MS_COMM_LEN];
	/* Pods owning the client and server ends when the flow was decided
	 * ("" when none or not known), by enum edge_reporter. */
	char owner[REPORTER__MAX][EDGE_UID_MAX];
	uint64_t acct_sent, acct_received; /* kernel byte counters already added to the edge */
	uint32_t acct_retrans;
	struct flow_http *http;
	struct flowtab *ft; /* for the parser callback */
	/* Its edge, valid while the aggregator has destroyed no edge since. */
	struct edge *edge;
	uint64_t edge_gen;
};

static struct flow *flow_find(const struct flowtab *ft, uint64_t cookie)
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
static bool peer_is_local(const struct flowtab *ft, const struct flow *f)
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

static void flow_destroy(struct flowtab *ft, struct flow *f)
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
static uint8_t flow_role(const struct flow *f)
{
	if (f->role != MS_ROLE_UNKNOWN)
		return f->role;
	return f->tuple.local_port > f->tuple.remote_port ? MS_ROLE_CLIENT : MS_ROLE_SERVER;
}

static enum edge_reporter flow_reporter(const struct flow *f)
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

static struct edge *flow_edge(struct flowtab *ft, struct flow *f, uint64_t now_ns)
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
static void flow_account_tcp(struct flowtab *ft, struct flow *f, uint64_t acked, uint64_t received,
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

static void flow_decide(struct flowtab *ft, struct flow *f, enum edge_proto proto, uint64_t now_ns)
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
	info->peer_local = peer_is_local(ft, f);
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
static void on_txn(void *ctx, const struct http1_txn *t)
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

static void on_h2_txn(void *ctx, const struct http1_txn *t, const char *grpc_message)
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

struct feed_ctx {
	struct flow *f;
	enum http1_side side;
};

static void on_h2_txn(void *ctx, const struct http1_txn *t, const char *grpc_message);

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
		     on_h2_txn, f);
}

static void feed_parser(void *ctx, const uint8_t *buf, size_t cap, size_t len, uint64_t ts)
{
	struct feed_ctx *fc = ctx;
	struct flow *f = fc->f;

	if (!cap && len)
		f->partial = true; /* a gap: bytes lost (a capture cut is not one: cap > 0) */
	if (!f->http || f->http_off)
		return;
	if (f->http->h2) {
		h2_conn_feed(f->http->h2, fc->side, buf, cap, len, ts, on_h2_txn, f);
		h2_decide(f, f->http->h2->first_kind, ts);
		if (f->http->h2->lossy)
			f->partial = true; /* frames or names lost: the counts may be short */
		return;
	}
	http1_conn_feed(&f->http->parser, fc->side, buf, cap, len, ts, on_txn, f);
	if (http1_conn_alive(&f->http->parser))
		return;
	if (!f->http->upgrade || fc->side != HTTP1_SIDE_RESPONSE) {
		f->http_off = true; /* upgraded to something else: the rest is not HTTP/1 */
		return;
	}
	feed_upgraded(f, buf, cap, len, ts);
}

static enum http1_side side_of(const struct flow *f, uint8_t dir)
{
	bool client = flow_role(f) == MS_ROLE_CLIENT;

	return (dir == MS_DIR_EGRESS) == client ? HTTP1_SIDE_REQUEST : HTTP1_SIDE_RESPONSE;
}

/*
 * The first payload of a flow picks its parser: the HTTP/2 preface (or the
 * SETTINGS frame an HTTP/2 server greets with before it), or an HTTP/1
 * request asking for h2c, leave the edge to be decided by the first request;
 * anything else is HTTP/1, decided now. The kernel sends a server's first
 * bytes only when they are such a SETTINGS frame (bpf/proto/http2.h).
 */
static void first_payload(struct flowtab *ft, struct flow *f, uint8_t dir, const uint8_t *data,
			  size_t cap, uint64_t ts)
{
	bool from_client = side_of(f, dir) == HTTP1_SIDE_REQUEST;

	if ((from_client && h2_is_preface(data, cap)) ||
	    (!from_client && h2_is_server_settings(data, cap)))
		f->h2 = f->pending = true;
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

static void on_data(struct flowtab *ft, const struct ms_data_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);
	struct feed_ctx fc;

	if (!f) {
		ft->stats.data_without_flow++;
		return;
	}
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
	fc.side = side_of(f, ev->dir);
	reasm_segment(&f->http->reasm[ev->dir], ev->seq, ev->data, ev->cap_len, ev->len,
		      ev->hdr.ts_ns, feed_parser, &fc);
}

/*
 * Clear bytes of one SSL call: numbered per direction from 0 and fed to the
 * parsers as if they were captured segments. A handshake mark only makes
 * the flow wait for them (see FLOW_TLS_GRACE_NS).
 */
static void on_tls(struct flowtab *ft, const struct ms_tls_data_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);
	struct feed_ctx fc;

	if (!f) {
		ft->stats.data_without_flow++;
		return;
	}
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
	fc.side = side_of(f, ev->dir);
	reasm_segment(&f->http->reasm[ev->dir], f->tls_seq[ev->dir], ev->data, ev->cap_len, ev->len,
		      ev->hdr.ts_ns, feed_parser, &fc);
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

static void on_pair(struct flowtab *ft, const struct ms_http_pair_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);
	struct http1_txn t;

	if (!f) {
		ft->stats.data_without_flow++;
		return;
	}
	if (!flow_takes_http(ft, f, ev->hdr.ts_ns))
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
static void on_mode(struct flowtab *ft, const struct ms_mode_event *ev)
{
	struct flow *f = flow_find(ft, ev->hdr.cookie);
	struct http1_txn t;

	ft->stats.fallbacks[ev->reason]++;
	if (!f) {
		ft->stats.data_without_flow++;
		return;
	}
	if (!flow_takes_http(ft, f, f->last_ns))
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

static void flow_finish_http(struct flow *f, bool reset, uint64_t ts)
{
	struct feed_ctx fc = {.f = f};
	int dir;

	if (!f->http)
		return;
	for (dir = MS_DIR_EGRESS; dir <= MS_DIR_INGRESS; dir++) {
		fc.side = side_of(f, dir);
		reasm_flush(&f->http->reasm[dir], feed_parser, &fc);
	}
	if (f->http->h2)
		h2_conn_close(f->http->h2, reset, ts, on_h2_txn, f);
	else
		http1_conn_close(&f->http->parser, reset, ts, on_txn, f);
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
		on_data(ft, data);
		break;
	case MS_EV_HTTP_PAIR:
		on_pair(ft, data);
		break;
	case MS_EV_MODE:
		on_mode(ft, data);
		break;
	case MS_EV_TLS_DATA:
		on_tls(ft, data);
		break;
	}
	return 0;
}

bool flowtab_sync_kernel(struct flowtab *ft, uint64_t cookie, const struct ms_conn *kc,
			 uint64_t now_ns)
{
	struct flow *f = flow_find(ft, cookie);
	bool stale = ft->lim.idle_ns && now_ns > kc->last_seen_ns &&
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
		if (now_ns > f->last_ns && now_ns - f->last_ns > ft->lim.idle_ns) {
			ft->stats.flows_evicted_idle++;
			flow_destroy(ft, f);
		}
	}
}

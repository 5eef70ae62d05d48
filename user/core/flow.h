/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the flow table (the API is core/flows.h): one flow per socket and
 * what flows.c (the table, ends, edges, tunnels, open and close) and
 * flows_http.c (payload and HTTP) share.
 */
#ifndef MESHSIGHT_FLOW_H
#define MESHSIGHT_FLOW_H

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
	bool h2_midstream;   /* HTTP/2 first seen mid-stream: no preface, HPACK lost */
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

/* The reassembler's sink: which flow, and which side of its parser. */
struct feed_ctx {
	struct flow *f;
	enum http1_side side;
};

/* flows.c: the table, the flow's ends and its edge. */
struct flow *flow_find(const struct flowtab *ft, uint64_t cookie);
bool flow_peer_is_local(const struct flowtab *ft, const struct flow *f);
void flow_destroy(struct flowtab *ft, struct flow *f);
uint8_t flow_role(const struct flow *f);
enum edge_reporter flow_reporter(const struct flow *f);
struct edge *flow_edge(struct flowtab *ft, struct flow *f, uint64_t now_ns);
void flow_account_tcp(struct flowtab *ft, struct flow *f, uint64_t acked, uint64_t received,
		      uint32_t retrans, uint32_t srtt_us, uint64_t now_ns);
void flow_decide(struct flowtab *ft, struct flow *f, enum edge_proto proto, uint64_t now_ns);

/* flows_http.c: payload, parsers and the kernel's pairs. */
void flow_on_txn(void *ctx, const struct http1_txn *t);
void flow_on_h2_txn(void *ctx, const struct http1_txn *t, const char *grpc_message);
void flow_feed_parser(void *ctx, const uint8_t *buf, size_t cap, size_t len, uint64_t ts);
enum http1_side flow_side_of(const struct flow *f, uint8_t dir);
void flow_on_data(struct flowtab *ft, const struct ms_data_event *ev);
void flow_on_tls(struct flowtab *ft, const struct ms_tls_data_event *ev);
void flow_on_pair(struct flowtab *ft, const struct ms_http_pair_event *ev);
void flow_on_mode(struct flowtab *ft, const struct ms_mode_event *ev);
void flow_finish_http(struct flow *f, bool reset, uint64_t ts);

#endif /* MESHSIGHT_FLOW_H */

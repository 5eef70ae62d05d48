/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userspace connection table: turns the kernel's events into edge updates.
 *
 * One flow per socket cookie. A flow is created by the connection-open event,
 * fed payload events (reassembled per direction, then parsed as HTTP/1 or
 * HTTP/2), kept in step with the kernel's live TCP counters by a periodic
 * scan, and finished by the close event. A flow is counted into exactly one
 * edge, whose protocol is decided once: "http" at its first payload event,
 * "tcp" when the kernel declares it opaque or it closes without payload.
 *
 * HTTP/2 over cleartext: a client whose first bytes are the preface (prior
 * knowledge), or whose first request asks for "Upgrade: h2c" and gets a 101,
 * is parsed by h2.c. Its edge is decided at its first finished stream:
 * "grpc" when that stream's content-type is application/grpc, else "http2"
 * (a refused upgrade makes it "http"; a close with no stream, "http2"). All
 * later streams of the connection count on that edge.
 *
 * HTTPS read through libssl (MS_EV_TLS_DATA): the clear bytes of a
 * connection feed the same parsers, on the socket's own flow, in place of
 * the ciphertext, which the kernel leaves opaque and this table ignores
 * for a TLS flow; its edge is marked tls. Each direction's clear stream is
 * numbered from 0 here (the library's calls on one connection come in
 * order), so reassembly and parsing are the same as for captured segments.
 *
 * Excluded sockets (the agent's own: its OTLP exports and the scrapes of
 * its endpoint; and any process or cgroup the operator excludes) never make
 * an edge, and neither does their peer socket when it is watched here too,
 * so the agent never reports, or traces, its own traffic.
 *
 * Mesh tunnels (Istio ambient's ztunnel, a sidecar's capture ports) put
 * extra sockets on the path that belong to the proxy, not the application:
 * the redirected accept of the app's own connection, the mTLS connection
 * between nodes, and on the server side a connect to the app that spoofs the
 * client's address. Such a "tunnel flow" is recognised by a tunnel port at
 * its listening end or by its socket's cgroup (the agent's callback). It never
 * makes an edge (its bytes are ciphertext or a second copy of the app's);
 * instead, an application flow whose local peer is a tunnel socket has its
 * edge marked mutual_tls.
 *
 * An edge end remembers the pod it was first recorded for. A connection's
 * ends are resolved to pods once, when it is first counted; a connection
 * whose end belongs to another pod than the edge's (the address was given
 * to a new pod) retires that edge and starts a new one, so no count of the
 * old pod is ever shown under the new pod's name.
 *
 * Pure C with no libbpf, so the unit tests drive it with crafted events.
 */
#ifndef MESHSIGHT_FLOWS_H
#define MESHSIGHT_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meshsight_events.h"

#include "core/aggregator.h"
#include "core/h2.h"
#include "lib/htab.h"
#include "core/http1.h"
#include "core/reasm.h"

struct flow_limits {
	uint32_t max_flows;  /* flows tracked at once */
	uint32_t max_http;   /* flows with HTTP parsing state at once */
	size_t reasm_budget; /* bytes of out-of-order payload held, all flows together */
	uint64_t idle_ns;    /* a flow first seen mid-stream with no packet this long is dropped */
};

struct flow_stats {
	uint64_t events[MS_EV_TLS_DATA + 1]; /* by enum ms_event_type */
	uint64_t event_bytes;		     /* bytes of those records */
	uint64_t malformed_events;	     /* records of unknown type or wrong size */
	uint64_t data_without_flow;	     /* payload of a connection whose open was lost */
	uint64_t close_without_flow;
	uint64_t flows_limit; /* opens refused: max_flows reached */
	uint64_t http_limit;  /* HTTP flows parsed at L4 only: max_http reached */
	uint64_t flows_evicted_idle;
	uint64_t transactions;
	uint64_t tunnel_flows;	 /* mesh tunnel sockets seen: never an edge */
	uint64_t tunnel_bytes;	 /* bytes those sent and received, counted at close */
	uint64_t tunnel_carried; /* application flows found carried by a local tunnel */
	uint64_t excluded_flows; /* sockets of excluded processes/cgroups, and their local peers */
	uint64_t closes_recovered; /* close events lost, finished from the kernel entry instead */
	uint64_t kernel_txns;	   /* transactions the kernel parsed (pair events) */
	uint64_t capture_txns;	   /* transactions userspace's parser found in captured bytes */
	uint64_t fallbacks[MS_FB__MAX]; /* directions switched to capture, by enum ms_fallback */
	uint64_t inject_failed; /* requests handed over with no room in the parser's queue */
	uint64_t bad_targets;	/* kernel-parsed requests with a target the parser rejects */
	uint64_t tls_late;	/* TLS clear bytes of a connection already counted as tcp */
};

struct flow;

/* What a span needs to know about the connection a transaction came from. */
struct flow_txn_info {
	uint8_t client_addr[16];
	uint8_t server_addr[16];
	uint16_t client_port;
	uint16_t server_port;
	uint32_t client_isn; /* first sequence number of the client's bytes, 0 if unknown */
	uint64_t index;	     /* this is the index-th transaction of the connection (from 0) */
	bool local_is_client;
	bool peer_local; /* the other end's socket is watched here too */
	struct edge_end local;
	uint64_t end_ns;	  /* CLOCK_MONOTONIC end: response end, or when it was given up */
	const char *grpc_message; /* HTTP/2 gRPC streams: see h2_txn_cb; NULL otherwise */
};

typedef void (*flow_txn_hook)(void *ctx, const struct flow_txn_info *info,
			      const struct http1_txn *t);

/* Socket 4-tuple as a hash key (addresses as in ms_tuple). */
struct flow_tuple_key {
	uint8_t local_addr[16];
	uint8_t remote_addr[16];
	uint16_t local_port;
	uint16_t remote_port;
};

/* One end of a socket (address as in ms_tuple) as a hash key. */
struct flow_ep_key {
	uint8_t addr[16];
	uint16_t port;
};

/* How long a kernel entry whose close event was lost waits for its open event. */
#define FLOW_CLOSED_GRACE_NS (30ULL * 1000000000ULL)
/*
 * With the TLS probes on, how long a connection the kernel found opaque
 * waits for its handshake mark (MS_EV_TLS_DATA) before it counts as tcp:
 * the server's mark comes after its ClientHello was classified. Costs an
 * opaque connection's edge this much delay, nothing else.
 */
#define FLOW_TLS_GRACE_NS (3ULL * 1000000000ULL)

#define FLOW_TUNNEL_PORTS_MAX	  16
#define FLOW_TUNNEL_PORTS_DEFAULT "15008,15001,15006" /* HBONE, outbound and inbound capture */

/* Is this cgroup (v2 id) a mesh proxy's, e.g. ztunnel's pod? Must be cheap: called per open. */
typedef bool (*flow_tunnel_cgroup_fn)(void *ctx, uint64_t cgroup_id);

/*
 * Is this socket one the agent must not observe (its own process, an
 * excluded process name or cgroup)? pid and comm are the connecting
 * process's, or for an accepted socket its listener's; 0 and "" when not
 * known. Called once per open.
 */
typedef bool (*flow_exclude_fn)(void *ctx, uint32_t pid, const char *comm, uint64_t cgroup_id);

/*
 * The Kubernetes pod that owns an end now (addr as in ms_tuple; cgroup_id 0
 * and port 0 when not known): writes its UID and returns true, or false
 * when no pod owns it. Called once per connection and end.
 */
typedef bool (*flow_owner_fn)(void *ctx, const uint8_t addr[16], uint64_t cgroup_id, uint16_t port,
			      char uid[EDGE_UID_MAX]);

struct flowtab {
	struct htab flows;
	struct htab by_tuple; /* the same flows by 4-tuple, to find a local peer */
	/*
	 * Tunnel matching, each flow in at most one of these: tunnel sockets
	 * that connected (the spoofed connect to a server app) by 4-tuple,
	 * tunnel sockets that accepted (the redirected client app) by remote
	 * end, and application client sockets by local end.
	 */
	struct htab tunnel_by_tuple;
	struct htab tunnel_by_remote;
	struct htab client_by_local;
	uint16_t tunnel_ports[FLOW_TUNNEL_PORTS_MAX];
	uint32_t ntunnel_ports;
	flow_tunnel_cgroup_fn is_tunnel_cgroup; /* optional, set by the agent */
	void *tunnel_cgroup_ctx;
	flow_exclude_fn is_excluded; /* optional, set by the agent */
	void *exclude_ctx;
	flow_owner_fn owner; /* optional, set by the agent with Kubernetes */
	void *owner_ctx;
	flow_txn_hook txn_hook; /* optional: every transaction, for spans */
	void *txn_hook_ctx;
	struct aggregator *agg;
	struct flow_limits lim;
	uint64_t tls_grace_ns; /* FLOW_TLS_GRACE_NS with the TLS probes on, else 0 */
	uint32_t nhttp;
	struct flow_stats stats;
	struct http1_stats http_stats;
	struct h2_stats h2_stats;
	struct reasm_stats reasm_stats;
	struct reasm_budget budget;
};

/* Starts with the tunnel ports FLOW_TUNNEL_PORTS_DEFAULT and no tunnel cgroup callback. */
int flowtab_init(struct flowtab *ft, struct aggregator *agg, const struct flow_limits *lim);
void flowtab_free(struct flowtab *ft);

/*
 * Replaces the tunnel ports with a comma-separated list ("15008,15001"; ""
 * for none). On bad input returns -EINVAL, keeps the old list and writes
 * why into err. Affects connections opened from now on.
 */
int flowtab_set_tunnel_ports(struct flowtab *ft, const char *list, char *err, size_t errlen);

/* One ring-buffer record. 0, or -EINVAL for a malformed record (counted). */
int flowtab_handle_event(struct flowtab *ft, const void *data, size_t size);

/*
 * Periodic scan of the kernel's connection table: live byte counters and the
 * kernel's protocol decision; a connection whose close event was lost
 * (MS_CONN_F_CLOSED) is finished here from the entry's final counters.
 * Returns true when the caller should delete the kernel entry (idle past
 * the limit, or finished).
 */
bool flowtab_sync_kernel(struct flowtab *ft, uint64_t cookie, const struct ms_conn *kc,
			 uint64_t now_ns);

/* Drops flows first seen mid-stream with no activity for idle_ns (nothing reports their close). */
void flowtab_expire(struct flowtab *ft, uint64_t now_ns);

size_t flowtab_count(const struct flowtab *ft);

#endif /* MESHSIGHT_FLOWS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Userspace connection table: turns the kernel's events into edge updates.
 *
 * One flow per socket cookie. A flow is created by the connection-open event,
 * fed payload events (reassembled per direction, then parsed as HTTP/1), kept
 * in step with the kernel's live TCP counters by a periodic scan, and
 * finished by the close event. A flow is counted into exactly one edge, whose
 * protocol is decided once: "http" at its first payload event, "tcp" when the
 * kernel declares it opaque or it closes without payload.
 *
 * Pure C with no libbpf, so the unit tests drive it with crafted events.
 */
#ifndef MESHSIGHT_FLOWS_H
#define MESHSIGHT_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meshsight_events.h"

#include "aggregator.h"
#include "htab.h"
#include "http1.h"
#include "reasm.h"

struct flow_limits {
	uint32_t max_flows;  /* flows tracked at once */
	uint32_t max_http;   /* flows with HTTP parsing state at once */
	size_t reasm_budget; /* bytes of out-of-order payload held, all flows together */
	uint64_t idle_ns;    /* a flow with no event or packet for this long is dropped */
};

struct flow_stats {
	uint64_t events[MS_EV_DATA + 1]; /* by enum ms_event_type */
	uint64_t malformed_events;	 /* records of unknown type or wrong size */
	uint64_t data_without_flow;	 /* payload of a connection whose open was lost */
	uint64_t close_without_flow;
	uint64_t flows_limit; /* opens refused: max_flows reached */
	uint64_t http_limit;  /* HTTP flows parsed at L4 only: max_http reached */
	uint64_t flows_evicted_idle;
	uint64_t transactions;
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
	uint64_t end_ns; /* CLOCK_MONOTONIC end: response end, or when it was given up */
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

struct flowtab {
	struct htab flows;
	struct htab by_tuple;	/* the same flows by 4-tuple, to find a local peer */
	flow_txn_hook txn_hook; /* optional: every transaction, for spans */
	void *txn_hook_ctx;
	struct aggregator *agg;
	struct flow_limits lim;
	uint32_t nhttp;
	struct flow_stats stats;
	struct http1_stats http_stats;
	struct reasm_stats reasm_stats;
	struct reasm_budget budget;
};

int flowtab_init(struct flowtab *ft, struct aggregator *agg, const struct flow_limits *lim);
void flowtab_free(struct flowtab *ft);

/* One ring-buffer record. 0, or -EINVAL for a malformed record (counted). */
int flowtab_handle_event(struct flowtab *ft, const void *data, size_t size);

/*
 * Periodic scan of the kernel's connection table: live byte counters and the
 * kernel's protocol decision. Returns true when the kernel entry is idle past
 * the limit and should be deleted by the caller.
 */
bool flowtab_sync_kernel(struct flowtab *ft, uint64_t cookie, const struct ms_conn *kc,
			 uint64_t now_ns);

/* Drops flows with no activity for idle_ns (their kernel entries are gone or idle). */
void flowtab_expire(struct flowtab *ft, uint64_t now_ns);

size_t flowtab_count(const struct flowtab *ft);

#endif /* MESHSIGHT_FLOWS_H */

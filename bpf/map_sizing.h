/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every size the kernel side uses, in one place. Userspace may resize the
 * connection table and the ring buffer before load (--max-connections,
 * --ringbuf-mb); these are the defaults and the hard limits.
 */
#ifndef MESHSIGHT_MAP_SIZING_H
#define MESHSIGHT_MAP_SIZING_H

/*
 * The object's own sizes. The loader always replaces the two marked "set at
 * load" from --max-connections and --ringbuf-mb (user/agent/options.c holds
 * every default); these only make the object valid on its own (tests).
 */
#define MS_CONN_MAP_MAX	  65536	      /* tracked TCP connections: set at load */
#define MS_LISTEN_MAP_MAX 8192	      /* listening sockets remembered for process names */
#define MS_RINGBUF_BYTES  (16u << 20) /* event ring buffer, power of two: set at load */

/*
 * Payload segments of a not-yet-classified connection that are inspected
 * before it is declared opaque. A request line split into tiny writes needs a
 * few; a connection first seen mid-stream needs more to find a message start.
 */
#define MS_CLASSIFY_PROBES_SOCKOPS 4
#define MS_CLASSIFY_PROBES_LAZY	   16

/* Bytes of a segment looked at to classify it: a method token of at most 15 + SP. */
#define MS_CLASSIFY_BYTES 16
#define MS_METHOD_MIN	  3
#define MS_METHOD_MAX	  15

/*
 * Longest message head the kernel parses: a longer one (big cookies, many
 * headers) leaves its connection to userspace. A power of two.
 */
#define MS_HEAD_MAX 512
/* Payload packets between refreshes of a connection's live TCP counters. */
#define MS_REFRESH_EVERY 32
/*
 * A request start refreshes them too, unless the last refresh is more
 * recent than this: userspace reads them every --scan-interval-ms (100 ms
 * at the least), so refreshing a busy connection at each of its requests
 * (a hash lookup, two cold cache lines) bought nothing.
 */
#define MS_REFRESH_NS (100 * 1000 * 1000ULL)

/* Wake the consumer early once this much is waiting; otherwise it polls. */
#define MS_WAKEUP_BYTES_DEFAULT (256u << 10)
/* One event in this many (a power of two) checks the fill level. */
#define MS_WAKEUP_CHECK_EVERY 64

/*
 * TLS through libssl (bpf/tls.bpf.c): threads inside an SSL call at once,
 * and SSL objects whose socket is remembered (for calls served from the
 * library's buffer, which make no syscall). LRU: a stale SSL object ages out.
 */
#define MS_TLS_CALLS_MAX   16384
#define MS_TLS_SOCKETS_MAX 65536

#endif /* MESHSIGHT_MAP_SIZING_H */

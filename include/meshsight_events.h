/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel/user contract of meshsight.
 *
 * Every struct that crosses the BPF ring buffer or that userspace reads out of a
 * BPF map lives here, with fixed-width fields, explicit padding and a static
 * size check, so that clang -target bpf and the host compiler agree on layout.
 * Addresses are stored as 16 bytes: IPv4 as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d), so one code path serves both families. Ports are in host
 * byte order. Sequence numbers are raw TCP sequence numbers (host order).
 */
#ifndef MESHSIGHT_EVENTS_H
#define MESHSIGHT_EVENTS_H

#ifdef __BPF__
/* vmlinux.h already defines the __u* types for BPF programs. */
#else
#include <linux/types.h>
#endif

/* Largest payload prefix one data event can carry; see bpf/map_sizing.h. */
#define MS_CAPTURE_MAX 4096
#define MS_COMM_LEN    16

enum ms_event_type {
	MS_EV_CONN_OPEN = 1,  /* a TCP connection became established (or was first seen) */
	MS_EV_CONN_CLOSE = 2, /* a tracked TCP connection reached TCP_CLOSE */
	MS_EV_DATA = 3,	      /* payload of one TCP segment on an HTTP-candidate connection */
	MS_EV_HTTP_PAIR = 4,  /* one HTTP/1 request and its response, parsed in the kernel */
	MS_EV_MODE = 5,	      /* one direction of a connection leaves kernel parsing for capture */
	MS_EV_TLS_DATA = 6,   /* clear bytes of one SSL_read/SSL_write call (libssl uprobes) */
};

/* Which end of the connection the local socket is. */
enum ms_role {
	MS_ROLE_UNKNOWN = 0,
	MS_ROLE_CLIENT = 1, /* local socket initiated the connection (or sent the first request) */
	MS_ROLE_SERVER = 2, /* local socket accepted it (or received the first request) */
};

/* What the kernel decided the connection carries, from its first payload bytes. */
enum ms_l7 {
	MS_L7_UNKNOWN = 0, /* no payload from the client seen yet */
	MS_L7_HTTP1 = 1,   /* client spoke first with an HTTP/1 request line */
	MS_L7_OPAQUE = 2,  /* anything else: only L4 statistics are kept */
	MS_L7_HTTP2 = 3,   /* client spoke first with the HTTP/2 preface (h2c, prior knowledge) */
};

/* How the kernel learnt of the connection. */
enum ms_origin {
	MS_ORIGIN_SOCKOPS = 0, /* saw the handshake: role, stream start and close are exact */
	MS_ORIGIN_LAZY = 1,    /* first seen mid-stream (e.g. opened before the agent started) */
};

enum ms_dir {
	MS_DIR_EGRESS = 0,  /* bytes the local socket sent */
	MS_DIR_INGRESS = 1, /* bytes the local socket received */
};

/*
 * Flags of struct ms_conn. LOST: a payload event of it was lost (ring
 * buffer full). CLOSED: it closed but its close event was lost, so the
 * entry holds the final counters until userspace's scan finishes it; RESET
 * with CLOSED: it ended in a reset.
 */
#define MS_CONN_F_LOST	 (1u << 0)
#define MS_CONN_F_CLOSED (1u << 1)
#define MS_CONN_F_RESET	 (1u << 2)

/* Flags of MS_EV_CONN_CLOSE. LOST: the connection had MS_CONN_F_LOST. */
#define MS_CLOSE_F_RESET (1u << 0) /* went to CLOSE without an orderly FIN exchange */
#define MS_CLOSE_F_LOST	 (1u << 1)

/*
 * Kernel-side drop and health counters: one per-CPU slot per cause, summed by
 * userspace; the losses are exported as meshsight_events_dropped_total{cause},
 * the rest as meshsight_kernel_datapath_total{outcome} (user/core/self_stats.c).
 */
enum ms_counter {
	MS_CNT_RB_FULL_OPEN = 0, /* ring buffer full: a connection-open event was lost */
	MS_CNT_RB_FULL_CLOSE,	 /* ring buffer full: a connection-close event was lost */
	MS_CNT_RB_FULL_DATA,	 /* ring buffer full: a payload event was lost */
	MS_CNT_CONN_MAP_FULL,	/* connection table full: a connection is not tracked (once each) */
	MS_CNT_LISTEN_MAP_FULL, /* listener table full: a server's process name is unknown */
	MS_CNT_MALFORMED_PKT,	/* a packet whose IP/TCP headers could not be read */
	MS_CNT_CAPTURE_TRUNCATED, /* a segment longer than the capture limit (tail not sent) */
	MS_CNT_RETRANS_SKIPPED,	  /* a segment whose bytes were already seen (not sent again) */
	MS_CNT_CONN_OPAQUE,	  /* a connection classified as not HTTP/1 */
	MS_CNT_CONN_HTTP1,	  /* a connection classified as HTTP/1 */
	MS_CNT_RB_FULL_PAIR,	  /* ring buffer full: a request/response pair event was lost */
	MS_CNT_RB_FULL_MODE,	  /* ring buffer full: a mode-switch event was lost */
	MS_CNT_CONN_KERNEL,   /* a connection whose HTTP/1 the kernel parses (at first request) */
	MS_CNT_HEAD_SCANNED,  /* message heads parsed in the kernel */
	MS_CNT_CONN_HTTP2,    /* a connection classified as HTTP/2 (preface) */
	MS_CNT_RB_FULL_TLS,   /* ring buffer full: a TLS clear-text event was lost */
	MS_CNT_TLS_NO_SOCKET, /* an SSL call whose TCP socket was never found (not sent) */
	MS_CNT__MAX,
};

struct ms_tuple {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
	__u16 family; /* AF_INET or AF_INET6 of the socket */
	__u16 _pad;
};
_Static_assert(sizeof(struct ms_tuple) == 40, "ms_tuple layout");

/* Value of the kernel connection table, keyed by socket cookie (__u64). */
struct ms_conn {
	struct ms_tuple tuple;
	__u64 cgroup_id;      /* cgroup v2 id of the socket */
	__u64 opened_ns;      /* CLOCK_MONOTONIC */
	__u64 last_seen_ns;   /* last packet seen by the skb hooks */
	__u64 bytes_acked;    /* tcp_sock bytes_acked: sent and acknowledged */
	__u64 bytes_received; /* tcp_sock bytes_received */
	__u32 srtt_us;	      /* smoothed RTT, microseconds */
	__u32 total_retrans;
	__u32 pid;	 /* tgid of the process that connected or listened, 0 if unknown */
	__u8 role;	 /* enum ms_role */
	__u8 l7;	 /* enum ms_l7 */
	__u8 origin;	 /* enum ms_origin */
	__u8 probes;	 /* payload segments inspected while l7 was unknown */
	__u8 method_len; /* method letters seen so far when a request line arrives in pieces */
	__u8 flags;	 /* MS_CONN_F_* */
	__u8 _pad[6];
	char comm[MS_COMM_LEN];
};
_Static_assert(sizeof(struct ms_conn) == 120, "ms_conn layout");

struct ms_event_hdr {
	__u32 type;  /* enum ms_event_type */
	__u32 flags; /* per type */
	__u64 cookie;
	__u64 ts_ns; /* CLOCK_MONOTONIC, bpf_ktime_get_ns() */
};
_Static_assert(sizeof(struct ms_event_hdr) == 24, "ms_event_hdr layout");

struct ms_conn_open_event {
	struct ms_event_hdr hdr;
	struct ms_tuple tuple;
	__u64 cgroup_id;
	__u32 pid;
	__u32 snd_nxt; /* next sequence the local end will send (stream start) */
	__u32 rcv_nxt; /* next sequence the local end expects */
	__u8 role;
	__u8 l7;
	__u8 origin;
	__u8 seq_known; /* snd_nxt/rcv_nxt are valid (handshake seen) */
	char comm[MS_COMM_LEN];
};
_Static_assert(sizeof(struct ms_conn_open_event) == 104, "ms_conn_open_event layout");

struct ms_conn_close_event {
	struct ms_event_hdr hdr; /* flags: MS_CLOSE_F_* */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 srtt_us;
	__u32 total_retrans;
};
_Static_assert(sizeof(struct ms_conn_close_event) == 48, "ms_conn_close_event layout");

/*
 * One TCP segment's payload, or its first cap_len bytes. seq is the sequence
 * number of data[0]; len counts every new payload byte of the segment, of which
 * only the first cap_len are in data. A retransmitted prefix is already trimmed.
 */
struct ms_data_event {
	struct ms_event_hdr hdr; /* flags: unused */
	__u32 seq;
	__u32 len;
	__u16 cap_len;
	__u8 dir;  /* enum ms_dir */
	__u8 role; /* enum ms_role of the local socket, as known when sent */
	__u32 _pad;
	__u8 data[]; /* cap_len bytes */
};
_Static_assert(sizeof(struct ms_data_event) == 40, "ms_data_event layout");

/*
 * Datapath v2: HTTP/1 parsed in the kernel. A connection whose messages the
 * kernel can frame exactly (whole heads in one segment, Content-Length or
 * no body, one request in flight, in-order message starts) sends one
 * MS_EV_HTTP_PAIR per request; anything else switches it, one direction at
 * a time and always at a message boundary, to capture mode (MS_EV_MODE,
 * then MS_EV_DATA as before), where userspace's parser is the exact path.
 */
#define MS_TARGET_MAX	128 /* request-target bytes the kernel keeps; longer ones fall back */
#define MS_TP_LEN	55  /* a traceparent value: "00-<32 hex>-<16 hex>-<2 hex>" */
#define MS_HTTP_VAR_MAX (MS_TARGET_MAX + 56)

/* A request head as the kernel parsed it. */
struct ms_http_req {
	__u64 start_ns; /* CLOCK_MONOTONIC of the segment with its first byte */
	__u64 bytes;	/* head + Content-Length */
	__u8 method_len;
	__u8 version_minor;
	__u8 target_len; /* bytes of the raw request-target at var[0] (query included) */
	__u8 tp_len;	 /* 0, or MS_TP_LEN: the traceparent value at var[MS_TARGET_MAX] */
	__u8 flags;	 /* MS_REQ_F_* */
	__u8 _pad[3];
	char method[16];
	char var[MS_HTTP_VAR_MAX]; /* target, then traceparent; sent up to what is used */
};
_Static_assert(sizeof(struct ms_http_req) == 224, "ms_http_req layout");

/* Bytes of a pair event as sent: without a traceparent, var ends after the target. */
#define MS_PAIR_SIZE(tp_len, target_len)                                                           \
	((tp_len) ? sizeof(struct ms_http_pair_event)                                              \
		  : sizeof(struct ms_http_pair_event) - MS_HTTP_VAR_MAX + (target_len))
#define MS_REQ_F_HEAD	(1u << 0) /* HEAD: its response has no body */
#define MS_REQ_F_TP_BAD (1u << 1) /* a traceparent was there but is not kept */

/* Flags of MS_EV_HTTP_PAIR. */
#define MS_PAIR_F_NO_RESPONSE (1u << 0) /* closed before a response started */
#define MS_PAIR_F_RESET	      (1u << 1) /* ... and the close was a reset */
#define MS_PAIR_F_RESP_CUT    (1u << 2) /* closed before the response ended */

struct ms_http_pair_event {
	struct ms_event_hdr hdr; /* ts_ns: when the pair ended */
	__u64 resp_start_ns;	 /* segment with the final response's first byte, 0 if none */
	__u64 resp_end_ns;	 /* ... with its last byte */
	__u64 resp_bytes;	 /* final response head + body */
	__u16 status;		 /* 0 when no response */
	__u16 _pad[3];
	struct ms_http_req req; /* sent up to MS_PAIR_SIZE() */
};
_Static_assert(sizeof(struct ms_http_pair_event) == 280, "ms_http_pair_event layout");

/* Why a direction left kernel parsing (MS_EV_MODE reason). */
enum ms_fallback {
	MS_FB_HEAD = 0,	   /* head split across segments, longer than the bound, or malformed */
	MS_FB_FRAMING,	   /* chunked or read-until-close body, Upgrade, 101 or CONNECT */
	MS_FB_PIPELINED,   /* a second request before the response, or several in one skb */
	MS_FB_GAP,	   /* a message start out of order or missing */
	MS_FB_UNSOLICITED, /* a response with no request in flight */
	MS_FB_TARGET,	   /* request-target longer than MS_TARGET_MAX */
	MS_FB_PEER,	   /* the other direction switched */
	MS_FB__MAX,
};

/* Flags of MS_EV_MODE. REQ: req holds the request in flight, owed a response. */
#define MS_MODE_F_REQ (1u << 0)

/*
 * From seq on, dir's bytes come as MS_EV_DATA; seq is a message boundary.
 * With MS_MODE_F_REQ the event is sizeof(*ev), else offsetof(req).
 */
struct ms_mode_event {
	struct ms_event_hdr hdr;
	__u32 seq;
	__u8 dir;    /* enum ms_dir */
	__u8 reason; /* enum ms_fallback */
	__u8 _pad[2];
	struct ms_http_req req;
};
_Static_assert(sizeof(struct ms_mode_event) == 256, "ms_mode_event layout");

/*
 * The clear bytes of one SSL_write/SSL_read (or _ex) call, from the libssl
 * uprobes (bpf/tls.bpf.c), tagged with the cookie of the TCP socket the
 * library wrote to or read from underneath: the same connection the socket
 * hooks report. len counts the bytes the call moved, of which the first
 * cap_len are in data. Calls on one SSL object are serialised by the
 * library, so one direction's events arrive in stream order. A
 * MS_TLS_F_HANDSHAKE event carries no bytes: it says, before any clear byte
 * flows, that the connection is TLS through libssl.
 */
#define MS_TLS_F_HANDSHAKE (1u << 0)

struct ms_tls_data_event {
	struct ms_event_hdr hdr; /* flags: MS_TLS_F_* */
	__u32 pid;		 /* tgid of the caller */
	__u32 len;
	__u16 cap_len;
	__u8 dir; /* enum ms_dir: SSL_write is egress, SSL_read ingress */
	__u8 _pad1;
	__u32 _pad2;
	__u8 data[]; /* cap_len bytes */
};
_Static_assert(sizeof(struct ms_tls_data_event) == 40, "ms_tls_data_event layout");

#endif /* MESHSIGHT_EVENTS_H */

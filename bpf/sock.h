/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-socket state of the skb hooks (kept in maps/sock_state.h), as a type
 * of its own so that tests/bpf can build a socket's state and read it back.
 */
#ifndef MESHSIGHT_SOCK_H
#define MESHSIGHT_SOCK_H

#include "meshsight_events.h"

/* What the skb hooks do with a socket's payload (struct ms_sock.mode). */
enum ms_sock_mode {
	MS_SOCK_NEW = 0,     /* no payload yet: the first request decides */
	MS_SOCK_KERNEL = 1,  /* HTTP/1 parsed here, one pair event per request */
	MS_SOCK_CAPTURE = 2, /* payload copied to userspace (see skb.bpf.c), both directions */
	MS_SOCK_OPAQUE = 3,  /* not HTTP/1: nothing but the periodic counter refresh */
};

/* One direction of a kernel-parsed connection, in TCP sequence space. */
struct ms_sock_dir {
	__u32 next;    /* first byte not seen yet: a message start when !in_msg */
	__u32 msg_end; /* where the message in progress ends, when in_msg */
	__u8 in_msg;   /* a message's head was parsed, its body is still arriving */
	__u8 capture;  /* switched: this direction's payload goes the capture way */
	__u8 pending;  /* switch at the next message boundary, for this reason + 1 */
	__u8 _pad;
};

/*
 * Per-socket state of the skb hooks. Created by sockops when a connection
 * is established and announced (so a socket that is not in the connection
 * table has none), freed by the kernel with the socket: nothing to prune and
 * no table that can fill. ~340 bytes a socket.
 */
struct ms_sock {
	__u64 cookie;
	__u8 mode;	   /* enum ms_sock_mode */
	__u8 role;	   /* enum ms_role */
	__u8 req_inflight; /* pair.req is a parsed request awaiting its final response */
	__u8 resp_started; /* its final response's head was parsed */
	__u32 resp_start_seq;
	__u16 pkts; /* payload packets, for the periodic refresh of the table's counters */
	__u16 _pad[3];
	__u64 refreshed_ns;		/* last refresh at a request start (see MS_REFRESH_NS) */
	struct ms_sock_dir dir[2];	/* by enum ms_dir */
	struct ms_http_pair_event pair; /* being built; sent when the response ends */
};

#endif /* MESHSIGHT_SOCK_H */

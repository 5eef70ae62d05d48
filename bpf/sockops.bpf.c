// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TCP connection lifecycle from the sockops hook of the watched cgroup.
 *
 * sockops sees the handshake of every TCP socket in the cgroup subtree, so it
 * knows which end initiated, where each byte stream starts, and when the
 * connection ends, with the kernel's own byte, RTT and retransmit counts.
 * connect(2) and listen(2) run it in the calling process, which is where the
 * process name comes from; accepted sockets inherit their listener's.
 *
 * Every field is read through the sockops context or a helper that kernel
 * lockdown leaves alone (tests/bpf/helper_audit.c enforces it): the socket's
 * cgroup comes from the skb hooks, never from reading kernel memory.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "conn.h"
#include "debug.h"
#include "http1_pair.h"
#include "maps/sock_cgroup.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * An accepted socket's cgroup: its listener's, which the skb hooks recorded
 * when the SYN arrived and the kernel copied into this socket (see
 * maps/sock_cgroup.h). 0 when the listener was never seen receiving one.
 */
static __always_inline __u64 accepted_cgroup_id(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	__u64 *id;

	if (!sk)
		return 0;
	id = bpf_sk_storage_get(&sock_cgroup, sk, NULL, 0);
	return id ? *id : 0;
}

/* Only called under cfg_sockops_task: bpf_get_netns_cookie is one of the probed helpers. */
static __always_inline struct ms_listen_key listen_key(struct bpf_sock_ops *skops)
{
	struct ms_listen_key key = {
	    .netns_cookie = bpf_get_netns_cookie(skops),
	    .port = skops->local_port,
	};

	return key;
}

static __always_inline void on_listen(struct bpf_sock_ops *skops)
{
	struct ms_listen_key key;
	struct ms_listener l = {};

	if (!cfg_sockops_task)
		return; /* nothing to remember: names come from the cgroup */
	key = listen_key(skops);
	l.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(l.comm, sizeof(l.comm));
	if (bpf_map_update_elem(&listeners, &key, &l, BPF_ANY))
		count(MS_CNT_LISTEN_MAP_FULL);
	/* Told when the listener closes, to forget it. */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
}

/*
 * connect(2): remember who is connecting until the handshake completes. The
 * skb egress hook fills in the socket's cgroup when the SYN leaves.
 */
static __always_inline void on_connect(struct bpf_sock_ops *skops)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct ms_conn conn = {};

	conn.role = MS_ROLE_CLIENT;
	conn.origin = MS_ORIGIN_SOCKOPS;
	if (cfg_sockops_task) {
		conn.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(conn.comm, sizeof(conn.comm));
	}
	if (bpf_map_update_elem(&conns, &cookie, &conn, BPF_ANY)) {
		conn_count_untracked(skops->sk);
		return;
	}
	/* A failed connect goes SYN_SENT -> CLOSE; the state callback cleans up. */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
}

static __always_inline void fill_server_process(struct bpf_sock_ops *skops, struct ms_conn *conn)
{
	struct ms_listen_key key;
	struct ms_listener *l;

	if (!cfg_sockops_task)
		return;
	key = listen_key(skops);
	l = bpf_map_lookup_elem(&listeners, &key);
	if (!l)
		return;
	conn->pid = l->pid;
	__builtin_memcpy(conn->comm, l->comm, sizeof(conn->comm));
}

/*
 * The skb hooks' state for a socket userspace knows of (its open event was
 * sent): where each byte stream starts, for kernel HTTP/1 parsing, or
 * nothing to parse at all (--no-http). Without it (no memory, or the
 * userspace parser) the socket takes the capture path.
 */
static __always_inline void sock_state_create(struct bpf_sock_ops *skops, __u64 cookie, __u8 role)
{
	struct bpf_sock *sk = skops->sk;
	struct ms_sock *st;

	if (!cfg_sock_state() || !sk)
		return;
	st = bpf_sk_storage_get(&sock_state, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st)
		return;
	st->cookie = cookie;
	st->role = role;
	st->mode = cfg_capture_http ? MS_SOCK_NEW : MS_SOCK_OPAQUE;
	st->dir[MS_DIR_EGRESS].next = skops->snd_nxt;
	st->dir[MS_DIR_INGRESS].next = skops->rcv_nxt;
}

static __always_inline void on_established(struct bpf_sock_ops *skops, __u8 role)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct ms_conn *known = bpf_map_lookup_elem(&conns, &cookie);
	struct ms_conn conn = {};

	if (known) {
		__builtin_memcpy(&conn, known, sizeof(conn));
	} else if (role == MS_ROLE_SERVER) {
		fill_server_process(skops, &conn);
		conn.cgroup_id = accepted_cgroup_id(skops);
	}
	tuple_from_sockops(&conn.tuple, skops);
	conn.role = role;
	conn.origin = MS_ORIGIN_SOCKOPS;
	conn.l7 = cfg_capture_http ? MS_L7_UNKNOWN : MS_L7_OPAQUE;
	conn.opened_ns = bpf_ktime_get_ns();
	conn.last_seen_ns = conn.opened_ns;
	if (bpf_map_update_elem(&conns, &cookie, &conn, BPF_ANY)) {
		conn_count_untracked(skops->sk);
		return;
	}
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
	if (conn_emit_open(cookie, &conn, skops->snd_nxt, skops->rcv_nxt, 1) == 0)
		sock_state_create(skops, cookie, role);
}

/* An abort (RST sent or received) jumps to CLOSE from a synchronised state. */
static __always_inline int is_abort(__u32 old_state)
{
	return old_state == BPF_TCP_ESTABLISHED || old_state == BPF_TCP_CLOSE_WAIT ||
	       old_state == BPF_TCP_SYN_RECV;
}

/*
 * An orderly close went through both FINs, and the kernel's byte counters
 * (sequence-space deltas) count each FIN as one byte. Payload bytes are what
 * users compare with what their application sent.
 */
static __always_inline int both_fins_counted(__u32 old_state)
{
	return old_state == BPF_TCP_LAST_ACK || old_state == BPF_TCP_FIN_WAIT2 ||
	       old_state == BPF_TCP_CLOSING || old_state == BPF_TCP_TIME_WAIT;
}

/*
 * The close event; when the ring has no room, the entry keeps the final
 * counters with MS_CONN_F_CLOSED and stays in the table, so that the
 * userspace scan finishes the connection exactly (and deletes the entry)
 * instead of it lingering until the idle timeout. Returns 1 when kept.
 */
static __always_inline int emit_close(struct bpf_sock_ops *skops, struct ms_conn *conn,
				      __u64 cookie, __u32 old_state)
{
	__u64 fin = both_fins_counted(old_state) ? 1 : 0;
	__u64 acked = conn_payload_acked(conn, skops->bytes_acked);
	struct ms_conn_close_event *ev;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(MS_CNT_RB_FULL_CLOSE);
		/* As the close event would have said them; the scan reads them as final. */
		conn->bytes_acked = acked >= fin ? acked - fin : 0;
		conn->bytes_received =
		    skops->bytes_received >= fin ? skops->bytes_received - fin : 0;
		conn->srtt_us = skops->srtt_us >> 3;
		conn->total_retrans = skops->total_retrans;
		conn->last_seen_ns = bpf_ktime_get_ns();
		conn->flags |= MS_CONN_F_CLOSED | (is_abort(old_state) ? MS_CONN_F_RESET : 0);
		return 1;
	}
	ev->hdr.type = MS_EV_CONN_CLOSE;
	ev->hdr.flags = (is_abort(old_state) ? MS_CLOSE_F_RESET : 0) |
			(conn->flags & MS_CONN_F_LOST ? MS_CLOSE_F_LOST : 0);
	ev->hdr.cookie = cookie;
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->bytes_acked = acked >= fin ? acked - fin : 0;
	ev->bytes_received = skops->bytes_received >= fin ? skops->bytes_received - fin : 0;
	ev->srtt_us = skops->srtt_us >> 3; /* the kernel keeps it scaled by 8 */
	ev->total_retrans = skops->total_retrans;
	bpf_ringbuf_submit(ev, ringbuf_wakeup_flags(ev->hdr.ts_ns));
	return 0;
}

/* The pair in flight of a kernel-parsed connection goes before its close event. */
static __always_inline void pair_at_close(struct bpf_sock_ops *skops, __u32 old_state)
{
	struct bpf_sock *sk = skops->sk;
	struct ms_sock *st;

	if (!sk)
		return;
	st = bpf_sk_storage_get(&sock_state, sk, NULL, 0);
	if (st)
		http1_close(st, is_abort(old_state), bpf_ktime_get_ns());
}

static __always_inline void on_state(struct bpf_sock_ops *skops)
{
	__u32 old_state = skops->args[0];
	__u32 new_state = skops->args[1];
	__u64 cookie;
	struct ms_conn *conn;

	if (new_state != BPF_TCP_CLOSE)
		return;
	if (old_state == BPF_TCP_LISTEN) {
		struct ms_listen_key key;

		if (!cfg_sockops_task)
			return;
		key = listen_key(skops);
		bpf_map_delete_elem(&listeners, &key);
		return;
	}
	cookie = bpf_get_socket_cookie(skops);
	conn = bpf_map_lookup_elem(&conns, &cookie);
	if (!conn)
		return;
	if (cfg_kernel_http)
		pair_at_close(skops, old_state);
	/* A connect that never completed was never announced. */
	if (old_state != BPF_TCP_SYN_SENT && emit_close(skops, conn, cookie, old_state))
		return; /* kept for the scan: see emit_close */
	bpf_map_delete_elem(&conns, &cookie);
}

SEC("sockops")
int ms_sockops(struct bpf_sock_ops *skops)
{
	if (skops->family != MS_AF_INET && skops->family != MS_AF_INET6)
		return 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		on_listen(skops);
		break;
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		on_connect(skops);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		on_established(skops, MS_ROLE_CLIENT);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		on_established(skops, MS_ROLE_SERVER);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		on_state(skops);
		break;
	}
	return 1;
}

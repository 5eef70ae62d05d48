/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps of the TLS probes (bpf/tls.bpf.c): which SSL call each thread is in,
 * and which socket each SSL object talks through.
 */
#ifndef MESHSIGHT_MAPS_TLS_H
#define MESHSIGHT_MAPS_TLS_H

#include "../map_sizing.h"

enum ms_tls_kind {
	MS_TLS_RW = 0,	      /* SSL_read/SSL_write: returns the byte count */
	MS_TLS_RW_EX = 1,     /* SSL_read_ex/SSL_write_ex: returns 1, the count is at len_ptr */
	MS_TLS_HANDSHAKE = 2, /* SSL_do_handshake: no bytes, marks the connection */
};

/* One thread's SSL call in progress. */
struct ms_tls_call {
	__u64 ssl;     /* the SSL object (a user address, only a key) */
	__u64 buf;     /* the caller's buffer */
	__u64 len_ptr; /* _ex: where the library writes the byte count */
	__u64 cookie;  /* socket cookie found at the call's first socket syscall, 0 until then */
	__u8 dir;      /* enum ms_dir */
	__u8 kind;     /* enum ms_tls_kind */
	__u8 _pad[6];
};

/*
 * pid_tgid -> the call. Written by the entry uprobes, completed by the
 * sys_enter tracepoint (the cookie), read and deleted by the return uprobe.
 * A thread is in at most one SSL call, so the table holds the threads that
 * are inside one right now. LRU: a thread killed inside a call never deletes
 * its entry, and such leftovers must not fill the table.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MS_TLS_CALLS_MAX);
	__type(key, __u64);
	__type(value, struct ms_tls_call);
} tls_calls SEC(".maps");

struct ms_tls_sock_key {
	__u64 ssl;
	__u32 tgid;
	__u32 _pad;
};

/*
 * (process, SSL object) -> socket cookie. Written by the return uprobe when
 * a call found its socket, read by calls that made no syscall (a read served
 * from the record the library already holds). LRU, so an SSL object freed
 * without our knowing ages out; a new SSL at the same address is corrected
 * at its first syscall, which comes before its first clear byte (handshake).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MS_TLS_SOCKETS_MAX);
	__type(key, struct ms_tls_sock_key);
	__type(value, __u64);
} tls_sockets SEC(".maps");

#endif /* MESHSIGHT_MAPS_TLS_H */

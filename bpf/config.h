/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Load-time settings, written by the loader through skel->rodata before the
 * programs are loaded, so the verifier sees them as constants and dead
 * branches cost nothing. __weak lets every .bpf.c include this file and the
 * static linker keep one copy.
 */
#ifndef MESHSIGHT_CONFIG_H
#define MESHSIGHT_CONFIG_H

#include "map_sizing.h"

/* Bytes of each HTTP segment copied to userspace, 1..MS_CAPTURE_MAX; the
 * loader always writes it (--capture-bytes), 1024 is only the object's own. */
const volatile __u32 cfg_capture_bytes __weak = 1024;
/* Pending ring-buffer bytes that trigger an immediate consumer wakeup. */
const volatile __u32 cfg_wakeup_bytes __weak = MS_WAKEUP_BYTES_DEFAULT;
/* 0 turns HTTP payload capture off: connections are reported at L4 only. */
const volatile __u8 cfg_capture_http __weak = 1;
/*
 * 1: HTTP/1 is parsed in the kernel where it can be framed exactly, one
 * event per request (bpf/http1_pair.h); 0: every HTTP/1 connection's
 * payload is copied to userspace's parser (--http-parser userspace).
 */
const volatile __u8 cfg_kernel_http __weak = 1;

/*
 * Do sockets sockops announces get per-socket state (bpf/sock.h)? With
 * kernel parsing, for it; with no HTTP at all (--no-http), so that their
 * packets leave after one storage lookup, their counters refreshed every
 * MS_REFRESH_EVERY payload packets and at close, instead of a connection
 * table lookup and a refresh on every packet. Only the userspace parser
 * (--http-parser userspace) goes without: all its payload is captured.
 */
static __always_inline int cfg_sock_state(void)
{
	return cfg_kernel_http || !cfg_capture_http;
}
/*
 * 1 when sockops may call the current-task helpers (bpf_get_current_pid_tgid,
 * bpf_get_current_comm) and bpf_get_netns_cookie: the loader sets it from a
 * feature probe. Older kernels refuse those helpers in sockops; with 0 the
 * verifier never sees the calls (a constant branch), listen(2) and connect(2)
 * record no process, and userspace names the process from the socket's cgroup.
 */
const volatile __u8 cfg_sockops_task __weak = 1;

#endif /* MESHSIGHT_CONFIG_H */

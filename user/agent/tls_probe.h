/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HTTPS through OpenSSL: loads bpf/tls.bpf.c (its own object, sharing the
 * socket programs' ring buffer and counters), finds the libssl every process
 * maps and attaches the SSL_* uprobes to each distinct file once.
 *
 *   tls_probe_start()  load and attach the syscall tracepoint; -errno and why
 *   tls_probe_watch()  only processes in this cgroup subtree (default: all)
 *   tls_probe_scan()   look at processes not seen yet (call every second or so)
 *   tls_probe_stop()   detach everything
 *
 * Optional by design: where the object cannot load (kernel lockdown at
 * confidentiality, no uprobe support, missing CAP_SYS_PTRACE for other
 * processes' maps) the agent runs without it.
 */
#ifndef MESHSIGHT_TLS_PROBE_H
#define MESHSIGHT_TLS_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct tls_probe;

struct tls_probe_stats {
	uint64_t libraries;   /* distinct libssl files probed */
	uint64_t attach_fail; /* libssl files whose probes could not be attached */
};

/* self_tgid: the agent as bpf_get_current_pid_tgid() sees it; its own SSL calls are skipped. */
int tls_probe_start(struct tls_probe **out, int events_fd, int counters_fd, uint32_t capture_bytes,
		    uint32_t self_tgid, char *err, size_t errlen);
/*
 * Looks only at processes whose cgroup v2 path (as /proc/PID/cgroup shows it)
 * is rel or below it, e.g. "/meshsight-e2e-1"; NULL, "" or "/" for every one.
 */
int tls_probe_watch(struct tls_probe *tp, const char *rel);
void tls_probe_scan(struct tls_probe *tp);
void tls_probe_get_stats(const struct tls_probe *tp, struct tls_probe_stats *st);
void tls_probe_stop(struct tls_probe *tp);

/* "on"/"off" (also 1/0, true/false) into *on; -EINVAL otherwise. */
int tls_probe_parse_switch(const char *s, int *on);

#endif /* MESHSIGHT_TLS_PROBE_H */

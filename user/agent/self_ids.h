/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's own ids as the kernel stamps them on its sockets: its process
 * id in the initial pid namespace and its cgroup id.
 *
 * Neither can be read from /proc where the agent runs as the chart runs it:
 * without hostPID, getpid() is the pid in the pod's namespace (1), while
 * sockops and the TLS probes see the kernel's tgid; and in a private cgroup
 * namespace /proc/self/cgroup reads "0::/", relative to a root the host's
 * mount does not show. So the kernel is asked: a raw_tp program returning
 * bpf_get_current_pid_tgid() or bpf_get_current_cgroup_id(), run by
 * BPF_PROG_TEST_RUN in the agent's own task (Linux 5.10 and later; CAP_BPF
 * + CAP_PERFMON). The helpers read no kernel memory, so lockdown allows
 * them. Cost: one load and three runs at start, under a millisecond.
 *
 * The cgroup matters where sockets carry no pid (sockops could not read the
 * task, kernels before 6.10, or a connection first seen mid-stream): the
 * agent's own are then those of its cgroup.
 */
#ifndef MESHSIGHT_SELF_IDS_H
#define MESHSIGHT_SELF_IDS_H

#include <stdint.h>

struct self_ids {
	uint32_t tgid;	    /* as bpf_get_current_pid_tgid() >> 32 reads it */
	uint64_t cgroup_id; /* as bpf_get_current_cgroup_id() reads it */
};

/* 0 and both ids, or -errno (the kernel or a capability said no). */
int self_ids_read(struct self_ids *out);

#endif /* MESHSIGHT_SELF_IDS_H */

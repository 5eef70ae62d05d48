/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BPF skeleton lifecycle: check that this host can run meshsight, open and
 * size the programs, load them, attach them to one cgroup v2 subtree, and
 * detach everything again. Attachments are BPF links held by this process,
 * so even a crash leaves nothing attached.
 */
#ifndef MESHSIGHT_LOADER_H
#define MESHSIGHT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/probe.h"

struct loader_opts {
	const char *cgroup;	/* cgroup v2 directory to watch; NULL = the whole hierarchy */
	uint32_t capture_bytes; /* payload bytes per segment sent to userspace */
	uint32_t max_conns;	/* kernel connection table size */
	uint32_t ringbuf_mb;	/* ring buffer size, power of two */
	bool http;		/* capture HTTP payload at all */
	bool kernel_http;	/* parse HTTP/1 in the kernel where it is exact (datapath v2) */
};

struct meshsight_bpf;
struct bpf_link;

struct loader {
	struct meshsight_bpf *skel;
	int cgroup_fd;
	char cgroup_path[4096]; /* the watched cgroup */
	char cgroup_root[4096]; /* the cgroup2 mount it lives in */
	struct bpf_link *sockops_link;
	int skb_links[2];	/* bpf_link fds of ms_skb on egress, ingress (-1: none) */
	struct probe_caps caps; /* what the kernel offers, from loader_check_host */
};

/*
 * Checks privileges, BTF, every kernel feature the programs use (probe.h)
 * and cgroup v2 (mounting it when that is safe) and resolves opts->cgroup. On failure returns
 * -errno and writes what failed and what to do into err.
 */
int loader_check_host(struct loader *l, const struct loader_opts *opts, char *err, size_t errlen);
int loader_start(struct loader *l, const struct loader_opts *opts, char *err, size_t errlen);
void loader_stop(struct loader *l);

int loader_ringbuf_fd(const struct loader *l);
int loader_conns_fd(const struct loader *l);
int loader_counters_fd(const struct loader *l);

/* libbpf prints through our log, one level down (its warnings are our info). */
void loader_route_libbpf_log(void);

#endif /* MESHSIGHT_LOADER_H */

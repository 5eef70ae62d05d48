/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's policy on the ends of a connection, as flow-table callbacks
 * (core/flows.h) and an event rewrite:
 *
 *   end_rules_install(&r, &flows)        tunnel, exclusion and owner tests
 *   end_rules_translate_cluster_ip(...)  a ClusterIP destination -> the backend
 *
 * A tunnel is a configured --mesh-tunnel-cgroup or ztunnel's pod (app=ztunnel
 * from Kubernetes). Excluded are the agent's own sockets (by pid; by cgroup
 * when the socket has no pid), --exclude-process
 * names and --exclude-cgroup subtrees. The owner of an end is the pod naming
 * would name it after.
 */
#ifndef MESHSIGHT_END_RULES_H
#define MESHSIGHT_END_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "meshsight_events.h"

#include "core/flows.h"
#include "k8s/index.h"
#include "lib/nat.h"
#include "naming/cgroups.h"
#include "naming/naming.h"

struct end_rules {
	const char *const *tunnel_cgroups; /* relative to the cgroup2 mount */
	uint32_t ntunnel_cgroups;
	const char *const *exclude_processes; /* as in /proc/PID/comm */
	uint32_t nexclude_processes;
	const char *const *exclude_cgroups;
	uint32_t nexclude_cgroups;
	uint32_t self_pid;
	/* The agent's cgroup (0: unknown): owns the sockets that carry no pid. */
	uint64_t self_cgroup_id;
	struct cgroup_cache *cgroups; /* may be NULL */
	struct k8s_index *k8s;	      /* NULL without Kubernetes */
	struct naming *naming;
};

/* r must outlive ft. */
void end_rules_install(struct end_rules *r, struct flowtab *ft);

/*
 * A client connection to a Service's ClusterIP: the backend kube-proxy
 * picked, from conntrack, so that the edge is the one the backend's socket
 * reports. True when ev was rewritten.
 */
bool end_rules_translate_cluster_ip(struct nat_lookup *nat, struct k8s_index *idx,
				    struct ms_conn_open_event *ev);

#endif /* MESHSIGHT_END_RULES_H */

// SPDX-License-Identifier: BSD-2-Clause
/* See end_rules.h. */
#include <string.h>

#include "naming/end_rules.h"

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static bool cgroup_listed(const char *path, const char *const *list, uint32_t n)
{
	uint32_t i;

	for (i = 0; path && i < n; i++)
		if (path_under(path, list[i]))
			return true;
	return false;
}

/* ztunnel's pod, as Istio labels it (app=ztunnel in istio-system). */
static bool is_ztunnel_pod(const struct end_rules *r, const char *path)
{
	struct k8s_pod_ref pod;

	if (!r->k8s || !k8s_index_pod_by_cgroup(r->k8s, path, &pod))
		return false;
	return !strcmp(pod.app, "ztunnel");
}

static bool is_tunnel_cgroup(void *ctx, uint64_t cgroup_id)
{
	const struct end_rules *r = ctx;
	const char *path = r->cgroups ? cgroup_cache_path(r->cgroups, cgroup_id) : NULL;

	if (!path)
		return false;
	if (cgroup_listed(path, r->tunnel_cgroups, r->ntunnel_cgroups))
		return true;
	return is_ztunnel_pod(r, path);
}

/*
 * The agent's own sockets (OTLP exports, scrapes of its endpoint) are always
 * excluded: observing them would make edges and spans of the agent's own
 * work, and exporting those spans would make more. A socket without a pid
 * (sockops could not read the task, or it was first seen mid-stream) is the
 * agent's when it is in the agent's cgroup: in a pod that holds only the
 * agent; elsewhere it may leave out a neighbour's pid-less sockets too.
 */
static bool is_excluded(void *ctx, uint32_t pid, const char *comm, uint64_t cgroup_id)
{
	const struct end_rules *r = ctx;
	uint32_t i;

	if (pid && pid == r->self_pid)
		return true;
	if (!pid && r->self_cgroup_id && cgroup_id == r->self_cgroup_id)
		return true;
	for (i = 0; comm[0] && i < r->nexclude_processes; i++)
		if (!strncmp(comm, r->exclude_processes[i], MS_COMM_LEN - 1))
			return true;
	if (!r->nexclude_cgroups || !r->cgroups)
		return false;
	return cgroup_listed(cgroup_cache_path(r->cgroups, cgroup_id), r->exclude_cgroups,
			     r->nexclude_cgroups);
}

static bool end_owner(void *ctx, const uint8_t addr[16], uint64_t cgroup_id, uint16_t port,
		      char uid[EDGE_UID_MAX])
{
	const struct end_rules *r = ctx;
	struct edge_end end = {.cgroup_id = cgroup_id, .port = port};

	return naming_pod_uid(r->naming, addr, &end, uid);
}

void end_rules_install(struct end_rules *r, struct flowtab *ft)
{
	ft->is_tunnel_cgroup = is_tunnel_cgroup;
	ft->tunnel_cgroup_ctx = r;
	ft->is_excluded = is_excluded;
	ft->exclude_ctx = r;
	if (r->k8s) {
		ft->owner = end_owner;
		ft->owner_ctx = r;
	}
}

bool end_rules_translate_cluster_ip(struct nat_lookup *nat, struct k8s_index *idx,
				    struct ms_conn_open_event *ev)
{
	struct ms_tuple *t = &ev->tuple;
	uint8_t real[16];
	uint16_t port;

	if (!nat || ev->role != MS_ROLE_CLIENT || !k8s_index_is_cluster_ip(idx, t->remote_addr))
		return false;
	if (nat_real_destination(nat, t->local_addr, t->local_port, t->remote_addr, t->remote_port,
				 real, &port))
		return false;
	memcpy(t->remote_addr, real, sizeof(real));
	t->remote_port = port;
	return true;
}

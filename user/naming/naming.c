// SPDX-License-Identifier: BSD-2-Clause
/* See naming.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "naming/naming.h"
#include "lib/addr.h"
#include "lib/str.h"

/* One rule names an end, never a mix of two: the cgroup rule is the more specific. */
static void apply_identity(struct endpoint_names *out, const struct identity *id)
{
	if (!id)
		return;
	out->workload = str_or(id->workload, NULL);
	out->namespace_ = str_or(id->namespace_, NULL);
	out->service = str_or(id->service, NULL);
	out->service_account = str_or(id->service_account, NULL);
}

/* Istio's fallbacks when only a workload is known (identity files, bare pods). */
static void default_istio_names(struct endpoint_names *out)
{
	if (!out->workload)
		return;
	if (!out->canonical_service)
		out->canonical_service = out->workload;
	if (!out->canonical_revision)
		out->canonical_revision = "latest";
}

static void apply_pod(struct endpoint_names *out, const struct k8s_pod_ref *p)
{
	out->workload = str_or(p->workload, NULL);
	out->workload_kind = str_or(p->workload_kind, NULL);
	out->namespace_ = str_or(p->namespace_, NULL);
	out->pod = str_or(p->name, NULL);
	out->node = str_or(p->node, NULL);
	out->container = str_or(p->container, NULL);
	out->canonical_service = str_or(p->canonical_service, NULL);
	out->canonical_revision = str_or(p->canonical_revision, NULL);
	out->app = str_or(p->app, NULL);
	out->version = str_or(p->version, NULL);
	out->otel_service_name = str_or(p->service_name, NULL);
	out->otel_service_version = str_or(p->service_version, NULL);
	out->service_account = str_or(p->service_account, NULL);
}

/* The pod of a local socket by its cgroup, else of the address (port picks
 * among hostNetwork pods sharing a node IP). */
static bool resolve_pod(struct naming *n, const uint8_t addr[16], uint16_t port,
			struct endpoint_names *out)
{
	if (out->cgroup && k8s_index_pod_by_cgroup(n->k8s, out->cgroup, &out->pod_buf))
		return true;
	return k8s_index_pod_by_ip(n->k8s, addr, port, &out->pod_buf);
}

static void resolve_k8s(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
			struct endpoint_names *out)
{
	uint16_t port = end ? end->port : 0;
	bool have_pod = resolve_pod(n, addr, port, out);

	if (have_pod)
		apply_pod(out, &out->pod_buf);
	/* Only a destination has a Service: the port it was called on. */
	if (port && k8s_index_service_by_addr(n->k8s, addr, port, &out->service_buf)) {
		out->service = str_or(out->service_buf.name, NULL);
		out->service_namespace = str_or(out->service_buf.namespace_, NULL);
		out->service_fqdn = str_or(out->service_buf.fqdn, NULL);
	}
}

static void resolve_local(struct naming *n, const struct edge_end *end, struct endpoint_names *out)
{
	const char *path;

	if (!end || !end->cgroup_id || !n->cgroups)
		return;
	path = cgroup_cache_path(n->cgroups, end->cgroup_id);
	if (path) {
		snprintf(out->cgroup_buf, sizeof(out->cgroup_buf), "%s", path);
		out->cgroup = out->cgroup_buf;
	}
}

static void resolve_process(struct naming *n, const struct edge_end *end,
			    struct endpoint_names *out)
{
	if (end && end->comm[0]) {
		memcpy(out->comm_buf, end->comm, sizeof(out->comm_buf));
		out->comm_buf[sizeof(out->comm_buf) - 1] = '\0';
		out->process = out->comm_buf;
	} else if (end && end->cgroup_id && n->cgroups &&
		   !cgroup_cache_comm(n->cgroups, end->cgroup_id, out->comm_buf)) {
		out->process = out->comm_buf;
	}
}

/*
 * Order: the identity file (an operator's explicit rule wins), then the
 * Kubernetes API; a local socket is named by its cgroup before its address,
 * because a hostNetwork pod shares its address with the node.
 */
void naming_resolve(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
		    struct endpoint_names *out)
{
	const struct identity *id = NULL;

	memset(out, 0, sizeof(*out));
	addr_format(addr, out->address, sizeof(out->address));
	resolve_local(n, end, out);
	if (n->ids) {
		id = out->cgroup ? identity_by_cgroup(n->ids, out->cgroup) : NULL;
		id = id ?: identity_by_addr(n->ids, addr);
		apply_identity(out, id);
		if (id && out->service && out->namespace_)
			out->service_namespace = out->namespace_;
	}
	if (!id && n->k8s)
		resolve_k8s(n, addr, end, out);
	resolve_process(n, end, out);
	default_istio_names(out);
	out->cluster = n->cluster;
	out->external = !out->cgroup && !out->workload && !out->service;
}

bool naming_pod_uid(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
		    char uid[K8S_UID_MAX])
{
	struct endpoint_names tmp;

	if (!n->k8s)
		return false;
	memset(&tmp, 0, sizeof(tmp));
	resolve_local(n, end, &tmp);
	if (!resolve_pod(n, addr, end ? end->port : 0, &tmp))
		return false;
	snprintf(uid, K8S_UID_MAX, "%s", tmp.pod_buf.uid);
	return true;
}

const char *naming_node_name(const struct endpoint_names *n, bool server, char *buf, size_t len)
{
	const char *name = str_or(n->otel_service_name, NULL);

	/* Without Kubernetes' service.name rules: a server by the Service it
	 * was called on, a client by its workload. */
	if (!name)
		name = server ? (str_or(n->service, NULL) ?: str_or(n->workload, NULL))
			      : (str_or(n->workload, NULL) ?: str_or(n->service, NULL));

	if (name)
		snprintf(buf, len, "%s", name);
	else if (n->process)
		snprintf(buf, len, "unknown_service:%s", n->process);
	else
		snprintf(buf, len, "%s", n->address);
	return buf;
}

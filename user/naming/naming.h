/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names for the ends of an edge: the identity file by cgroup (for a local
 * socket) then by address, and the local process name. Anything not known is
 * left NULL so that renderers print null, never a made-up name.
 */
#ifndef MESHSIGHT_NAMING_H
#define MESHSIGHT_NAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/aggregator.h"
#include "naming/cgroups.h"
#include "naming/identity.h"
#include "k8s/index.h"

#define NAMING_ADDR_LEN 46 /* INET6_ADDRSTRLEN */

struct naming {
	const struct identity_table *ids; /* may be NULL */
	struct cgroup_cache *cgroups;	  /* may be NULL */
	struct k8s_index *k8s;		  /* may be NULL */
	const char *cluster;		  /* cluster name for Istio's *_cluster labels, or NULL */
	const char *cluster_domain;	  /* --cluster-domain, for Service host names */
	const char *trust_domain;	  /* --trust-domain, for Istio principals */
};

struct endpoint_names {
	char address[NAMING_ADDR_LEN];
	const char *workload;
	const char *namespace_;
	const char *service;
	const char *process;
	const char *cgroup;
	/* Kubernetes and Istio names; NULL when not known. */
	const char *workload_kind; /* "Deployment", "StatefulSet", ... */
	const char *pod;
	const char *node;
	const char *container;
	const char *service_namespace;	/* the Service's namespace */
	const char *service_fqdn;	/* name.namespace.svc.cluster.local */
	const char *canonical_service;	/* Istio: label, else the workload */
	const char *canonical_revision; /* Istio: label, else "latest" when named */
	const char *app;		/* labels app.kubernetes.io/name or app */
	const char *version;		/* labels app.kubernetes.io/version or version */
	const char *otel_service_name;	/* OpenTelemetry service.name */
	const char *otel_service_version;
	const char *cluster;
	const char *service_account; /* Kubernetes service account (Istio principals) */
	/* Not a local socket and not a known pod, Service or identity: callers
	 * put it in one "external" bucket instead of one series per address. */
	bool external;
	char comm_buf[16];
	char cgroup_buf[256]; /* the cache's string may move on its next rescan */
	struct k8s_pod_ref pod_buf;
	struct k8s_service_ref service_buf;
};

void naming_resolve(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
		    struct endpoint_names *out);
/* The UID of the Kubernetes pod an end belongs to now; false when none. */
bool naming_pod_uid(struct naming *n, const uint8_t addr[16], const struct edge_end *end,
		    char uid[K8S_UID_MAX]);
/*
 * The name a node goes by in OTLP resources, service graphs and spans: for a
 * server its service, else its workload; for a client the other way round;
 * else "unknown_service:<process>" (the SDK convention) or its address.
 * Writes into buf and returns it.
 */
const char *naming_node_name(const struct endpoint_names *n, bool server, char *buf, size_t len);

#endif /* MESHSIGHT_NAMING_H */

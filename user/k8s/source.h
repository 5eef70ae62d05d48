/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's Kubernetes source: decides from the flags and the environment
 * whether and how to reach the API server (kubeconfig, in-cluster, or off),
 * owns the index and its watcher, and retires edges whose address now
 * belongs to another pod.
 */
#ifndef MESHSIGHT_K8S_H
#define MESHSIGHT_K8S_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/aggregator.h"
#include "k8s/api.h"
#include "k8s/index.h"
#include "naming/naming.h"

struct k8s_flags {
	const char *mode;	      /* "auto" (default) or "off" */
	const char *kubeconfig;	      /* --kubeconfig, else $KUBECONFIG */
	const char *context;	      /* --kube-context */
	const char *watch;	      /* "cluster" (default) or "node" */
	const char *node_name;	      /* --node-name, else $NODE_NAME */
	const char *cluster_name;     /* Istio's cluster id; "Kubernetes" */
	const char *cluster_domain;   /* "cluster.local" */
	const char *serviceaccount;   /* in-cluster credentials dir (tests) */
	uint32_t sync_timeout_s;      /* wait this long for the first lists at start */
	const char *virtual_services; /* --k8s-virtualservices off|v1|v1beta1 */
};

struct k8s_source {
	bool enabled;
	struct k8s_api_config api;
	struct k8s_index *idx;
	struct k8s_watcher *watcher;
	char node_name[K8S_NAME_MAX];
	int nkinds; /* kinds watched: all, or all but VirtualServices (the last) */
};

/*
 * Starts watching when the flags or the environment ask for it. 0 also when
 * Kubernetes is simply not there (mode auto, no kubeconfig, not in a pod):
 * s->enabled says which. -errno with a message in err when it was asked for
 * and cannot be done (unreadable kubeconfig, node watch without a node name).
 */
int k8s_source_start(struct k8s_source *s, const struct k8s_flags *f, char *err, size_t errlen);
void k8s_source_stop(struct k8s_source *s);

/*
 * Ends every edge with an end whose address or cgroup now names a different
 * pod than the one it was first named as (pod IPs are reused), so that the
 * old pod's counts are never shown under the new pod's name. Stamps ends
 * seen for the first time. Caller holds the agent lock.
 */
void k8s_retire_renamed_edges(struct naming *n, struct aggregator *agg);

/* The "kubernetes" object of /api/v1/stats: sync state and watch counters. */
json_t *k8s_source_stats_json(struct k8s_source *s);
/* meshsight_k8s_* families of /metrics. */
void k8s_source_render_prom(struct k8s_source *s, FILE *out);

#endif /* MESHSIGHT_K8S_H */

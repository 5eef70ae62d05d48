/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What this node knows about the cluster: pods, Services and EndpointSlices
 * as the API server last described them, indexed for the questions naming
 * asks ("which pod has this IP", "which Service is this ClusterIP:port",
 * "which pod owns this cgroup"). Pure C plus jansson: no network, no libbpf,
 * unit-tested with real Kubernetes JSON.
 *
 * The watcher (k8s/watch.c) feeds objects in from its threads; readers copy
 * what they need into a k8s_pod_ref / k8s_service_ref so that nothing they
 * hold can be freed under them. The index takes its own lock.
 *
 * A relist (start-up, 410 Gone, reconnect after an outage) is bracketed by
 * k8s_index_resync_begin/end: objects of that kind not seen again in the new
 * list are deleted at the end, so a missed DELETED event never leaves a
 * stale name behind.
 */
#ifndef MESHSIGHT_K8S_INDEX_H
#define MESHSIGHT_K8S_INDEX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum k8s_kind {
	K8S_KIND_POD = 0,
	K8S_KIND_SERVICE,
	K8S_KIND_ENDPOINTSLICE,
	K8S_KIND_VIRTUALSERVICE, /* Istio networking.istio.io; watched only when asked */
	K8S_KIND__MAX,
};

enum k8s_event_type {
	K8S_EVENT_ADDED = 0,
	K8S_EVENT_MODIFIED,
	K8S_EVENT_DELETED,
};

#define K8S_NAME_MAX	  254 /* DNS subdomain names: 253 + NUL */
#define K8S_LABEL_MAX	  64  /* label values and DNS labels (namespace): 63 + NUL */
#define K8S_UID_MAX	  40  /* 36-character UUID + NUL, rounded */
#define K8S_KIND_NAME_MAX 24

/* A copy of what naming needs about one pod. "" when not known. */
struct k8s_pod_ref {
	char name[K8S_NAME_MAX];
	char namespace_[K8S_LABEL_MAX];
	char uid[K8S_UID_MAX];
	char node[K8S_NAME_MAX];
	/* Owning workload: Deployment (from its ReplicaSet), StatefulSet,
	 * DaemonSet, CronJob (from its Job), Job, ReplicaSet, or the pod itself. */
	char workload[K8S_NAME_MAX];
	char workload_kind[K8S_KIND_NAME_MAX];
	char app[K8S_LABEL_MAX];		/* label app.kubernetes.io/name, else app */
	char version[K8S_LABEL_MAX];		/* label app.kubernetes.io/version, else version */
	char canonical_service[K8S_LABEL_MAX];	/* Istio's rule, see k8s/index.c */
	char canonical_revision[K8S_LABEL_MAX]; /* Istio's rule; "latest" by default */
	char service_name[K8S_NAME_MAX];	/* OpenTelemetry service.name for k8s */
	char service_version[K8S_LABEL_MAX];	/* OpenTelemetry service.version or "" */
	char container[K8S_LABEL_MAX];	    /* only from k8s_index_pod_by_uid with a container id */
	char service_account[K8S_NAME_MAX]; /* spec.serviceAccountName: Istio's principal */
	bool host_network;
};

/* A copy of one Service. */
struct k8s_service_ref {
	char name[K8S_LABEL_MAX];
	char namespace_[K8S_LABEL_MAX];
	char fqdn[K8S_NAME_MAX]; /* name.namespace.svc.<cluster domain> */
};

/*
 * One weighted destination of a VirtualService's default HTTP route: host
 * as a FQDN (a short or name.namespace host completed in the
 * VirtualService's namespace), subset "" when none, weight in percent.
 */
#define K8S_ROUTE_DESTS_MAX 16
struct k8s_route_dest {
	char host[K8S_NAME_MAX];
	char subset[K8S_LABEL_MAX];
	uint32_t weight;
};

/* What one VirtualService routes to one Service. */
struct k8s_route {
	char virtual_service[K8S_NAME_MAX]; /* namespace/name */
	struct k8s_route_dest dests[K8S_ROUTE_DESTS_MAX];
	size_t ndests;
};

struct k8s_index_stats {
	uint64_t objects[K8S_KIND__MAX]; /* held now */
	uint64_t applied[K8S_KIND__MAX]; /* events applied since start */
	uint64_t rejected;		 /* malformed objects: see k8s_index_apply */
	uint64_t pod_ips;		 /* entries in the pod IP index */
	uint64_t service_addrs;		 /* ClusterIP and endpoint address entries */
	uint64_t changes;		 /* applied events and relist sweeps: a changed value means
					  * a lookup may now answer differently */
};

struct k8s_index;

/* cluster_domain: "cluster.local" when NULL. NULL on ENOMEM. */
struct k8s_index *k8s_index_new(const char *cluster_domain);
void k8s_index_free(struct k8s_index *idx);

/*
 * Applies one watch event (or one item of a list, as ADDED). obj is the
 * Kubernetes object as JSON. 0, or -EINVAL when obj lacks metadata.name /
 * namespace / uid, has a "kind" other than kind's, a field of the wrong JSON
 * type or an address that does not parse (counted as rejected; the version
 * held before, if any, stays), or -ENOMEM.
 */
int k8s_index_apply(struct k8s_index *idx, enum k8s_kind kind, enum k8s_event_type type,
		    const json_t *obj);
void k8s_index_resync_begin(struct k8s_index *idx, enum k8s_kind kind);
void k8s_index_resync_end(struct k8s_index *idx, enum k8s_kind kind);

/*
 * The pod behind an address (16 bytes, IPv4 as ::ffff:a.b.c.d). Pods with
 * their own IP win; a node IP matches a hostNetwork pod on that node only
 * when exactly one of them declares port (containerPort or hostPort) or port
 * is 0 and the node runs one hostNetwork pod. Pods that finished (Succeeded,
 * Failed) own no IP; pods being deleted lose their IP to any other pod
 * claiming it (among equals the most recently created wins) and keep it
 * only while no other pod claims it (they still serve during their grace
 * period).
 * Last, an address no pod and no hostNetwork pod has, but that an
 * EndpointSlice lists with a targetRef of kind Pod (port 0, or a port of the
 * slice), gives that pod's name, namespace, uid and node only, the rest ""
 * (a pod on another node when pods are watched node-scoped).
 */
bool k8s_index_pod_by_ip(struct k8s_index *idx, const uint8_t addr[16], uint16_t port,
			 struct k8s_pod_ref *out);
/*
 * By metadata.uid, or for a static pod by the uid kubelet uses in its cgroup
 * (annotation kubernetes.io/config.mirror). container_id: the runtime's id
 * without "containerd://" etc. (the full 64 characters, or a prefix of at
 * least 12), or NULL; an id the pod does not have leaves container "".
 */
bool k8s_index_pod_by_uid(struct k8s_index *idx, const char *uid, const char *container_id,
			  struct k8s_pod_ref *out);
/*
 * The Service an address:port belongs to: a ClusterIP (or any of
 * spec.clusterIPs) with a matching service port, else a ready endpoint of an
 * EndpointSlice with a matching port (the Service named by the slice's
 * kubernetes.io/service-name label).
 */
bool k8s_index_service_by_addr(struct k8s_index *idx, const uint8_t addr[16], uint16_t port,
			       struct k8s_service_ref *out);
/*
 * The configured split of Service fqdn: the destinations with that host of
 * the default HTTP route (the first rule without a match) of a
 * VirtualService that routes to it; when several do, the first by
 * namespace/name. False when none does.
 */
bool k8s_index_route_for(struct k8s_index *idx, const char *fqdn, struct k8s_route *out);
/* True when any VirtualService is held: cheap, for skipping the work above. */
bool k8s_index_has_routes(struct k8s_index *idx);
/* True when addr is one of the known Services' ClusterIPs. */
bool k8s_index_is_cluster_ip(struct k8s_index *idx, const uint8_t addr[16]);
void k8s_index_get_stats(struct k8s_index *idx, struct k8s_index_stats *out);

/* The pod (and container) a cgroup v2 path belongs to: k8s_cgroup_pod, then
 * k8s_index_pod_by_uid. */
bool k8s_index_pod_by_cgroup(struct k8s_index *idx, const char *cgroup_path,
			     struct k8s_pod_ref *out);
/*
 * Pod UID and container id from a cgroup v2 path, for both cgroup drivers:
 *   systemd:  /kubepods.slice/kubepods-burstable.slice/
 *             kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
 *   cgroupfs: /kubepods/burstable/pod<uid>/<id>
 * (also crio-<id>.scope and docker-<id>.scope). 0 and fills uid (with '-')
 * and container_id ("" for the pod's own cgroup); -ENOENT when the path is
 * not a pod's.
 */
int k8s_cgroup_pod(const char *cgroup_path, char uid[K8S_UID_MAX], char *container_id,
		   size_t container_id_len);

#endif /* MESHSIGHT_K8S_INDEX_H */

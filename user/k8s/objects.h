/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The node's model of the cluster (k8s/index.h), inside k8s/: the records
 * objects.c parses, the tables index.c keeps, and how cgroup_pods.c finds a
 * pod from a cgroup path.
 *
 * Each object is parsed from its JSON into a small fixed record outside the
 * lock (names are computed once, at apply time, so lookups only copy), then
 * swapped in under one mutex. Objects live in one hash table per kind keyed by
 * metadata.uid; four address tables point into them: pod IPs, node IPs of
 * hostNetwork pods, Service ClusterIPs and EndpointSlice endpoint addresses.
 * An address entry lists every object claiming the address rather than one
 * owner, so that when two pods claim an IP (one terminating, one new) the
 * lookup picks the winner and deleting the loser leaves the winner indexed,
 * whatever order the events came in.
 *
 * Naming rules and their sources:
 *
 *  Workload (no ReplicaSet or Job watch, to keep API load low), as Istio's
 *  pkg/kube GetDeployMetaFromPod deduces it: the controller ownerReference;
 *  a ReplicaSet named "<name>-<label pod-template-hash>" is Deployment <name>;
 *  a Job named "<name>-<8 to 10 digits>" is CronJob <name> (the CronJob
 *  controller names each Job after its scheduled time in minutes since the
 *  epoch; the OpenTelemetry k8sattributes processor accepts any "-<digits>",
 *  we keep Istio's stricter width so "migrate-2" stays a Job); StatefulSet,
 *  DaemonSet, a ReplicaSet without the hash and a Job without the suffix are
 *  kept as they are; no controller, or a Node (static pods' mirrors), names
 *  the pod itself with kind "Pod".
 *
 *  service.name, per the OpenTelemetry semantic conventions "Populating
 *  resource attributes in Kubernetes" (non-normative k8s-attributes), first
 *  found of: annotation resource.opentelemetry.io/service.name, label
 *  app.kubernetes.io/instance, label app.kubernetes.io/name, then the names of
 *  the Deployment, ReplicaSet, StatefulSet, DaemonSet, CronJob, Job, then the
 *  pod name (always present, so the container name, last in the spec, is never
 *  reached). The spec asks for the well-known labels to be opt-in; the index
 *  has no such switch and always uses them.
 *
 *  service.version, same document: annotation
 *  resource.opentelemetry.io/service.version, label app.kubernetes.io/version,
 *  then from the container image "<tag>@<digest>", "<digest>" or "<tag>" (the
 *  one container's image for a pod-level lookup, that container's image for a
 *  lookup by container id). A value that does not fit K8S_LABEL_MAX falls back
 *  to the tag alone rather than being cut.
 *
 *  Istio canonical names (istio pkg/config/labels CanonicalService):
 *  service.istio.io/canonical-name, else app.kubernetes.io/name, else app,
 *  else the workload name; service.istio.io/canonical-revision, else
 *  app.kubernetes.io/version, else version, else "latest". app and version are
 *  the same labels without the Istio ones. Empty label values count as unset.
 */
#ifndef MESHSIGHT_OBJECTS_H
#define MESHSIGHT_OBJECTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/htab.h"
#include "k8s/index.h"
#include "lib/str.h"
#include "lib/addr.h"

#define POD_IPS_MAX	     4	  /* the API allows one per family */
#define SVC_IPS_MAX	     4	  /* likewise for spec.clusterIPs */
#define SLICE_ENDPOINTS_MAX  1000 /* API validation limit per EndpointSlice */
#define ENDPOINT_ADDRS_MAX   100  /* API validation limit per endpoint */
#define CONTAINER_ID_LEN     64	  /* hex characters */
#define CONTAINER_ID_MIN_LEN 12	  /* short ids some runtimes print */

/* Every object record starts with this, so removal and resync are generic. */
struct obj {
	struct htab_node node; /* in idx->objs[kind], keyed by uid */
	char uid[K8S_UID_MAX];
	enum k8s_kind kind;
	uint64_t gen; /* resync generation it was last applied in */
};

struct container {
	char name[K8S_LABEL_MAX];
	char id[CONTAINER_ID_LEN + 1];
	char version[K8S_LABEL_MAX]; /* from its image, see service.version */
};

struct pod {
	struct obj o;
	struct htab_node mirror_node; /* in idx->mirrors when mirror_uid[0] */
	char mirror_uid[K8S_UID_MAX]; /* static pods: kubelet's uid, seen in cgroups */
	struct k8s_pod_ref ref;	      /* container always "" */
	bool version_from_meta;	      /* service_version from annotation or label */
	bool finished;		      /* Succeeded or Failed: owns no address */
	bool deleting;		      /* deletionTimestamp set: loses its IP to others */
	int64_t created;	      /* creationTimestamp, seconds */
	uint64_t seq;		      /* apply order, breaks ties */
	uint8_t ips[POD_IPS_MAX][16];
	size_t nips;
	uint8_t host_ips[POD_IPS_MAX][16]; /* hostNetwork pods only */
	size_t nhost_ips;
	uint16_t *ports; /* containerPort and hostPort, hostNetwork pods only */
	size_t nports;
	struct container *containers;
	size_t ncontainers;
};

struct service {
	struct obj o;
	struct k8s_service_ref ref;
	uint8_t ips[SVC_IPS_MAX][16];
	size_t nips;
	uint16_t *ports;
	size_t nports;
};

struct endpoint {
	struct slice *slice;
	uint8_t addr[16];
	bool ready;
	char node[K8S_NAME_MAX];
	char pod[K8S_NAME_MAX]; /* targetRef of kind Pod, else "" */
	char pod_ns[K8S_LABEL_MAX];
	char pod_uid[K8S_UID_MAX];
};

struct slice {
	struct obj o;
	struct k8s_service_ref svc; /* name "" when the slice names no Service */
	struct endpoint *eps;
	size_t neps;
	uint16_t *ports;
	size_t nports;
	bool any_port; /* a port entry without a number: all ports */
};

/* A VirtualService: only its default HTTP route (k8s/index.h). */
struct vservice {
	struct obj o;
	struct k8s_route route;
};

/* All objects claiming one address; items point at pods, services or endpoints. */
struct addr_entry {
	struct htab_node node;
	uint8_t addr[16];
	void **items;
	size_t n, cap;
};

enum addr_table {
	AT_POD_IP = 0,
	AT_HOST_IP,
	AT_CLUSTER_IP,
	AT_ENDPOINT,
	AT__MAX,
};

struct k8s_index {
	pthread_mutex_t lock;
	char domain[K8S_NAME_MAX];
	struct htab objs[K8S_KIND__MAX];
	struct htab mirrors;
	struct htab addrs[AT__MAX];
	uint64_t gen[K8S_KIND__MAX];
	bool resyncing[K8S_KIND__MAX];
	uint64_t seq;
	struct k8s_index_stats stats;
};

bool ports_have(const uint16_t *ports, size_t n, uint16_t port);
int read_meta(bool *bad, const json_t *obj, enum k8s_kind kind, const json_t **meta,
	      const char **name, const char **ns, const char **uid);
void free_pod(struct pod *p);
int parse_pod(const json_t *obj, struct pod **out);
void free_service(struct service *s);
int parse_service(const json_t *obj, const char *domain, struct service **out);
void free_slice(struct slice *sl);
int parse_slice(const json_t *obj, const char *domain, struct slice **out);
int parse_vservice(const json_t *obj, const char *domain, struct vservice **out);

#endif /* MESHSIGHT_OBJECTS_H */

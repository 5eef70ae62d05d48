// SPDX-License-Identifier: BSD-2-Clause
/*
 * The node's model of the cluster: see k8s_index.h.
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
#define _GNU_SOURCE
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

/* --- small helpers ------------------------------------------------------ */

static const char *first_set(const char *a, const char *b)
{
	return a && a[0] ? a : b;
}

static bool ports_have(const uint16_t *ports, size_t n, uint16_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static bool addr_in(const uint8_t (*ips)[16], size_t n, const uint8_t addr[16])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(ips[i], addr, 16))
			return true;
	return false;
}

/* --- JSON access --------------------------------------------------------- */

/*
 * Accessors that treat a missing or null member as absent and a member of the
 * wrong type as malformed: they set *bad and return the absent value, so a
 * parser reads straight through and checks once at the end.
 */
static json_t *jget(bool *bad, const json_t *o, const char *key, json_type type)
{
	json_t *v = o ? json_object_get(o, key) : NULL;

	if (!v || json_is_null(v))
		return NULL;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		*bad = true;
		return NULL;
	}
	return v;
}

static const char *jstr(bool *bad, const json_t *o, const char *key)
{
	return json_string_value(jget(bad, o, key, JSON_STRING));
}

static const json_t *jobj(bool *bad, const json_t *o, const char *key)
{
	return jget(bad, o, key, JSON_OBJECT);
}

static const json_t *jarr(bool *bad, const json_t *o, const char *key)
{
	return jget(bad, o, key, JSON_ARRAY);
}

static bool jbool(bool *bad, const json_t *o, const char *key, bool dflt)
{
	json_t *v = jget(bad, o, key, JSON_TRUE);

	return v ? json_is_true(v) : dflt;
}

/* A port number: 0 when absent, *bad when not an integer in 1..65535. */
static uint16_t jport(bool *bad, const json_t *o, const char *key)
{
	json_t *v = jget(bad, o, key, JSON_INTEGER);
	json_int_t p = v ? json_integer_value(v) : 0;

	if (v && (p < 1 || p > 65535))
		*bad = true;
	return v && !*bad ? (uint16_t)p : 0;
}

/* Element i of an array that must be an object. */
static const json_t *jelem_obj(bool *bad, const json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	if (!json_is_object(v))
		*bad = true;
	return json_is_object(v) ? v : NULL;
}

static const char *jelem_str(bool *bad, const json_t *arr, size_t i)
{
	json_t *v = json_array_get(arr, i);

	if (!json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

/* RFC 3339 as the API server writes it ("2024-05-01T10:00:00Z"); 0 if absent. */
static int64_t parse_time(bool *bad, const char *s)
{
	struct tm tm = {0};
	const char *end;

	if (!s)
		return 0;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end) {
		*bad = true;
		return 0;
	}
	return (int64_t)timegm(&tm);
}

/*
 * metadata.name, namespace and uid, which every kind here must have, and a
 * kind field that, when present (watch events and kubectl output carry it,
 * raw list items do not), matches the kind being applied.
 */
static int read_meta(bool *bad, const json_t *obj, enum k8s_kind kind, const json_t **meta,
		     const char **name, const char **ns, const char **uid)
{
	static const char *const kinds[K8S_KIND__MAX] = {"Pod", "Service", "EndpointSlice"};
	const char *k;

	if (!json_is_object(obj))
		return -EINVAL;
	k = jstr(bad, obj, "kind");
	if (k && strcmp(k, kinds[kind]))
		return -EINVAL;
	*meta = jobj(bad, obj, "metadata");
	*name = jstr(bad, *meta, "name");
	*ns = jstr(bad, *meta, "namespace");
	*uid = jstr(bad, *meta, "uid");
	if (*bad || !*name || !*name[0] || !*ns || !*ns[0] || !*uid || !*uid[0] ||
	    strlen(*uid) >= K8S_UID_MAX)
		return -EINVAL;
	return 0;
}

/* --- pods: names ----------------------------------------------------------- */

/* True when s ends with "-" followed by suffix, with something before it. */
static bool has_dash_suffix(const char *s, const char *suffix, size_t *prefix_len)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (!m || n < m + 2 || s[n - m - 1] != '-' || strcmp(s + n - m, suffix))
		return false;
	*prefix_len = n - m - 1;
	return true;
}

/* A CronJob's Job: "<cronjob>-<scheduled time in minutes, 8 to 10 digits>". */
static bool cronjob_prefix(const char *job, size_t *prefix_len)
{
	size_t n = strlen(job), d = 0;

	while (d < n && job[n - 1 - d] >= '0' && job[n - 1 - d] <= '9')
		d++;
	if (d < 8 || d > 10 || n < d + 2 || job[n - d - 1] != '-')
		return false;
	*prefix_len = n - d - 1;
	return true;
}

static void set_workload(struct k8s_pod_ref *r, const char *kind, const char *name, size_t len)
{
	if (len >= sizeof(r->workload))
		len = sizeof(r->workload) - 1;
	memcpy(r->workload, name, len);
	r->workload[len] = '\0';
	str_copy(r->workload_kind, sizeof(r->workload_kind), kind);
}

/* The controller ownerReference, or NULL. */
static const json_t *controller_ref(bool *bad, const json_t *meta)
{
	const json_t *owners = jarr(bad, meta, "ownerReferences");
	const json_t *o;
	size_t i;

	for (i = 0; owners && i < json_array_size(owners); i++) {
		o = jelem_obj(bad, owners, i);
		if (o && jbool(bad, o, "controller", false))
			return o;
	}
	return NULL;
}

static void derive_workload(bool *bad, const json_t *meta, const json_t *labels,
			    struct k8s_pod_ref *r)
{
	const json_t *owner = controller_ref(bad, meta);
	const char *kind = jstr(bad, owner, "kind"), *name = jstr(bad, owner, "name");
	const char *hash = jstr(bad, labels, "pod-template-hash");
	size_t len;

	if (!kind || !name || !name[0] || !strcmp(kind, "Node")) {
		set_workload(r, "Pod", r->name, strlen(r->name));
		return;
	}
	if (!strcmp(kind, "ReplicaSet") && hash && has_dash_suffix(name, hash, &len))
		set_workload(r, "Deployment", name, len);
	else if (!strcmp(kind, "Job") && cronjob_prefix(name, &len))
		set_workload(r, "CronJob", name, len);
	else
		set_workload(r, kind, name, strlen(name));
}

/* The kinds whose name service.name uses, in the spec's order of precedence. */
static bool otel_workload_kind(const char *kind)
{
	static const char *const kinds[] = {"Deployment", "ReplicaSet", "StatefulSet",
					    "DaemonSet",  "CronJob",	"Job"};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

static void derive_names(bool *bad, const json_t *labels, const json_t *annots, struct pod *p)
{
	struct k8s_pod_ref *r = &p->ref;
	const char *app =
	    first_set(jstr(bad, labels, "app.kubernetes.io/name"), jstr(bad, labels, "app"));
	const char *ver =
	    first_set(jstr(bad, labels, "app.kubernetes.io/version"), jstr(bad, labels, "version"));
	const char *otel_name = jstr(bad, annots, "resource.opentelemetry.io/service.name");
	const char *otel_ver = jstr(bad, annots, "resource.opentelemetry.io/service.version");
	const char *s;

	str_copy(r->app, sizeof(r->app), app);
	str_copy(r->version, sizeof(r->version), ver);
	s = first_set(jstr(bad, labels, "service.istio.io/canonical-name"), app);
	str_copy(r->canonical_service, sizeof(r->canonical_service), first_set(s, r->workload));
	s = first_set(jstr(bad, labels, "service.istio.io/canonical-revision"), ver);
	str_copy(r->canonical_revision, sizeof(r->canonical_revision), first_set(s, "latest"));

	s = first_set(otel_name, jstr(bad, labels, "app.kubernetes.io/instance"));
	s = first_set(s, jstr(bad, labels, "app.kubernetes.io/name"));
	if (!s || !s[0])
		s = otel_workload_kind(r->workload_kind) ? r->workload : r->name;
	str_copy(r->service_name, sizeof(r->service_name), s);

	s = first_set(otel_ver, jstr(bad, labels, "app.kubernetes.io/version"));
	p->version_from_meta = s && s[0];
	str_copy(r->service_version, sizeof(r->service_version), s);
}

/*
 * service.version from an image reference ("reg:5000/repo/name:tag@sha256:..."):
 * "<tag>@<digest>", else "<digest>", else "<tag>"; the tag alone when the
 * longer form does not fit.
 */
static void image_version(const char *image, char *out, size_t len)
{
	char ref[512];
	char *digest, *slash, *colon, *tag = NULL;

	out[0] = '\0';
	if (!image || strlen(image) >= sizeof(ref))
		return;
	strcpy(ref, image);
	digest = strchr(ref, '@');
	if (digest)
		*digest++ = '\0';
	slash = strrchr(ref, '/');
	colon = strrchr(slash ? slash : ref, ':');
	if (colon)
		tag = colon + 1;
	if (tag && digest && (size_t)snprintf(out, len, "%s@%s", tag, digest) < len)
		return;
	if (!tag && digest && strlen(digest) < len) {
		strcpy(out, digest);
		return;
	}
	str_copy(out, len, tag);
}

/* --- pods: parsing --------------------------------------------------------- */

static struct container *find_container(struct pod *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i].name, name))
			return &p->containers[i];
	return NULL;
}

/* "containerd://<id>", "cri-o://<id>", "docker://<id>": the id after "://". */
static void copy_container_id(char *dst, const char *runtime_id)
{
	const char *sep = runtime_id ? strstr(runtime_id, "://") : NULL;

	str_copy(dst, CONTAINER_ID_LEN + 1, sep ? sep + 3 : runtime_id);
}

static void add_ports(bool *bad, struct pod *p, const json_t *c)
{
	const json_t *ports = jarr(bad, c, "ports");
	const json_t *port;
	uint16_t v;
	size_t i;

	for (i = 0; ports && i < json_array_size(ports); i++) {
		port = jelem_obj(bad, ports, i);
		v = jport(bad, port, "containerPort");
		if (v && !ports_have(p->ports, p->nports, v))
			p->ports[p->nports++] = v;
		v = jport(bad, port, "hostPort");
		if (v && !ports_have(p->ports, p->nports, v))
			p->ports[p->nports++] = v;
	}
}

/* Containers of spec.<key>: names, image versions and (hostNetwork) ports. */
static void add_spec_containers(bool *bad, struct pod *p, const json_t *spec, const char *key)
{
	const json_t *arr = jarr(bad, spec, key), *c;
	struct container *ct;
	size_t i;

	for (i = 0; arr && i < json_array_size(arr); i++) {
		c = jelem_obj(bad, arr, i);
		if (!c || !jstr(bad, c, "name"))
			continue;
		ct = &p->containers[p->ncontainers++];
		str_copy(ct->name, sizeof(ct->name), jstr(bad, c, "name"));
		image_version(jstr(bad, c, "image"), ct->version, sizeof(ct->version));
		if (p->ref.host_network)
			add_ports(bad, p, c);
	}
}

/* Runtime ids from status.<key>, matched to the spec's containers by name. */
static void add_statuses(bool *bad, struct pod *p, const json_t *status, const char *key)
{
	const json_t *arr = jarr(bad, status, key), *s;
	const char *name;
	struct container *ct;
	size_t i;

	for (i = 0; arr && i < json_array_size(arr); i++) {
		s = jelem_obj(bad, arr, i);
		name = jstr(bad, s, "name");
		if (!name)
			continue;
		ct = find_container(p, name);
		if (!ct) {
			ct = &p->containers[p->ncontainers++];
			str_copy(ct->name, sizeof(ct->name), name);
		}
		copy_container_id(ct->id, jstr(bad, s, "containerID"));
	}
}

static size_t array_len(const json_t *o, const char *key)
{
	return json_array_size(o ? json_object_get(o, key) : NULL);
}

static int alloc_pod_arrays(struct pod *p, const json_t *spec, const json_t *status)
{
	static const char *const spec_keys[] = {"containers", "initContainers",
						"ephemeralContainers"};
	static const char *const status_keys[] = {"containerStatuses", "initContainerStatuses",
						  "ephemeralContainerStatuses"};
	size_t ncont = 0, nports = 0, i, j;
	const json_t *arr;

	for (i = 0; i < 3; i++) {
		ncont += array_len(spec, spec_keys[i]) + array_len(status, status_keys[i]);
		arr = spec ? json_object_get(spec, spec_keys[i]) : NULL;
		for (j = 0; j < json_array_size(arr); j++)
			nports += 2 * array_len(json_array_get(arr, j), "ports");
	}
	p->containers = calloc(ncont ? ncont : 1, sizeof(*p->containers));
	p->ports = calloc(nports ? nports : 1, sizeof(*p->ports));
	return p->containers && p->ports ? 0 : -ENOMEM;
}

/* Addresses from <key>s[].ip, else <key>; *bad on a malformed one. */
static void read_ips(bool *bad, const json_t *status, const char *key, const char *list_key,
		     uint8_t (*ips)[16], size_t *n)
{
	const json_t *list = jarr(bad, status, list_key);
	const char *s;
	size_t i;

	for (i = 0; list && i < json_array_size(list) && !*bad; i++) {
		s = jstr(bad, jelem_obj(bad, list, i), "ip");
		if (!s || *n >= POD_IPS_MAX || addr_parse(s, ips[*n]))
			*bad = true;
		else if (!addr_in((const uint8_t(*)[16])ips, *n, ips[*n]))
			(*n)++;
	}
	s = jstr(bad, status, key);
	if (!*n && s && s[0]) {
		if (addr_parse(s, ips[0]))
			*bad = true;
		else
			*n = 1;
	}
}

static void free_pod(struct pod *p)
{
	if (!p)
		return;
	free(p->ports);
	free(p->containers);
	free(p);
}

static int parse_pod_body(bool *bad, struct pod *p, const json_t *obj, const json_t *meta)
{
	const json_t *spec = jobj(bad, obj, "spec"), *status = jobj(bad, obj, "status");
	const json_t *labels = jobj(bad, meta, "labels");
	const json_t *annots = jobj(bad, meta, "annotations");
	const char *phase = jstr(bad, status, "phase");

	str_copy(p->ref.node, sizeof(p->ref.node), jstr(bad, spec, "nodeName"));
	p->ref.host_network = jbool(bad, spec, "hostNetwork", false);
	p->finished = phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
	p->deleting = jstr(bad, meta, "deletionTimestamp") != NULL;
	p->created = parse_time(bad, jstr(bad, meta, "creationTimestamp"));
	str_copy(p->mirror_uid, sizeof(p->mirror_uid),
		 jstr(bad, annots, "kubernetes.io/config.mirror"));
	if (alloc_pod_arrays(p, spec, status))
		return -ENOMEM;
	add_spec_containers(bad, p, spec, "containers");
	add_spec_containers(bad, p, spec, "initContainers");
	add_spec_containers(bad, p, spec, "ephemeralContainers");
	add_statuses(bad, p, status, "containerStatuses");
	add_statuses(bad, p, status, "initContainerStatuses");
	add_statuses(bad, p, status, "ephemeralContainerStatuses");
	read_ips(bad, status, "podIP", "podIPs", p->ips, &p->nips);
	if (p->ref.host_network)
		read_ips(bad, status, "hostIP", "hostIPs", p->host_ips, &p->nhost_ips);
	derive_workload(bad, meta, labels, &p->ref);
	derive_names(bad, labels, annots, p);
	/* Pod-level version from the image only when there is one container. */
	if (!p->version_from_meta && array_len(spec, "containers") == 1)
		str_copy(p->ref.service_version, sizeof(p->ref.service_version),
			 p->containers[0].version);
	return *bad ? -EINVAL : 0;
}

static int parse_pod(const json_t *obj, struct pod **out)
{
	const char *name, *ns, *uid;
	const json_t *meta;
	bool bad = false;
	struct pod *p;
	int err;

	err = read_meta(&bad, obj, K8S_KIND_POD, &meta, &name, &ns, &uid);
	if (err)
		return err;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->o.kind = K8S_KIND_POD;
	str_copy(p->o.uid, sizeof(p->o.uid), uid);
	str_copy(p->ref.uid, sizeof(p->ref.uid), uid);
	str_copy(p->ref.name, sizeof(p->ref.name), name);
	str_copy(p->ref.namespace_, sizeof(p->ref.namespace_), ns);
	err = parse_pod_body(&bad, p, obj, meta);
	if (err) {
		free_pod(p);
		return err;
	}
	*out = p;
	return 0;
}

/* --- Services and EndpointSlices: parsing ---------------------------------- */

static void free_service(struct service *s)
{
	if (!s)
		return;
	free(s->ports);
	free(s);
}

static void fill_service_ref(struct k8s_service_ref *r, const char *domain, const char *name,
			     const char *ns)
{
	char fqdn[K8S_LABEL_MAX * 2 + K8S_NAME_MAX + 8];

	str_copy(r->name, sizeof(r->name), name);
	str_copy(r->namespace_, sizeof(r->namespace_), ns);
	snprintf(fqdn, sizeof(fqdn), "%s.%s.svc.%s", r->name, r->namespace_, domain);
	str_copy(r->fqdn, sizeof(r->fqdn), fqdn);
}

/* One ClusterIP; "None" (headless) and "" are not addresses. */
static void add_cluster_ip(bool *bad, struct service *s, const char *ip)
{
	uint8_t a[16];

	if (!ip || !ip[0] || !strcmp(ip, "None"))
		return;
	if (addr_parse(ip, a)) {
		*bad = true;
		return;
	}
	if (addr_in((const uint8_t(*)[16])s->ips, s->nips, a))
		return;
	if (s->nips >= SVC_IPS_MAX) {
		*bad = true;
		return;
	}
	memcpy(s->ips[s->nips++], a, 16);
}

static int parse_service_spec(bool *bad, struct service *s, const json_t *spec)
{
	const json_t *ips = jarr(bad, spec, "clusterIPs");
	const json_t *ports = jarr(bad, spec, "ports");
	uint16_t v;
	size_t i;

	add_cluster_ip(bad, s, jstr(bad, spec, "clusterIP"));
	for (i = 0; ips && i < json_array_size(ips); i++)
		add_cluster_ip(bad, s, jelem_str(bad, ips, i));
	s->ports = calloc(json_array_size(ports) + 1, sizeof(*s->ports));
	if (!s->ports)
		return -ENOMEM;
	for (i = 0; ports && i < json_array_size(ports); i++) {
		v = jport(bad, jelem_obj(bad, ports, i), "port");
		if (!v)
			*bad = true;
		else if (!ports_have(s->ports, s->nports, v))
			s->ports[s->nports++] = v;
	}
	return *bad ? -EINVAL : 0;
}

static int parse_service(const json_t *obj, const char *domain, struct service **out)
{
	const char *name, *ns, *uid;
	const json_t *meta;
	bool bad = false;
	struct service *s;
	int err;

	err = read_meta(&bad, obj, K8S_KIND_SERVICE, &meta, &name, &ns, &uid);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o.kind = K8S_KIND_SERVICE;
	str_copy(s->o.uid, sizeof(s->o.uid), uid);
	fill_service_ref(&s->ref, domain, name, ns);
	err = parse_service_spec(&bad, s, jobj(&bad, obj, "spec"));
	if (err) {
		free_service(s);
		return err;
	}
	*out = s;
	return 0;
}

static void free_slice(struct slice *sl)
{
	if (!sl)
		return;
	free(sl->eps);
	free(sl->ports);
	free(sl);
}

/* Endpoint ep of the slice: one record per address. */
static void parse_endpoint(bool *bad, struct slice *sl, const json_t *ep)
{
	const json_t *addrs = jarr(bad, ep, "addresses");
	const json_t *ref = jobj(bad, ep, "targetRef");
	const char *kind = jstr(bad, ref, "kind");
	bool ready = jbool(bad, jobj(bad, ep, "conditions"), "ready", true);
	struct endpoint *e;
	const char *s;
	size_t i;

	if (!addrs || json_array_size(addrs) > ENDPOINT_ADDRS_MAX) {
		*bad = true;
		return;
	}
	for (i = 0; i < json_array_size(addrs) && !*bad; i++) {
		s = jelem_str(bad, addrs, i);
		e = &sl->eps[sl->neps];
		if (!s || addr_parse(s, e->addr)) {
			*bad = true;
			return;
		}
		e->slice = sl;
		e->ready = ready;
		str_copy(e->node, sizeof(e->node), jstr(bad, ep, "nodeName"));
		if (kind && !strcmp(kind, "Pod")) {
			str_copy(e->pod, sizeof(e->pod), jstr(bad, ref, "name"));
			str_copy(e->pod_ns, sizeof(e->pod_ns), jstr(bad, ref, "namespace"));
			str_copy(e->pod_uid, sizeof(e->pod_uid), jstr(bad, ref, "uid"));
		}
		sl->neps++;
	}
}

static int parse_slice_body(bool *bad, struct slice *sl, const json_t *obj)
{
	const json_t *eps = jarr(bad, obj, "endpoints"), *ports = jarr(bad, obj, "ports");
	const char *type = jstr(bad, obj, "addressType");
	size_t i, n = 0;
	uint16_t v;

	/* FQDN slices carry host names, not addresses: kept, never indexed. */
	if (type && strcmp(type, "IPv4") && strcmp(type, "IPv6"))
		eps = NULL;
	if (json_array_size(eps) > SLICE_ENDPOINTS_MAX)
		return -EINVAL;
	for (i = 0; i < json_array_size(eps); i++)
		n += array_len(json_array_get(eps, i), "addresses");
	sl->eps = calloc(n + 1, sizeof(*sl->eps));
	sl->ports = calloc(json_array_size(ports) + 1, sizeof(*sl->ports));
	if (!sl->eps || !sl->ports)
		return -ENOMEM;
	for (i = 0; i < json_array_size(eps) && !*bad; i++)
		parse_endpoint(bad, sl, jelem_obj(bad, eps, i));
	for (i = 0; ports && i < json_array_size(ports); i++) {
		v = jport(bad, jelem_obj(bad, ports, i), "port");
		if (!v)
			sl->any_port = true;
		else if (!ports_have(sl->ports, sl->nports, v))
			sl->ports[sl->nports++] = v;
	}
	return *bad ? -EINVAL : 0;
}

static int parse_slice(const json_t *obj, const char *domain, struct slice **out)
{
	const char *name, *ns, *uid, *svc;
	const json_t *meta;
	bool bad = false;
	struct slice *sl;
	int err;

	err = read_meta(&bad, obj, K8S_KIND_ENDPOINTSLICE, &meta, &name, &ns, &uid);
	if (err)
		return err;
	svc = jstr(&bad, jobj(&bad, meta, "labels"), "kubernetes.io/service-name");
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	sl->o.kind = K8S_KIND_ENDPOINTSLICE;
	str_copy(sl->o.uid, sizeof(sl->o.uid), uid);
	if (svc && svc[0])
		fill_service_ref(&sl->svc, domain, svc, ns);
	err = bad ? -EINVAL : parse_slice_body(&bad, sl, obj);
	if (err) {
		free_slice(sl);
		return err;
	}
	*out = sl;
	return 0;
}

/* --- address tables ----------------------------------------------------------- */

static struct addr_entry *addr_find(struct htab *h, const uint8_t addr[16])
{
	struct htab_node *n = htab_find(h, addr);

	return n ? (struct addr_entry *)n : NULL;
}

static int addr_add(struct htab *h, const uint8_t addr[16], void *item)
{
	struct addr_entry *e = addr_find(h, addr);
	void **items;

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		memcpy(e->addr, addr, 16);
		htab_insert(h, &e->node);
	}
	if (e->n == e->cap) {
		items = realloc(e->items, (e->cap ? e->cap * 2 : 2) * sizeof(*items));
		if (!items)
			return -ENOMEM; /* the caller unindexes what it added */
		e->items = items;
		e->cap = e->cap ? e->cap * 2 : 2;
	}
	e->items[e->n++] = item;
	return 0;
}

/* Removes item from addr's list (no-op when absent), and the entry when empty. */
static void addr_del(struct htab *h, const uint8_t addr[16], const void *item)
{
	struct addr_entry *e = addr_find(h, addr);
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++) {
		if (e->items[i] != item)
			continue;
		memmove(&e->items[i], &e->items[i + 1], (e->n - i - 1) * sizeof(*e->items));
		e->n--;
		break;
	}
	if (e->n)
		return;
	htab_remove(h, &e->node);
	free(e->items);
	free(e);
}

static void unindex_obj(struct k8s_index *idx, struct obj *o)
{
	struct pod *p = (struct pod *)o;
	struct service *s = (struct service *)o;
	struct slice *sl = (struct slice *)o;
	size_t i;

	switch (o->kind) {
	case K8S_KIND_POD:
		for (i = 0; i < p->nips; i++)
			addr_del(&idx->addrs[AT_POD_IP], p->ips[i], p);
		for (i = 0; i < p->nhost_ips; i++)
			addr_del(&idx->addrs[AT_HOST_IP], p->host_ips[i], p);
		if (p->mirror_uid[0] && htab_find(&idx->mirrors, p->mirror_uid) == &p->mirror_node)
			htab_remove(&idx->mirrors, &p->mirror_node);
		break;
	case K8S_KIND_SERVICE:
		for (i = 0; i < s->nips; i++)
			addr_del(&idx->addrs[AT_CLUSTER_IP], s->ips[i], s);
		break;
	case K8S_KIND_ENDPOINTSLICE:
		for (i = 0; i < sl->neps; i++)
			addr_del(&idx->addrs[AT_ENDPOINT], sl->eps[i].addr, &sl->eps[i]);
		break;
	default:
		break;
	}
}

/*
 * Finished pods own no address. hostNetwork pods are indexed by node IP (their
 * pod IP is the node's, so they never own it). A static pod's mirror is found
 * by the uid the kubelet uses in cgroup paths; a second mirror with the same
 * kubelet uid (a stale object) does not displace the first.
 */
static int index_pod(struct k8s_index *idx, struct pod *p)
{
	int err = 0;
	size_t i;

	if (p->mirror_uid[0] && !htab_find(&idx->mirrors, p->mirror_uid))
		htab_insert(&idx->mirrors, &p->mirror_node);
	if (p->finished)
		return 0;
	if (p->ref.host_network) {
		for (i = 0; i < p->nhost_ips && !err; i++)
			err = addr_add(&idx->addrs[AT_HOST_IP], p->host_ips[i], p);
		return err;
	}
	for (i = 0; i < p->nips && !err; i++)
		err = addr_add(&idx->addrs[AT_POD_IP], p->ips[i], p);
	return err;
}

static int index_obj(struct k8s_index *idx, struct obj *o)
{
	struct service *s = (struct service *)o;
	struct slice *sl = (struct slice *)o;
	int err = 0;
	size_t i;

	switch (o->kind) {
	case K8S_KIND_POD:
		err = index_pod(idx, (struct pod *)o);
		break;
	case K8S_KIND_SERVICE:
		for (i = 0; i < s->nips && !err; i++)
			err = addr_add(&idx->addrs[AT_CLUSTER_IP], s->ips[i], s);
		break;
	case K8S_KIND_ENDPOINTSLICE:
		for (i = 0; i < sl->neps && !err; i++)
			err = addr_add(&idx->addrs[AT_ENDPOINT], sl->eps[i].addr, &sl->eps[i]);
		break;
	default:
		break;
	}
	if (err)
		unindex_obj(idx, o);
	return err;
}

static void free_obj(struct obj *o)
{
	switch (o->kind) {
	case K8S_KIND_POD:
		free_pod((struct pod *)o);
		break;
	case K8S_KIND_SERVICE:
		free_service((struct service *)o);
		break;
	default:
		free_slice((struct slice *)o);
		break;
	}
}

/* Unlinks o from every table and frees it. */
static void drop_obj(struct k8s_index *idx, struct obj *o)
{
	unindex_obj(idx, o);
	htab_remove(&idx->objs[o->kind], &o->node);
	free_obj(o);
}

static struct obj *find_obj(struct k8s_index *idx, enum k8s_kind kind, const char *uid)
{
	char key[K8S_UID_MAX] = {0};

	str_copy(key, sizeof(key), uid);
	return (struct obj *)htab_find(&idx->objs[kind], key);
}

/* --- index lifecycle and events --------------------------------------------- */

struct k8s_index *k8s_index_new(const char *cluster_domain)
{
	struct k8s_index *idx = calloc(1, sizeof(*idx));
	int err = 0, i;

	if (!idx)
		return NULL;
	str_copy(idx->domain, sizeof(idx->domain), first_set(cluster_domain, "cluster.local"));
	for (i = 0; i < K8S_KIND__MAX && !err; i++)
		err =
		    htab_init(&idx->objs[i], offsetof(struct obj, uid) - offsetof(struct obj, node),
			      K8S_UID_MAX);
	for (i = 0; i < AT__MAX && !err; i++)
		err = htab_init(
		    &idx->addrs[i],
		    offsetof(struct addr_entry, addr) - offsetof(struct addr_entry, node), 16);
	if (!err)
		err =
		    htab_init(&idx->mirrors,
			      offsetof(struct pod, mirror_uid) - offsetof(struct pod, mirror_node),
			      K8S_UID_MAX);
	if (err || pthread_mutex_init(&idx->lock, NULL)) {
		for (i = 0; i < K8S_KIND__MAX; i++)
			free(idx->objs[i].buckets);
		for (i = 0; i < AT__MAX; i++)
			free(idx->addrs[i].buckets);
		free(idx->mirrors.buckets);
		free(idx);
		return NULL;
	}
	return idx;
}

void k8s_index_free(struct k8s_index *idx)
{
	struct htab_node *n, *tmp;
	size_t b;
	int k;

	if (!idx)
		return;
	for (k = 0; k < K8S_KIND__MAX; k++) {
		htab_for_each_safe(&idx->objs[k], n, tmp, b) drop_obj(idx, (struct obj *)n);
		htab_free(&idx->objs[k]);
	}
	for (k = 0; k < AT__MAX; k++)
		htab_free(&idx->addrs[k]);
	htab_free(&idx->mirrors);
	pthread_mutex_destroy(&idx->lock);
	free(idx);
}

static int parse_obj(struct k8s_index *idx, enum k8s_kind kind, const json_t *obj, struct obj **out)
{
	struct service *s = NULL;
	struct slice *sl = NULL;
	struct pod *p = NULL;
	int err;

	switch (kind) {
	case K8S_KIND_POD:
		err = parse_pod(obj, &p);
		*out = p ? &p->o : NULL;
		return err;
	case K8S_KIND_SERVICE:
		err = parse_service(obj, idx->domain, &s);
		*out = s ? &s->o : NULL;
		return err;
	case K8S_KIND_ENDPOINTSLICE:
		err = parse_slice(obj, idx->domain, &sl);
		*out = sl ? &sl->o : NULL;
		return err;
	default:
		return -EINVAL;
	}
}

/* The uid a DELETED event names. */
static int deleted_uid(enum k8s_kind kind, const json_t *obj, char uid[K8S_UID_MAX])
{
	const char *name, *ns, *u;
	const json_t *meta;
	bool bad = false;
	int err = read_meta(&bad, obj, kind, &meta, &name, &ns, &u);

	if (!err)
		str_copy(uid, K8S_UID_MAX, u);
	return err;
}

/* Swaps in o (parsed, not yet linked) for the object with its uid, if any. */
static int upsert(struct k8s_index *idx, struct obj *o)
{
	struct obj *old = find_obj(idx, o->kind, o->uid);
	int err;

	if (old)
		drop_obj(idx, old);
	if (o->kind == K8S_KIND_POD)
		((struct pod *)o)->seq = ++idx->seq;
	o->gen = idx->gen[o->kind];
	err = index_obj(idx, o);
	if (err) {
		free_obj(o);
		return err;
	}
	htab_insert(&idx->objs[o->kind], &o->node);
	return 0;
}

int k8s_index_apply(struct k8s_index *idx, enum k8s_kind kind, enum k8s_event_type type,
		    const json_t *obj)
{
	char uid[K8S_UID_MAX] = {0};
	struct obj *o = NULL, *old;
	int err;

	if ((unsigned int)kind >= K8S_KIND__MAX)
		return -EINVAL;
	/* Parse outside the lock: lookups never wait on JSON. */
	if (type == K8S_EVENT_DELETED)
		err = deleted_uid(kind, obj, uid);
	else
		err = parse_obj(idx, kind, obj, &o);
	pthread_mutex_lock(&idx->lock);
	if (err) {
		if (err == -EINVAL)
			idx->stats.rejected++;
		goto out_unlock;
	}
	if (type == K8S_EVENT_DELETED) {
		old = find_obj(idx, kind, uid);
		if (old)
			drop_obj(idx, old);
	} else {
		err = upsert(idx, o);
		if (err)
			goto out_unlock;
	}
	idx->stats.applied[kind]++;
	idx->stats.changes++;
out_unlock:
	pthread_mutex_unlock(&idx->lock);
	return err;
}

void k8s_index_resync_begin(struct k8s_index *idx, enum k8s_kind kind)
{
	if ((unsigned int)kind >= K8S_KIND__MAX)
		return;
	pthread_mutex_lock(&idx->lock);
	idx->gen[kind]++;
	idx->resyncing[kind] = true;
	pthread_mutex_unlock(&idx->lock);
}

/* Drops the objects of kind not applied since the last resync_begin. */
static void sweep(struct k8s_index *idx, enum k8s_kind kind)
{
	struct htab_node *n, *tmp;
	size_t b;

	htab_for_each_safe(&idx->objs[kind], n, tmp, b)
	{
		if (((struct obj *)n)->gen != idx->gen[kind])
			drop_obj(idx, (struct obj *)n);
	}
}

void k8s_index_resync_end(struct k8s_index *idx, enum k8s_kind kind)
{
	if ((unsigned int)kind >= K8S_KIND__MAX)
		return;
	pthread_mutex_lock(&idx->lock);
	if (idx->resyncing[kind]) {
		sweep(idx, kind);
		idx->stats.changes++;
	}
	idx->resyncing[kind] = false;
	pthread_mutex_unlock(&idx->lock);
}

/* --- lookups ----------------------------------------------------------------- */

/* a beats b: not being deleted, then created later, then applied later. */
static bool pod_better(const struct pod *a, const struct pod *b)
{
	if (a->deleting != b->deleting)
		return !a->deleting;
	if (a->created != b->created)
		return a->created > b->created;
	return a->seq > b->seq;
}

static const struct pod *best_pod(const struct addr_entry *e)
{
	const struct pod *best = NULL, *p;
	size_t i;

	for (i = 0; e && i < e->n; i++) {
		p = e->items[i];
		if (!best || pod_better(p, best))
			best = p;
	}
	return best;
}

/*
 * The hostNetwork pod behind a node IP: the one declaring port, or for port 0
 * the only one. Pods being deleted count only when no other pod is left.
 */
static size_t host_candidates(const struct addr_entry *e, uint16_t port, bool deleting,
			      const struct pod **found)
{
	const struct pod *p;
	size_t i, n = 0;

	for (i = 0; i < e->n; i++) {
		p = e->items[i];
		if (p->deleting != deleting || (port && !ports_have(p->ports, p->nports, port)))
			continue;
		*found = p;
		n++;
	}
	return n;
}

static const struct pod *host_pod(const struct addr_entry *e, uint16_t port)
{
	const struct pod *found = NULL;
	size_t n;

	if (!e)
		return NULL;
	n = host_candidates(e, port, false, &found);
	if (!n)
		n = host_candidates(e, port, true, &found);
	return n == 1 ? found : NULL;
}

static bool slice_has_port(const struct slice *sl, uint16_t port)
{
	return !port || sl->any_port || ports_have(sl->ports, sl->nports, port);
}

/* A pod known only as an EndpointSlice's targetRef (a pod on another node). */
static bool endpoint_pod(const struct addr_entry *e, uint16_t port, struct k8s_pod_ref *out)
{
	const struct endpoint *ep;
	size_t i;

	for (i = 0; e && i < e->n; i++) {
		ep = e->items[i];
		if (!ep->pod[0] || !slice_has_port(ep->slice, port))
			continue;
		memset(out, 0, sizeof(*out));
		str_copy(out->name, sizeof(out->name), ep->pod);
		str_copy(out->namespace_, sizeof(out->namespace_), ep->pod_ns);
		str_copy(out->uid, sizeof(out->uid), ep->pod_uid);
		str_copy(out->node, sizeof(out->node), ep->node);
		return true;
	}
	return false;
}

bool k8s_index_pod_by_ip(struct k8s_index *idx, const uint8_t addr[16], uint16_t port,
			 struct k8s_pod_ref *out)
{
	const struct addr_entry *host;
	const struct pod *p;
	bool found = false;

	pthread_mutex_lock(&idx->lock);
	p = best_pod(addr_find(&idx->addrs[AT_POD_IP], addr));
	host = addr_find(&idx->addrs[AT_HOST_IP], addr);
	if (!p)
		p = host_pod(host, port);
	if (p) {
		*out = p->ref;
		found = true;
	} else if (!host) {
		/* A node IP with no matching hostNetwork pod stays unnamed:
		 * its slices' targetRefs would name one pod for all of them. */
		found = endpoint_pod(addr_find(&idx->addrs[AT_ENDPOINT], addr), port, out);
	}
	pthread_mutex_unlock(&idx->lock);
	return found;
}

/* The pod's ref, with container and, from its image, service.version. */
static void pod_ref_with_container(const struct pod *p, const char *container_id,
				   struct k8s_pod_ref *out)
{
	size_t i, n = container_id ? strlen(container_id) : 0;
	const struct container *c;

	*out = p->ref;
	if (n < CONTAINER_ID_MIN_LEN)
		return;
	for (i = 0; i < p->ncontainers; i++) {
		c = &p->containers[i];
		/* Runtimes print both full and short ids: accept a prefix. */
		if (strncmp(c->id, container_id, n))
			continue;
		str_copy(out->container, sizeof(out->container), c->name);
		if (!p->version_from_meta)
			str_copy(out->service_version, sizeof(out->service_version), c->version);
		return;
	}
}

bool k8s_index_pod_by_uid(struct k8s_index *idx, const char *uid, const char *container_id,
			  struct k8s_pod_ref *out)
{
	char key[K8S_UID_MAX] = {0};
	const struct pod *p;
	struct htab_node *n;

	if (!uid || !uid[0] || strlen(uid) >= K8S_UID_MAX)
		return false;
	strcpy(key, uid);
	pthread_mutex_lock(&idx->lock);
	p = (const struct pod *)find_obj(idx, K8S_KIND_POD, key);
	if (!p) {
		n = htab_find(&idx->mirrors, key);
		p = n ? container_of(n, struct pod, mirror_node) : NULL;
	}
	if (p)
		pod_ref_with_container(p, container_id, out);
	pthread_mutex_unlock(&idx->lock);
	return p != NULL;
}

static const struct service *cluster_ip_service(const struct addr_entry *e, uint16_t port)
{
	const struct service *s;
	size_t i;

	for (i = 0; e && i < e->n; i++) {
		s = e->items[i];
		if (!port || ports_have(s->ports, s->nports, port))
			return s;
	}
	return NULL;
}

static const struct k8s_service_ref *endpoint_service(const struct addr_entry *e, uint16_t port)
{
	const struct endpoint *ep;
	size_t i;

	for (i = 0; e && i < e->n; i++) {
		ep = e->items[i];
		if (ep->ready && ep->slice->svc.name[0] && slice_has_port(ep->slice, port))
			return &ep->slice->svc;
	}
	return NULL;
}

bool k8s_index_service_by_addr(struct k8s_index *idx, const uint8_t addr[16], uint16_t port,
			       struct k8s_service_ref *out)
{
	const struct k8s_service_ref *ref;
	const struct service *s;

	pthread_mutex_lock(&idx->lock);
	s = cluster_ip_service(addr_find(&idx->addrs[AT_CLUSTER_IP], addr), port);
	ref = s ? &s->ref : endpoint_service(addr_find(&idx->addrs[AT_ENDPOINT], addr), port);
	if (ref)
		*out = *ref;
	pthread_mutex_unlock(&idx->lock);
	return ref != NULL;
}

bool k8s_index_is_cluster_ip(struct k8s_index *idx, const uint8_t addr[16])
{
	bool found;

	pthread_mutex_lock(&idx->lock);
	found = addr_find(&idx->addrs[AT_CLUSTER_IP], addr) != NULL;
	pthread_mutex_unlock(&idx->lock);
	return found;
}

void k8s_index_get_stats(struct k8s_index *idx, struct k8s_index_stats *out)
{
	int k;

	pthread_mutex_lock(&idx->lock);
	*out = idx->stats;
	for (k = 0; k < K8S_KIND__MAX; k++)
		out->objects[k] = idx->objs[k].count;
	out->pod_ips = idx->addrs[AT_POD_IP].count;
	out->service_addrs = idx->addrs[AT_CLUSTER_IP].count + idx->addrs[AT_ENDPOINT].count;
	pthread_mutex_unlock(&idx->lock);
}

/* --- cgroup paths ------------------------------------------------------------ */

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * The uid in "pod<uid>" (cgroupfs) or "...-pod<uid with _>.slice" (systemd):
 * a UUID, or the 32 hex digits kubelet gives static pods. 0 or -ENOENT.
 */
static int component_uid(const char *c, size_t len, bool systemd, char uid[K8S_UID_MAX])
{
	const char *p;
	size_t i, n;

	if (systemd) {
		if (len < 6 || strncmp(c + len - 6, ".slice", 6))
			return -ENOENT;
		len -= 6;
		p = memmem(c, len, "-pod", 4);
		if (!p)
			return -ENOENT;
		p += 4;
	} else {
		if (len < 3 || strncmp(c, "pod", 3))
			return -ENOENT;
		p = c + 3;
	}
	n = len - (size_t)(p - c);
	if (n < 32 || n >= K8S_UID_MAX)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		uid[i] = p[i] == '_' ? '-' : p[i];
		if (uid[i] != '-' && !all_hex(&uid[i], 1))
			return -ENOENT;
	}
	uid[n] = '\0';
	return 0;
}

/* The container id in the component after the pod's, or "" when it is none. */
static void component_container(const char *c, size_t len, char *out, size_t outlen)
{
	static const char *const prefixes[] = {"cri-containerd-", "crio-", "docker-", ""};
	size_t i, plen;

	if (len > 6 && !strncmp(c + len - 6, ".scope", 6))
		len -= 6;
	if (outlen <= CONTAINER_ID_LEN)
		return;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (len == plen + CONTAINER_ID_LEN && !strncmp(c, prefixes[i], plen) &&
		    all_hex(c + plen, CONTAINER_ID_LEN)) {
			str_copy(out, CONTAINER_ID_LEN + 1, c + plen);
			return;
		}
	}
}

int k8s_cgroup_pod(const char *cgroup_path, char uid[K8S_UID_MAX], char *container_id,
		   size_t container_id_len)
{
	const char *c = cgroup_path, *end;
	bool kubepods = false, systemd;
	size_t len;

	if (container_id && container_id_len)
		container_id[0] = '\0';
	while (c && *c) {
		while (*c == '/')
			c++;
		end = strchrnul(c, '/');
		len = (size_t)(end - c);
		systemd = len > 6 && !strncmp(c + len - 6, ".slice", 6);
		/* Only below a kubepods level: "kubepods", "kubepods.slice",
		 * "kubelet-kubepods.slice" (kind), "kubepods-besteffort.slice". */
		if (kubepods && !component_uid(c, len, systemd, uid)) {
			end += strspn(end, "/");
			if (container_id)
				component_container(end, strcspn(end, "/"), container_id,
						    container_id_len);
			return 0;
		}
		if (memmem(c, len, "kubepods", 8))
			kubepods = true;
		c = end;
	}
	return -ENOENT;
}

bool k8s_index_pod_by_cgroup(struct k8s_index *idx, const char *cgroup_path,
			     struct k8s_pod_ref *out)
{
	char uid[K8S_UID_MAX], container[80];

	if (k8s_cgroup_pod(cgroup_path, uid, container, sizeof(container)))
		return false;
	return k8s_index_pod_by_uid(idx, uid, container[0] ? container : NULL, out);
}

// SPDX-License-Identifier: BSD-2-Clause
/* Pods, Services and EndpointSlices: JSON -> the fixed records of objects.h, names computed once.
 */
#define _GNU_SOURCE
#include "k8s/objects.h"

/* --- small helpers ------------------------------------------------------ */

bool ports_have(const uint16_t *ports, size_t n, uint16_t port)
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
int read_meta(bool *bad, const json_t *obj, enum k8s_kind kind, const json_t **meta,
	      const char **name, const char **ns, const char **uid)
{
	static const char *const kinds[K8S_KIND__MAX] = {"Pod", "Service", "EndpointSlice",
							 "VirtualService"};
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
	    str_or(jstr(bad, labels, "app.kubernetes.io/name"), jstr(bad, labels, "app"));
	const char *ver =
	    str_or(jstr(bad, labels, "app.kubernetes.io/version"), jstr(bad, labels, "version"));
	const char *otel_name = jstr(bad, annots, "resource.opentelemetry.io/service.name");
	const char *otel_ver = jstr(bad, annots, "resource.opentelemetry.io/service.version");
	const char *s;

	str_copy(r->app, sizeof(r->app), app);
	str_copy(r->version, sizeof(r->version), ver);
	s = str_or(jstr(bad, labels, "service.istio.io/canonical-name"), app);
	str_copy(r->canonical_service, sizeof(r->canonical_service), str_or(s, r->workload));
	s = str_or(jstr(bad, labels, "service.istio.io/canonical-revision"), ver);
	str_copy(r->canonical_revision, sizeof(r->canonical_revision), str_or(s, "latest"));

	s = str_or(otel_name, jstr(bad, labels, "app.kubernetes.io/instance"));
	s = str_or(s, jstr(bad, labels, "app.kubernetes.io/name"));
	if (!s || !s[0])
		s = otel_workload_kind(r->workload_kind) ? r->workload : r->name;
	str_copy(r->service_name, sizeof(r->service_name), s);

	s = str_or(otel_ver, jstr(bad, labels, "app.kubernetes.io/version"));
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

void free_pod(struct pod *p)
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
	str_copy(p->ref.service_account, sizeof(p->ref.service_account),
		 jstr(bad, spec, "serviceAccountName"));
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

int parse_pod(const json_t *obj, struct pod **out)
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

void free_service(struct service *s)
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

int parse_service(const json_t *obj, const char *domain, struct service **out)
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

void free_slice(struct slice *sl)
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

int parse_slice(const json_t *obj, const char *domain, struct slice **out)
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

/* A route host as a FQDN: "reviews" and "reviews.ns" complete in ns; others are kept. */
static void route_host(char *out, size_t len, const char *host, const char *ns, const char *domain)
{
	const char *dot = strchr(host, '.');

	if (!dot)
		snprintf(out, len, "%s.%s.svc.%s", host, ns, domain);
	else if (!strchr(dot + 1, '.'))
		snprintf(out, len, "%s.svc.%s", host, domain);
	else
		snprintf(out, len, "%s", host);
}

/* spec.http: the first rule without "match" is the default route, the one a split is on. */
static const json_t *default_http_rule(bool *bad, const json_t *spec)
{
	const json_t *http = jarr(bad, spec, "http"), *rule;
	size_t i;

	for (i = 0; http && i < json_array_size(http); i++) {
		rule = jelem_obj(bad, http, i);
		if (rule && !json_object_get(rule, "match"))
			return rule;
	}
	return NULL;
}

static void parse_route(bool *bad, struct vservice *v, const json_t *rule, const char *ns,
			const char *domain)
{
	const json_t *route = jarr(bad, rule, "route"), *r, *dest, *w;
	struct k8s_route_dest *d;
	const char *host;
	size_t i, n = route ? json_array_size(route) : 0;

	for (i = 0; i < n && v->route.ndests < K8S_ROUTE_DESTS_MAX; i++) {
		r = jelem_obj(bad, route, i);
		dest = jobj(bad, r, "destination");
		host = jstr(bad, dest, "host");
		if (!host) {
			*bad = true;
			return;
		}
		d = &v->route.dests[v->route.ndests++];
		route_host(d->host, sizeof(d->host), host, ns, domain);
		str_copy(d->subset, sizeof(d->subset), str_or(jstr(bad, dest, "subset"), ""));
		w = jget(bad, r, "weight", JSON_INTEGER);
		/* Istio: a lone destination without a weight gets all the traffic. */
		d->weight = w ? (uint32_t)json_integer_value(w) : n == 1 ? 100 : 0;
		if (w && (json_integer_value(w) < 0 || json_integer_value(w) > 100))
			*bad = true;
	}
}

int parse_vservice(const json_t *obj, const char *domain, struct vservice **out)
{
	const char *name, *ns, *uid;
	const json_t *meta, *rule;
	bool bad = false;
	struct vservice *v;
	int err;

	err = read_meta(&bad, obj, K8S_KIND_VIRTUALSERVICE, &meta, &name, &ns, &uid);
	if (err)
		return err;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->o.kind = K8S_KIND_VIRTUALSERVICE;
	str_copy(v->o.uid, sizeof(v->o.uid), uid);
	snprintf(v->route.virtual_service, sizeof(v->route.virtual_service), "%s/%s", ns, name);
	rule = default_http_rule(&bad, jobj(&bad, obj, "spec"));
	if (rule)
		parse_route(&bad, v, rule, ns, domain);
	if (bad) {
		free(v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

// SPDX-License-Identifier: BSD-2-Clause
/* The address and object tables, applying events and resyncs, and the lookups (k8s/index.h). */
#define _GNU_SOURCE
#include "k8s/objects.h"

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
	case K8S_KIND_VIRTUALSERVICE:
		free(o);
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
	str_copy(idx->domain, sizeof(idx->domain), str_or(cluster_domain, "cluster.local"));
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
	struct vservice *v = NULL;
	struct service *s = NULL;
	struct slice *sl = NULL;
	struct pod *p = NULL;
	int err;

	switch (kind) {
	case K8S_KIND_VIRTUALSERVICE:
		err = parse_vservice(obj, idx->domain, &v);
		*out = v ? &v->o : NULL;
		return err;
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

/* Linear over the VirtualServices: a cluster has tens to hundreds, read once a window tick. */
bool k8s_index_route_for(struct k8s_index *idx, const char *fqdn, struct k8s_route *out)
{
	const struct vservice *best = NULL, *v;
	struct htab_node *n, *tmp;
	size_t b, i;

	pthread_mutex_lock(&idx->lock);
	htab_for_each_safe(&idx->objs[K8S_KIND_VIRTUALSERVICE], n, tmp, b)
	{
		v = (const struct vservice *)n;
		for (i = 0; i < v->route.ndests && strcmp(v->route.dests[i].host, fqdn); i++)
			;
		if (i < v->route.ndests &&
		    (!best || strcmp(v->route.virtual_service, best->route.virtual_service) < 0))
			best = v;
	}
	if (best) {
		memset(out, 0, sizeof(*out));
		str_copy(out->virtual_service, sizeof(out->virtual_service),
			 best->route.virtual_service);
		for (i = 0; i < best->route.ndests; i++)
			if (!strcmp(best->route.dests[i].host, fqdn))
				out->dests[out->ndests++] = best->route.dests[i];
	}
	pthread_mutex_unlock(&idx->lock);
	return best != NULL;
}

bool k8s_index_has_routes(struct k8s_index *idx)
{
	bool any;

	pthread_mutex_lock(&idx->lock);
	any = idx->objs[K8S_KIND_VIRTUALSERVICE].count > 0;
	pthread_mutex_unlock(&idx->lock);
	return any;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See splits.h. Services and versions are found by linear search: a node
 * has tens of Services with a few versions each, and the bounds keep the
 * worst case at 256 x 16 comparisons an edge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "answers/splits.h"

#define NAME_LEN 160

static const char *version_of(const struct endpoint_names *d)
{
	if (d->canonical_revision && strcmp(d->canonical_revision, "latest"))
		return d->canonical_revision;
	if (d->version && *d->version)
		return d->version;
	return d->canonical_revision ? d->canonical_revision : "unknown";
}

static struct split_service *service_get(struct split_set *set, const char *name, const char *fqdn)
{
	uint32_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].name, name))
			return &set->s[i];
	if (set->n == SPLITS_SERVICES_MAX) {
		set->truncated = true;
		return NULL;
	}
	memset(&set->s[set->n], 0, sizeof(set->s[0]));
	snprintf(set->s[set->n].name, NAME_LEN, "%s", name);
	snprintf(set->s[set->n].fqdn, sizeof(set->s[0].fqdn), "%s", fqdn ? fqdn : "");
	return &set->s[set->n++];
}

static struct split_version *version_get(struct split_set *set, struct split_service *s,
					 const char *version)
{
	uint32_t i;

	for (i = 0; i < s->nv && strcmp(s->v[i].version, version); i++)
		;
	if (i < s->nv)
		return &s->v[i];
	if (s->nv == SPLITS_VERSIONS_MAX) {
		set->truncated = true;
		return NULL;
	}
	snprintf(s->v[s->nv].version, sizeof(s->v[0].version), "%s", version);
	s->v[s->nv].weight = -1;
	s->v[s->nv].requests = 0;
	return &s->v[s->nv++];
}

static void add(struct split_set *set, const char *service, const char *fqdn, const char *version,
		uint64_t n)
{
	struct split_service *s = service_get(set, service, fqdn);
	struct split_version *v;

	if (!s || !(v = version_get(set, s, version)))
		return;
	v->requests += n;
	s->requests += n;
}

/* The VirtualService's weights, a subset read as the version it selects. */
static void add_configured(struct split_set *set, struct split_service *s, struct k8s_index *k8s)
{
	struct split_version *v;
	struct k8s_route r;
	size_t i;

	if (!k8s || !s->fqdn[0] || !k8s_index_route_for(k8s, s->fqdn, &r))
		return;
	s->configured = true;
	snprintf(s->virtual_service, sizeof(s->virtual_service), "%s", r.virtual_service);
	for (i = 0; i < r.ndests; i++) {
		if (!r.dests[i].subset[0]) {
			s->unsubsetted += r.dests[i].weight;
			continue;
		}
		v = version_get(set, s, r.dests[i].subset);
		if (v)
			v->weight = (v->weight < 0 ? 0 : v->weight) + (int32_t)r.dests[i].weight;
	}
}

double split_drift(const struct split_service *s, const struct split_version **worst)
{
	double d, max = 0, share, weight;
	uint32_t i;

	*worst = NULL;
	if (!s->configured || !s->requests)
		return 0;
	for (i = 0; i < s->nv; i++) {
		share = (double)s->v[i].requests / (double)s->requests;
		weight = s->v[i].weight < 0 ? 0 : s->v[i].weight / 100.0;
		d = share > weight ? share - weight : weight - share;
		if (!*worst || d > max) {
			max = d;
			*worst = &s->v[i];
		}
	}
	return max;
}

static json_t *service_json(const struct split_service *s)
{
	json_t *o = json_object(), *versions = json_array(), *v;
	const struct split_version *worst;
	uint32_t i;

	json_object_set_new(o, "service", json_string(s->name));
	json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
	for (i = 0; i < s->nv; i++) {
		v = json_object();
		json_object_set_new(v, "version", json_string(s->v[i].version));
		json_object_set_new(v, "requests", json_integer((json_int_t)s->v[i].requests));
		json_object_set_new(v, "share",
				    s->requests
					? json_real((double)s->v[i].requests / (double)s->requests)
					: json_real(0));
		if (s->configured)
			json_object_set_new(
			    v, "configured_weight",
			    json_real(s->v[i].weight < 0 ? 0 : s->v[i].weight / 100.0));
		json_array_append_new(versions, v);
	}
	json_object_set_new(o, "versions", versions);
	if (s->configured) {
		json_object_set_new(o, "virtual_service", json_string(s->virtual_service));
		json_object_set_new(o, "drift", json_real(split_drift(s, &worst)));
		if (s->unsubsetted)
			json_object_set_new(o, "unsubsetted_weight",
					    json_real(s->unsubsetted / 100.0));
	}
	return o;
}

int splits_collect(const struct window *w, struct naming *naming, struct split_set *set)
{
	const struct window_edge *we;
	struct endpoint_names dst;
	struct window_counts c;
	char name[NAME_LEN];
	struct htab_node *n;
	uint32_t i, nobs;
	size_t b;

	memset(set, 0, sizeof(*set));
	set->s = calloc(SPLITS_SERVICES_MAX, sizeof(struct split_service));
	if (!set->s)
		return -ENOMEM;
	window_for_each(w, we, n, b)
	{
		window_sum(w, we, &c, NULL);
		if (!c.requests)
			continue;
		naming_resolve(naming, we->key.dst_addr, &we->dst, &dst);
		if (!dst.service)
			continue;
		snprintf(name, sizeof(name), "%s/%s",
			 dst.service_namespace ?: dst.namespace_ ?: "-", dst.service);
		add(set, name, dst.service_fqdn, version_of(&dst), c.requests);
	}
	/* Only Services with traffic in the window: a split without requests says nothing. */
	for (i = 0, nobs = set->n; i < nobs && naming->k8s && k8s_index_has_routes(naming->k8s);
	     i++)
		add_configured(set, &set->s[i], naming->k8s);
	return 0;
}

void splits_set_free(struct split_set *set)
{
	free(set->s);
	set->s = NULL;
}

json_t *splits_json(const struct window *w, struct naming *naming)
{
	struct split_set set;
	json_t *root, *list;
	uint32_t i;

	if (splits_collect(w, naming, &set))
		return NULL;
	root = json_object();
	list = json_array();
	json_object_set_new(root, "window_seconds", json_integer(w->window_s));
	for (i = 0; i < set.n; i++)
		json_array_append_new(list, service_json(&set.s[i]));
	json_object_set_new(root, "services", list);
	json_object_set_new(root, "truncated", json_boolean(set.truncated));
	splits_set_free(&set);
	return root;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See splits.h. Services and versions are found by linear search: a node
 * has tens of Services with a few versions each, and the bounds keep the
 * worst case at 256 x 16 comparisons an edge.
 */
#include <stdlib.h>
#include <string.h>

#include "answers/splits.h"

#define NAME_LEN 160

struct split_version {
	char version[64];
	uint64_t requests;
};

struct split_service {
	char name[NAME_LEN];
	uint64_t requests;
	struct split_version v[SPLITS_VERSIONS_MAX];
	uint32_t nv;
};

struct split_set {
	struct split_service *s;
	uint32_t n;
	bool truncated;
};

static const char *version_of(const struct endpoint_names *d)
{
	if (d->canonical_revision && strcmp(d->canonical_revision, "latest"))
		return d->canonical_revision;
	if (d->version && *d->version)
		return d->version;
	return d->canonical_revision ? d->canonical_revision : "unknown";
}

static struct split_service *service_get(struct split_set *set, const char *name)
{
	uint32_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->s[i].name, name))
			return &set->s[i];
	if (set->n == SPLITS_SERVICES_MAX) {
		set->truncated = true;
		return NULL;
	}
	snprintf(set->s[set->n].name, NAME_LEN, "%s", name);
	return &set->s[set->n++];
}

static void add(struct split_set *set, const char *service, const char *version, uint64_t n)
{
	struct split_service *s = service_get(set, service);
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->nv && strcmp(s->v[i].version, version); i++)
		;
	if (i == s->nv) {
		if (s->nv == SPLITS_VERSIONS_MAX) {
			set->truncated = true;
			return;
		}
		snprintf(s->v[s->nv++].version, sizeof(s->v[0].version), "%s", version);
	}
	s->v[i].requests += n;
	s->requests += n;
}

static json_t *service_json(const struct split_service *s)
{
	json_t *o = json_object(), *versions = json_array(), *v;
	uint32_t i;

	json_object_set_new(o, "service", json_string(s->name));
	json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
	for (i = 0; i < s->nv; i++) {
		v = json_object();
		json_object_set_new(v, "version", json_string(s->v[i].version));
		json_object_set_new(v, "requests", json_integer((json_int_t)s->v[i].requests));
		json_object_set_new(v, "share",
				    json_real((double)s->v[i].requests / (double)s->requests));
		json_array_append_new(versions, v);
	}
	json_object_set_new(o, "versions", versions);
	return o;
}

json_t *splits_json(const struct window *w, struct naming *naming)
{
	struct split_set set = {.s = calloc(SPLITS_SERVICES_MAX, sizeof(struct split_service))};
	const struct window_edge *we;
	struct endpoint_names dst;
	struct window_counts c;
	char name[NAME_LEN];
	struct htab_node *n;
	json_t *root, *list;
	uint32_t i;
	size_t b;

	if (!set.s)
		return NULL;
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
		add(&set, name, version_of(&dst), c.requests);
	}
	root = json_object();
	list = json_array();
	json_object_set_new(root, "window_seconds", json_integer(w->window_s));
	for (i = 0; i < set.n; i++)
		json_array_append_new(list, service_json(&set.s[i]));
	json_object_set_new(root, "services", list);
	json_object_set_new(root, "truncated", json_boolean(set.truncated));
	free(set.s);
	return root;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Canary splits: GET /api/v1/splits. For each destination Service, the
 * share of its windowed requests that each version received, the version
 * being the destination pod's canonical revision (Istio's label
 * service.istio.io/canonical-revision, else app.kubernetes.io/version,
 * else version), else its version label, else "unknown".
 *
 * With --k8s-virtualservices, the weights the Service's VirtualService
 * configures (k8s_index_route_for) are shown beside the observed shares: a
 * route destination's subset is taken to be the version it sends to (the
 * usual Istio setup: DestinationRule subset v2 selects label version: v2;
 * DestinationRules are not read), a destination without a subset weighs
 * for the whole Service. The drift is the largest |observed share -
 * configured weight| over the versions either side names.
 *
 * Bounded: at most SPLITS_SERVICES_MAX services and SPLITS_VERSIONS_MAX
 * versions a service per page; what does not fit is left out and said
 * ("truncated"). Pure C over the window and naming.
 */
#ifndef MESHSIGHT_SPLITS_H
#define MESHSIGHT_SPLITS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "naming/naming.h"
#include "answers/window.h"

#define SPLITS_SERVICES_MAX 256
#define SPLITS_VERSIONS_MAX 16

struct split_version {
	char version[64];
	uint64_t requests;
	int32_t weight; /* configured percent; -1: the route does not name it */
};

struct split_service {
	char name[160]; /* namespace/service */
	char fqdn[K8S_NAME_MAX];
	uint64_t requests;
	struct split_version v[SPLITS_VERSIONS_MAX];
	uint32_t nv;
	bool configured;		    /* a VirtualService routes to it */
	char virtual_service[K8S_NAME_MAX]; /* namespace/name */
	uint32_t unsubsetted;		    /* weight of destinations without a subset */
};

struct split_set {
	struct split_service *s; /* SPLITS_SERVICES_MAX, allocated */
	uint32_t n;
	bool truncated;
};

/* The window's splits, with configured weights when known. 0 or -ENOMEM. */
int splits_collect(const struct window *w, struct naming *naming, struct split_set *set);
void splits_set_free(struct split_set *set);
/* Largest |observed share - configured weight| (0..1); *worst: that version. */
double split_drift(const struct split_service *s, const struct split_version **worst);
json_t *splits_json(const struct window *w, struct naming *naming);

#endif /* MESHSIGHT_SPLITS_H */

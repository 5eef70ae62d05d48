/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Canary splits: GET /api/v1/splits. For each destination Service, the
 * share of its windowed requests that each version received, the version
 * being the destination pod's canonical revision (Istio's label
 * service.istio.io/canonical-revision, else app.kubernetes.io/version,
 * else version), else its version label, else "unknown".
 *
 * Bounded: at most SPLITS_SERVICES_MAX services and SPLITS_VERSIONS_MAX
 * versions a service per page; what does not fit is left out and said
 * ("truncated"). Pure C over the window and naming.
 */
#ifndef MESHSIGHT_SPLITS_H
#define MESHSIGHT_SPLITS_H

#include <jansson.h>

#include "naming/naming.h"
#include "answers/window.h"

#define SPLITS_SERVICES_MAX 256
#define SPLITS_VERSIONS_MAX 16

json_t *splits_json(const struct window *w, struct naming *naming);

#endif /* MESHSIGHT_SPLITS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flow table with its aggregator, as test_flows.c and test_tls_flows.c
 * drive it: small limits, a minute of idle time, set up and torn down per
 * test by cmocka (struct env in *state).
 */
#ifndef MESHSIGHT_TEST_FLOWS_FIXTURE_H
#define MESHSIGHT_TEST_FLOWS_FIXTURE_H

#include <stdlib.h>

#include "core/flows.h"
#include "test_util.h"

#define MS 1000000ULL

struct env {
	struct aggregator agg;
	struct flowtab ft;
};

static const struct flow_limits limits = {
    .max_flows = 64,
    .max_http = 64,
    .reasm_budget = 1 << 20,
    .idle_ns = 60000 * MS,
};

static inline int flows_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_int_equal(agg_init(&e->agg, 100, 0), 0);
	assert_int_equal(flowtab_init(&e->ft, &e->agg, &limits), 0);
	*state = e;
	return 0;
}

static inline int teardown(void **state)
{
	struct env *e = *state;

	flowtab_free(&e->ft);
	agg_free(&e->agg);
	free(e);
	return 0;
}

#endif /* MESHSIGHT_TEST_FLOWS_FIXTURE_H */

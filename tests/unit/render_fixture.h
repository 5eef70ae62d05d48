// SPDX-License-Identifier: BSD-2-Clause
/*
 * The world the render tests (test_render.c, test_render_istio.c) render:
 * an aggregator the test fills with edges, named through an identities
 * file, plus the promtool check both run on the whole of /metrics.
 */
#ifndef MESHSIGHT_RENDER_FIXTURE_H
#define MESHSIGHT_RENDER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve/render.h"
#include "test_util.h"

#define PROMTOOL "/usr/bin/promtool"

struct render_fixture {
	const char *name; /* names the temp files, to tell whose were left behind */
	char ids_path[64];
	struct identity_table *ids;
	struct aggregator agg;
	struct flowtab flows;
	struct naming naming;
	struct render_input in;
};

typedef void (*render_fill_fn)(struct aggregator *a);
typedef int (*render_fn)(const struct render_input *in, FILE *out);

/* NULL when any part fails, as a cmocka setup wants to report it. */
static inline struct render_fixture *render_fixture_new(const char *name, const char *identities,
							render_fill_fn fill, double uptime_s)
{
	const uint64_t minute_ns = 60ULL * 1000000000ULL;
	struct flow_limits lim = {
	    .max_flows = 64, .max_http = 16, .reasm_budget = 1 << 20, .idle_ns = minute_ns};
	struct render_fixture *fx = calloc(1, sizeof(*fx));
	char err[256];

	if (!fx)
		return NULL;
	fx->name = name;
	snprintf(fx->ids_path, sizeof(fx->ids_path), "/tmp/%s_ids.XXXXXX", name);
	if (write_tmp(fx->ids_path, identities))
		return NULL;
	if (identity_load(fx->ids_path, &fx->ids, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	if (agg_init(&fx->agg, 128, minute_ns) || flowtab_init(&fx->flows, &fx->agg, &lim))
		return NULL;
	fill(&fx->agg);
	fx->naming.ids = fx->ids;
	fx->in.agg = &fx->agg;
	fx->in.flows = &fx->flows;
	fx->in.naming = &fx->naming;
	fx->in.uptime_s = uptime_s;
	fx->in.version = "0.0.0-test";
	return fx;
}

/* A cmocka teardown, so both tests list it as is. */
static inline int render_fixture_teardown(void **state)
{
	struct render_fixture *fx = *state;

	flowtab_free(&fx->flows);
	agg_free(&fx->agg);
	identity_free(fx->ids);
	unlink(fx->ids_path);
	free(fx);
	return 0;
}

/* Renders into a malloc'd NUL-terminated string. */
static inline char *render_text(const struct render_fixture *fx, render_fn fn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(&fx->in, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

/*
 * promtool parses the whole of /metrics and lints it. Istio's own name
 * istio_request_duration_milliseconds breaks its "base unit" rule, and must
 * stay as Istio spells it for Kiali and Istio's dashboards to find it: that
 * one lint (exit status 3) is expected, anything else fails.
 */
#define PROMTOOL_UNIT_LINT                                                                         \
	"istio_request_duration_milliseconds use base unit \"seconds\" instead of "                \
	"\"milliseconds\"\n"

static inline void assert_promtool_accepts(const struct render_fixture *fx)
{
	char path[64], cmd[256], line[512];
	int status, others = 0, unit_lints = 0;
	char *text;
	FILE *f;

	if (access(PROMTOOL, X_OK)) {
		skip();
		return;
	}
	text = render_text(fx, render_prometheus);
	snprintf(path, sizeof(path), "/tmp/%s_metrics.XXXXXX", fx->name);
	assert_int_equal(write_tmp(path, text), 0);
	snprintf(cmd, sizeof(cmd), PROMTOOL " check metrics < %s 2>&1", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, PROMTOOL_UNIT_LINT)) {
			unit_lints++;
			continue;
		}
		fprintf(stderr, "promtool: %s", line);
		others++;
	}
	status = pclose(f);
	unlink(path);
	free(text);
	assert_true(WIFEXITED(status));
	assert_int_equal(others, 0);
	assert_int_equal(unit_lints, 1);
	assert_int_equal(WEXITSTATUS(status), 3);
}

#endif /* MESHSIGHT_RENDER_FIXTURE_H */

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See analysis.h: the glue between the window, the graph and the events,
 * and their pages.
 */
#include <errno.h>
#include <string.h>

#include "answers/analysis.h"
#include "answers/graph.h"
#include "answers/splits.h"

int analysis_init(struct analysis *an, const struct analysis_flags *f, uint32_t max_edges,
		  uint64_t now_ns)
{
	int err;

	memset(an, 0, sizeof(*an));
	err = window_init(&an->win, f->window_s, max_edges, now_ns);
	if (err)
		return err;
	err = events_init(&an->ev, &f->events, an->win.window_s, now_ns);
	if (err) {
		window_free(&an->win);
		return err;
	}
	pthread_mutex_init(&an->lock, NULL);
	return 0;
}

void analysis_free(struct analysis *an)
{
	if (!an->ev.ring)
		return; /* never initialised */
	events_free(&an->ev);
	window_free(&an->win);
	pthread_mutex_destroy(&an->lock);
}

uint64_t analysis_tick_ns(const struct analysis *an)
{
	return window_slot_ns(&an->win);
}

/*
 * split_drift: the splits page's work (naming every windowed edge) once a
 * tick, only while some VirtualService is known or a drift is still open.
 */
static void splits_tick(struct analysis *an, struct naming *naming)
{
	struct split_set set;

	if (!(naming->k8s && k8s_index_has_routes(naming->k8s)) && !an->ev.ndrifting)
		return;
	if (splits_collect(&an->win, naming, &set))
		return;
	events_split_drift(&an->ev, &set);
	splits_set_free(&set);
}

void analysis_tick(struct analysis *an, const struct aggregator *agg, struct naming *naming,
		   uint64_t now_ns)
{
	struct events_gone_ctx gone = {&an->ev, naming};

	pthread_mutex_lock(&an->lock);
	window_tick(&an->win, agg, now_ns, events_edge_gone, &gone);
	events_evaluate(&an->ev, &an->win, naming, now_ns);
	splits_tick(an, naming);
	pthread_mutex_unlock(&an->lock);
}

static int dump(json_t *root, FILE *out)
{
	int err;

	if (!root)
		return -ENOMEM;
	err = json_dumpf(root, out, JSON_COMPACT) ? -EIO : 0;
	json_decref(root);
	if (!err && fputc('\n', out) == EOF)
		err = -EIO;
	return err;
}

static int render_graph(struct analysis *an, struct naming *naming, FILE *out)
{
	struct graph_analysis result;
	struct graph g;
	int err;

	if (graph_init(&g))
		return -ENOMEM;
	pthread_mutex_lock(&an->lock);
	err = graph_from_window(&g, &an->win, naming);
	pthread_mutex_unlock(&an->lock);
	graph_analyze(&g, &result);
	err = err ?: dump(graph_json(&g, &result, an->win.window_s), out);
	graph_free(&g);
	return err;
}

int analysis_render(struct analysis *an, struct naming *naming, const char *path, FILE *out,
		    const char **type)
{
	json_t *root;

	if (!strcmp(path, "/api/v1/graph")) {
		*type = "application/json";
		return render_graph(an, naming, out);
	}
	if (!strcmp(path, "/api/v1/events")) {
		*type = "application/json";
		pthread_mutex_lock(&an->lock);
		root = events_json(&an->ev, 0);
		pthread_mutex_unlock(&an->lock);
		return dump(root, out);
	}
	if (!strcmp(path, "/api/v1/splits")) {
		*type = "application/json";
		pthread_mutex_lock(&an->lock);
		root = splits_json(&an->win, naming);
		pthread_mutex_unlock(&an->lock);
		return dump(root, out);
	}
	return -ENOENT;
}

void analysis_get_stats(struct analysis *an, struct answers_stats *out)
{
	pthread_mutex_lock(&an->lock);
	out->window_edges = an->win.edges.count;
	out->window_edges_dropped = an->win.stats.edges_full;
	out->window_ticks = an->win.stats.ticks;
	events_get_stats(&an->ev, out);
	pthread_mutex_unlock(&an->lock);
}

// SPDX-License-Identifier: BSD-2-Clause
/* What the Prometheus and JSON renderers share, so the two never disagree. */
#include "serve/render.h"

size_t render_self_stats(const struct render_input *in, struct self_stat *out)
{
	struct self_stats_input si = {
	    .flows = &in->flows->stats,
	    .agg = &in->agg->stats,
	    .http = &in->flows->http_stats,
	    .h2 = &in->flows->h2_stats,
	    .reasm = &in->flows->reasm_stats,
	    .nat = in->nat,
	    .logs = in->logs,
	    .answers = in->answers,
	    .kernel_counters = in->kernel_counters,
	    .kernel_conns = in->kernel_conns,
	    .kernel_conns_expired = in->kernel_conns_expired,
	    .tracked_conns = flowtab_count(in->flows),
	    .tracked_edges = in->agg->edges.count,
	    .consumer_max_wait_ns = in->consumer_max_wait_ns,
	    .endpoint_head_timeouts = in->endpoint_head_timeouts,
	    .endpoint_pages_shared = in->endpoint_pages_shared,
	};

	return self_stats_collect(&si, out, SELF_STATS_MAX);
}

uint64_t view_field(const struct edge_view *v, enum view_field which)
{
	switch (which) {
	case VF_BYTES_SENT:
		return v->bytes_sent;
	case VF_BYTES_RECEIVED:
		return v->bytes_received;
	case VF_OPENED:
		return v->conns_opened;
	case VF_CLOSED:
		return v->conns_closed;
	case VF_RESET:
		return v->conns_reset;
	case VF_RETRANS:
		return v->retransmits;
	}
	return 0;
}

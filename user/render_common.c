// SPDX-License-Identifier: BSD-2-Clause
/* Names shared by the Prometheus and JSON renderers, so the two never disagree. */
#include "render.h"

static const struct {
	const char *name;
	int is_drop;
} kernel_counters[MS_CNT__MAX] = {
    [MS_CNT_RB_FULL_OPEN] = {"ringbuf_full_open", 1},
    [MS_CNT_RB_FULL_CLOSE] = {"ringbuf_full_close", 1},
    [MS_CNT_RB_FULL_DATA] = {"ringbuf_full_data", 1},
    [MS_CNT_CONN_MAP_FULL] = {"conn_map_full", 1},
    [MS_CNT_LISTEN_MAP_FULL] = {"listen_map_full", 1},
    [MS_CNT_MALFORMED_PKT] = {"malformed_packets", 0},
    [MS_CNT_CAPTURE_TRUNCATED] = {"capture_truncated", 0},
    [MS_CNT_RETRANS_SKIPPED] = {"retransmit_skipped", 0},
    [MS_CNT_CONN_OPAQUE] = {"classified_opaque", 0},
    [MS_CNT_CONN_HTTP1] = {"classified_http1", 0},
};

const char *kernel_counter_name(enum ms_counter c)
{
	return c < MS_CNT__MAX && kernel_counters[c].name ? kernel_counters[c].name : "unknown";
}

int kernel_counter_is_drop(enum ms_counter c)
{
	return c < MS_CNT__MAX && kernel_counters[c].is_drop;
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

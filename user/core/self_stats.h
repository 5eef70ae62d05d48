/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's own counters, in one table that /metrics, /api/v1/stats and
 * the OTLP self metrics all read, so the three outputs list the same
 * numbers under names that map one to one:
 *
 *   self_stats_collect(&in, samples, max) -> n samples, in table order
 *
 * A sample is one number: its Prometheus family, help and up to two labels;
 * its place in the stats JSON (group and key); its OTLP name, unit and one
 * attribute. Families are contiguous in the output, as the Prometheus text
 * format needs. Pure C: the inputs are the modules' stats structs.
 */
#ifndef MESHSIGHT_SELF_STATS_H
#define MESHSIGHT_SELF_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "meshsight_events.h"

#include "core/aggregator.h"
#include "core/flows.h"
#include "lib/nat.h"

/*
 * OTLP log records (otlp/logs.c): what the logs export read from the event
 * ring and the access log, and what those rings overwrote before it could.
 * Declared here, below otlp/, because the one table of counters is here.
 */
struct log_export_stats {
	uint64_t events;	/* events sent on as log records */
	uint64_t access;	/* access-log records sent on */
	uint64_t events_missed; /* overwritten in the event ring before being read */
	uint64_t access_missed; /* overwritten in the access-log ring before being read */
	uint64_t build_failed;	/* read but lost: encoding ran out of memory */
};

/* The answers' own counters (answers/: window, events, access log), copied under their locks. */
#define ANSWERS_KINDS_MAX 8
struct answers_stats {
	uint64_t window_edges; /* edges in the sliding window now */
	uint64_t window_edges_dropped;
	uint64_t window_ticks;
	uint32_t nkinds; /* event kinds, by name */
	const char *kind_names[ANSWERS_KINDS_MAX];
	uint64_t events_by_kind[ANSWERS_KINDS_MAX];
	uint64_t events_overwritten; /* pushed out of the ring by newer ones */
	uint64_t pairs_dropped;	     /* edges not checked for new_edge: the pair set was full */
	uint64_t access_recorded;
	uint64_t access_dropped_rate;	     /* over --access-log-rate */
	uint64_t access_dropped_overwritten; /* pushed out of the ring by newer ones */
};

struct self_stats_input {
	const struct flow_stats *flows;
	const struct agg_stats *agg;
	const struct http1_stats *http;
	const struct h2_stats *h2; /* NULL: none reported */
	const struct reasm_stats *reasm;
	const struct nat_stats *nat;	     /* NULL: ClusterIP lookups are off */
	const struct log_export_stats *logs; /* NULL: the OTLP logs signal is off */
	const struct answers_stats *answers; /* NULL: none reported */
	const uint64_t *kernel_counters;     /* MS_CNT__MAX, summed over CPUs */
	uint64_t kernel_conns;		     /* entries in the kernel table at the last scan */
	uint64_t kernel_conns_expired;	     /* idle kernel entries deleted by userspace */
	uint64_t tracked_conns;
	uint64_t tracked_edges;
	uint64_t consumer_max_wait_ns;	 /* longest the ring-buffer consumer waited for the lock */
	uint64_t endpoint_head_timeouts; /* endpoint connections shut for a slow request head */
	uint64_t endpoint_pages_shared;	 /* scrapes answered with a page already rendered */
};

struct self_stat {
	const char *prom; /* family name */
	const char *help;
	const char *prom_type; /* "counter" or "gauge" */
	const char *label_key, *label_val;
	const char *label2_key, *label2_val;
	const char *json_group; /* object of /api/v1/stats, NULL: top level */
	const char *json_key;
	const char *otlp; /* OTLP metric name */
	const char *unit;
	const char *otlp_attr_key, *otlp_attr_val; /* NULL key: none */
	int gauge;
	uint64_t value;
	double scale; /* 0: value is a count; else the value is value * scale (ns -> s) */
};

/* The sample as a number of its unit (seconds for a scaled one). */
static inline double self_stat_value(const struct self_stat *s)
{
	return s->scale ? (double)s->value * s->scale : (double)s->value;
}

/* Upper bound of the samples one collect writes. */
#define SELF_STATS_MAX 128 /* 92 today with every optional row on */

size_t self_stats_collect(const struct self_stats_input *in, struct self_stat *out, size_t max);

/* Name of a kernel counter in metrics and JSON, e.g. "ringbuf_full_data". */
const char *kernel_counter_name(enum ms_counter c);
/* True for counters that mean an event or connection was lost. */
int kernel_counter_is_drop(enum ms_counter c);

#endif /* MESHSIGHT_SELF_STATS_H */

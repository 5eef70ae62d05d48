/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The tables of `meshsight edges` and `meshsight events`, from the JSON of
 * /api/v1/graph and /api/v1/events. Pure: unit-tested on crafted JSON.
 */
#ifndef MESHSIGHT_CLI_TABLE_H
#define MESHSIGHT_CLI_TABLE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

enum cli_sort {
	CLI_SORT_RATE,
	CLI_SORT_ERRORS,
	CLI_SORT_P95,
};

/* "rate", "errors" or "p95"; -EINVAL otherwise. */
int cli_sort_parse(const char *s, enum cli_sort *out);
/* One row per graph edge, sorted (highest first); 0 or -EINVAL for JSON without "edges". */
int cli_edges_table(json_t *graph, enum cli_sort sort, FILE *out);
/*
 * The events newer than after_ns (0: all), oldest first, with a header line
 * when header; *last_ns becomes the newest event's time. 0 or -EINVAL.
 */
int cli_events_table(json_t *events, uint64_t after_ns, int header, FILE *out, uint64_t *last_ns);

#endif /* MESHSIGHT_CLI_TABLE_H */

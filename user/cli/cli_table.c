// SPDX-License-Identifier: BSD-2-Clause
/*
 * See cli_table.h. Columns are as wide as the widest value, capped so a
 * long name does not push the numbers off an 80-column terminal; a name
 * longer than its column is cut with "~".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_table.h"

#define NAME_MAX_COL 40

int cli_sort_parse(const char *s, enum cli_sort *out)
{
	if (!strcmp(s, "rate"))
		*out = CLI_SORT_RATE;
	else if (!strcmp(s, "errors"))
		*out = CLI_SORT_ERRORS;
	else if (!strcmp(s, "p95"))
		*out = CLI_SORT_P95;
	else
		return -EINVAL;
	return 0;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static enum cli_sort sort_key;

static int by_sort_key(const void *pa, const void *pb)
{
	static const char *const keys[] = {"request_rate", "error_rate", "p95_ms"};
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	double x = num(a, keys[sort_key]), y = num(b, keys[sort_key]);

	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(str(a, "source"), str(b, "source"));
}

static int col_width(json_t *const *rows, size_t n, const char *key, int min)
{
	int w = min, len;
	size_t i;

	for (i = 0; i < n; i++) {
		len = (int)strlen(str(rows[i], key));
		if (len > w)
			w = len;
	}
	return w > NAME_MAX_COL ? NAME_MAX_COL : w;
}

/* The name, cut to width with a trailing '~' when longer. */
static void put_name(FILE *out, const char *s, int width)
{
	if ((int)strlen(s) <= width)
		fprintf(out, "%-*s  ", width, s);
	else
		fprintf(out, "%.*s~  ", width - 1, s);
}

int cli_edges_table(json_t *graph, enum cli_sort sort, FILE *out)
{
	json_t *edges = json_object_get(graph, "edges"), **rows;
	size_t n = json_array_size(edges), i;
	int ws, wd;
	double p95;

	if (!json_is_array(edges))
		return -EINVAL;
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(edges, i);
	sort_key = sort;
	qsort(rows, n, sizeof(*rows), by_sort_key);
	ws = col_width(rows, n, "source", 6);
	wd = col_width(rows, n, "destination", 11);
	fprintf(out, "%-*s  %-*s  %-5s %9s %9s %7s %9s\n", ws, "SOURCE", wd, "DESTINATION", "PROTO",
		"REQUESTS", "RATE/S", "ERRORS", "P95_MS");
	for (i = 0; i < n; i++) {
		put_name(out, str(rows[i], "source"), ws);
		put_name(out, str(rows[i], "destination"), wd);
		p95 = num(rows[i], "p95_ms");
		fprintf(out, "%-5s %9.0f %9.2f %6.1f%% ", str(rows[i], "protocol"),
			num(rows[i], "requests"), num(rows[i], "request_rate"),
			100 * num(rows[i], "error_rate"));
		if (p95 < 0)
			fprintf(out, "%9s\n", "-");
		else
			fprintf(out, "%9.1f\n", p95);
	}
	if (!n)
		fprintf(out, "(no edge in the window of %.0f s)\n", num(graph, "window_seconds"));
	free(rows);
	return 0;
}

int cli_events_table(json_t *events, uint64_t after_ns, int header, FILE *out, uint64_t *last_ns)
{
	json_t *list = json_object_get(events, "events"), *e;
	char edge[2 * NAME_MAX_COL + 16], kind[48];
	uint64_t t;
	size_t i;

	if (!json_is_array(list))
		return -EINVAL;
	if (header)
		fprintf(out, "%-24s %-8s %-28s %-44s %s\n", "TIME", "SEVERITY", "KIND", "EDGE",
			"DETAIL");
	json_array_foreach(list, i, e)
	{
		t = (uint64_t)json_integer_value(json_object_get(e, "time_unix_nano"));
		if (t <= after_ns)
			continue;
		snprintf(edge, sizeof(edge), "%s -> %s:%.0f", str(e, "source"),
			 str(e, "destination"), num(e, "port"));
		if (json_object_get(e, "resolves"))
			snprintf(kind, sizeof(kind), "%s (%s)", str(e, "kind"), str(e, "resolves"));
		else
			snprintf(kind, sizeof(kind), "%s", str(e, "kind"));
		fprintf(out, "%-24s %-8s %-28s %-44s %s\n", str(e, "time"), str(e, "severity"),
			kind, edge, str(e, "detail"));
		if (last_ns && t > *last_ns)
			*last_ns = t;
	}
	return 0;
}

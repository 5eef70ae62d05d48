// SPDX-License-Identifier: BSD-2-Clause
/* --help, written from the option table: each row's flag, value, help and default. */
#include <stdio.h>
#include <string.h>

#include "agent/option_table.h"

static void usage_option(FILE *f, const struct opt *o)
{
	const char *line = o->help, *nl, *dflt = o->def ?: o->shown;
	char left[64];
	int n;

	if (o->short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->name, o->arg ? " " : "",
			     o->arg ?: "");
	if (n > 26)
		fprintf(f, "%s\n%28s", left, "");
	else
		fprintf(f, "%-27s ", left);
	while ((nl = strchr(line, '\n'))) {
		fprintf(f, "%.*s\n%28s", (int)(nl - line), line, "");
		line = nl + 1;
	}
	fputs(line, f);
	if (dflt && 28 + strlen(line) + strlen(dflt) + 11 > 88)
		fprintf(f, "\n%28s(default %s)", "", dflt);
	else if (dflt)
		fprintf(f, " (default %s)", dflt);
	fputc('\n', f);
}

void options_usage(FILE *f)
{
	size_t i;

	fputs("Usage: meshsight [OPTIONS]\n"
	      "       meshsight edges|events [--help]  tables from a running agent\n"
	      "\n"
	      "Sidecar-less service-mesh telemetry from eBPF socket hooks: every TCP connection\n"
	      "and HTTP request of the processes in a cgroup v2 subtree, aggregated into\n"
	      "service-to-service edges and served on a local HTTP endpoint:\n"
	      "  /healthz  /metrics (Prometheus)  /api/v1/edges  /api/v1/stats (JSON)\n"
	      "Needs root (or CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN), kernel BTF and cgroup v2.\n"
	      "\n"
	      "Every option can also be set by a variable MESHSIGHT_<OPTION>, e.g.\n"
	      "MESHSIGHT_MAX_EDGES=20000 or MESHSIGHT_NO_HTTP=true; a repeatable option's\n"
	      "variable is a comma-separated list. A flag wins over its variable, which wins\n"
	      "over OTEL_* variables, which win over the defaults. DURATION is 500ms, 30s, 10m\n"
	      "or 1h; a bare number is in the unit the option's name says (seconds if none).\n"
	      "\n"
	      "Options:\n",
	      f);
	for (i = 0; i < option_count; i++) {
		if (option_rows[i].section)
			fprintf(f, "\n%s%s", option_rows[i].section,
				option_rows[i].section[0] ? "\n" : "");
		usage_option(f, &option_rows[i]);
	}
	fputs("\nStops cleanly on SIGINT or SIGTERM, detaching every program it attached.\n"
	      "Exit status: 0 after a clean stop, 2 for bad usage (a flag, a MESHSIGHT_* or an\n"
	      "OTEL_* value), 1 when the agent cannot start or run.\n",
	      f);
}

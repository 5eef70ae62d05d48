/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every setting of the agent, in one table (options.c) that drives the
 * command line, the environment, the defaults and --help alike:
 *
 *   options_parse(argc, argv, getenv, &cfg)  defaults, then MESHSIGHT_*, then flags
 *   options_usage(stdout)                    --help, written from the table
 *
 * Precedence: a flag beats its MESHSIGHT_<FLAG> variable (--max-edges ->
 * MESHSIGHT_MAX_EDGES), which beats the OpenTelemetry OTEL_* variables the
 * exporter reads, which beat the table's default. A repeatable flag's
 * variable holds a comma-separated list. Durations take a unit (500ms, 30s,
 * 10m, 1h); a bare number is in the flag's own unit.
 */
#ifndef MESHSIGHT_OPTIONS_H
#define MESHSIGHT_OPTIONS_H

#include <stdio.h>

#include "agent/agent.h"
#include "lib/env.h"

/* What main does after parsing. */
enum options_action {
	OPTIONS_RUN,	 /* run the agent with the parsed config */
	OPTIONS_EXIT_OK, /* --help or --version printed */
	OPTIONS_CHECK,	 /* --check: report kernel features */
	OPTIONS_USAGE,	 /* a bad flag or value: the message is printed, exit 2 */
};

enum options_action options_parse(int argc, char **argv, env_getter get, struct agent_config *c);
void options_usage(FILE *f);
/* The checks options_parse runs last (options_check.c); 0, or -EINVAL with why set. */
int options_check(struct agent_config *c, char *why, size_t len);

#endif /* MESHSIGHT_OPTIONS_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `meshsight edges [--watch] [--sort rate|errors|p95]` and
 * `meshsight events [--follow]`: the graph's edges and the events as tables,
 * read from a running agent's endpoint, for the SRE on the node with a
 * shell and no Grafana.
 */
#ifndef MESHSIGHT_CLI_H
#define MESHSIGHT_CLI_H

#include <stdbool.h>

/* Is argv[1] a subcommand (edges, events)? */
bool cli_is_command(const char *arg);
/* argv[0] is the subcommand; returns the exit status (0, 1 agent unreachable, 2 usage). */
int cli_main(int argc, char **argv);

#endif /* MESHSIGHT_CLI_H */

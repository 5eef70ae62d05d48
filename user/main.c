// SPDX-License-Identifier: BSD-2-Clause
/*
 * meshsight: flags and environment -> config (agent/options.c, one table),
 * then the agent runs until SIGINT/SIGTERM. `meshsight edges|events` are
 * the table views of a running agent (cli/).
 */
#include <stdio.h>

#include "agent/agent.h"
#include "agent/loader.h"
#include "agent/options.h"
#include "agent/probe.h"
#include "cli/cli.h"

int main(int argc, char **argv)
{
	struct agent_config cfg;

	if (argc > 1 && cli_is_command(argv[1]))
		return cli_main(argc - 1, argv + 1);
	switch (options_parse(argc, argv, NULL, &cfg)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_USAGE:
		return 2;
	case OPTIONS_CHECK:
		loader_route_libbpf_log();
		return probe_check(stdout);
	case OPTIONS_RUN:
		break;
	}
	loader_route_libbpf_log();
	return agent_run(&cfg) ? 1 : 0;
}

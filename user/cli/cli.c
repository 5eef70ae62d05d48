// SPDX-License-Identifier: BSD-2-Clause
/*
 * See cli.h. One GET per refresh through libcurl (the agent already links
 * it), the JSON decoded by jansson and printed by cli_table.c. --watch
 * redraws every 2 s (clearing the terminal), --follow prints new events as
 * they come (polling every second); both run until interrupted.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_table.h"
#include "lib/curl.h"

#define DEFAULT_ENDPOINT "127.0.0.1:9464"

struct cli_opts {
	const char *endpoint;
	bool repeat; /* --watch / --follow */
	enum cli_sort sort;
};

bool cli_is_command(const char *arg)
{
	return arg && (!strcmp(arg, "edges") || !strcmp(arg, "events"));
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: meshsight edges [--watch] [--sort rate|errors|p95] [--endpoint HOST:PORT]\n"
		"       meshsight events [--follow] [--endpoint HOST:PORT]\n"
		"\n"
		"Tables from a running agent (GET /api/v1/graph, /api/v1/events):\n"
		"  edges     each edge of the graph over the agent's --window: requests,\n"
		"            rate, error rate and p95, highest first (--sort, default rate)\n"
		"  events    the recent events, oldest first\n"
		"  --watch   redraw the edges every 2 s until interrupted\n"
		"  --follow  print new events as they come until interrupted\n"
		"  --endpoint HOST:PORT  the agent's --listen address (default %s)\n",
		DEFAULT_ENDPOINT);
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	return fwrite(data, size, n, ctx) == n ? size * n : 0;
}

/* GETs path and decodes it; NULL after printing what failed and what to do. */
static json_t *fetch(const struct cli_opts *o, const char *path)
{
	char url[512], *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	CURL *c = curl_easy_init();
	json_t *root = NULL;
	json_error_t jerr;
	long status = 0;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	snprintf(url, sizeof(url), "http://%s%s", o->endpoint, path);
	if (f && c) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	if (f)
		fclose(f);
	if (rc != CURLE_OK)
		fprintf(stderr,
			"meshsight: cannot read %s: %s; is the agent running? pass its --listen "
			"address as --endpoint HOST:PORT\n",
			url, curl_easy_strerror(rc));
	else if (status != 200)
		fprintf(stderr,
			"meshsight: %s answered HTTP %ld: is it a meshsight agent of this "
			"version?\n",
			url, status);
	else if (!(root = json_loadb(body ? body : "", len, 0, &jerr)))
		fprintf(stderr, "meshsight: %s is not JSON (%s)\n", url, jerr.text);
	if (c)
		curl_easy_cleanup(c);
	free(body);
	return root;
}

static int parse(int argc, char **argv, struct cli_opts *o)
{
	static const struct option opts[] = {
	    {"watch", no_argument, NULL, 'w'},	    {"follow", no_argument, NULL, 'f'},
	    {"sort", required_argument, NULL, 's'}, {"endpoint", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	bool edges = !strcmp(argv[0], "edges");
	int opt;

	*o = (struct cli_opts){.endpoint = DEFAULT_ENDPOINT, .sort = CLI_SORT_RATE};
	optind = 1;
	while ((opt = getopt_long(argc, argv, "wfh", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		} else if (opt == 'w' && edges) {
			o->repeat = true;
		} else if (opt == 'f' && !edges) {
			o->repeat = true;
		} else if (opt == 's' && edges) {
			if (cli_sort_parse(optarg, &o->sort)) {
				fprintf(stderr,
					"meshsight edges: --sort '%s': expected rate, "
					"errors or p95\n",
					optarg);
				return -EINVAL;
			}
		} else if (opt == 'e') {
			o->endpoint = optarg;
		} else {
			fprintf(stderr, "meshsight %s: see 'meshsight %s --help'\n", argv[0],
				argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "meshsight %s: unexpected argument '%s'\n", argv[0], argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int run_edges(const struct cli_opts *o)
{
	json_t *g;

	do {
		g = fetch(o, "/api/v1/graph");
		if (!g)
			return 1;
		if (o->repeat)
			fputs("\033[H\033[2J", stdout); /* home, clear */
		cli_edges_table(g, o->sort, stdout);
		json_decref(g);
		fflush(stdout);
	} while (o->repeat && !sleep(2));
	return 0;
}

static int run_events(const struct cli_opts *o)
{
	uint64_t last = 0;
	bool first = true;
	json_t *ev;

	do {
		ev = fetch(o, "/api/v1/events");
		if (!ev)
			return 1;
		cli_events_table(ev, last, first, stdout, &last);
		json_decref(ev);
		fflush(stdout);
		first = false;
	} while (o->repeat && !sleep(1));
	return 0;
}

int cli_main(int argc, char **argv)
{
	struct cli_opts o;
	int ret;

	if (parse(argc, argv, &o))
		return 2;
	if (curl_init_once() != CURLE_OK) {
		fprintf(stderr, "meshsight %s: cannot initialise libcurl\n", argv[0]);
		return 1;
	}
	ret = !strcmp(argv[0], "edges") ? run_edges(&o) : run_events(&o);
	curl_global_cleanup();
	return ret;
}

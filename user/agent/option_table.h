/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The option table's row type, shared by the parser (options.c) and the
 * --help writer (options_help.c). Internal to agent/; the API is options.h.
 */
#ifndef MESHSIGHT_OPTION_TABLE_H
#define MESHSIGHT_OPTION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/options.h"

#define WHY_MAX 1024

enum opt_type {
	T_STR,	   /* const char *: the text as given */
	T_ON,	   /* bool set true (a flag without a value) */
	T_OFF,	   /* bool set false */
	T_U32,	   /* uint32_t in [min, max] */
	T_SECONDS, /* uint32_t seconds: a duration, a bare number is seconds */
	T_MS,	   /* uint32_t milliseconds: a duration, a bare number is ms */
	T_LIST,	   /* const char *[max_items] with a uint32_t count, repeatable */
	T_FN,	   /* parsed by fn */
	T_ACTION,  /* --help, --version, --check, -v, -q: handled by the parse loop */
};

struct opt;
/* Parses v (from src: "--flag" or "MESHSIGHT_FLAG") into c; 0, or -EINVAL with why set. */
typedef int (*opt_fn)(const struct opt *o, const char *src, const char *v, struct agent_config *c,
		      char *why);

struct opt {
	const char *name; /* the long flag, without "--" */
	char short_name;
	enum opt_type type;
	size_t off;	  /* the field in struct agent_config */
	size_t count_off; /* T_LIST: its uint32_t count */
	uint32_t max_items;
	uint32_t min, max;
	const char *def;       /* applied at start; NULL: none */
	const char *shown;     /* the default --help names when def is NULL (an OTEL_* one) */
	const char *alias_env; /* read when MESHSIGHT_<FLAG> is unset, e.g. KUBECONFIG */
	const char *arg;       /* the value's name in --help */
	const char *help;      /* lines separated by \n */
	const char *section;
	opt_fn fn;
};

extern const struct opt option_rows[];
extern const size_t option_count;

#endif /* MESHSIGHT_OPTION_TABLE_H */

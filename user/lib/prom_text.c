// SPDX-License-Identifier: BSD-2-Clause
/* See prom_text.h. */
#include "lib/prom_text.h"

void prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_sample(FILE *f, const char *name, const char *labels, unsigned long long value)
{
	if (labels)
		fprintf(f, "%s{%s} %llu\n", name, labels, value);
	else
		fprintf(f, "%s %llu\n", name, value);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus text exposition format's two line shapes, for every module
 * that writes a family of its own into /metrics:
 *
 *   prom_family(f, name, type, help)     # HELP and # TYPE
 *   prom_sample(f, name, labels, value)  one sample; labels "k=\"v\"" or NULL
 */
#ifndef MESHSIGHT_PROM_TEXT_H
#define MESHSIGHT_PROM_TEXT_H

#include <stdio.h>

void prom_family(FILE *f, const char *name, const char *type, const char *help);
void prom_sample(FILE *f, const char *name, const char *labels, unsigned long long value);

#endif /* MESHSIGHT_PROM_TEXT_H */

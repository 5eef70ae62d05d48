/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The live page on GET / (user/page/index.html, compiled in): the graph,
 * events and splits drawn in the browser from the JSON endpoints, with no
 * asset fetched from anywhere else.
 */
#ifndef MESHSIGHT_PAGE_H
#define MESHSIGHT_PAGE_H

#include <stdio.h>

/* Writes the page for "/" or "/index.html"; -ENOENT for any other path, -EIO on a write error. */
int page_render(const char *path, FILE *out, const char **content_type);

#endif /* MESHSIGHT_PAGE_H */

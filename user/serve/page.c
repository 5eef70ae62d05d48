// SPDX-License-Identifier: BSD-2-Clause
/*
 * See page.h. The HTML is turned into a byte array at build time
 * (Makefile: $(OUTPUT)/page_html.h), so the binary is the whole deployment:
 * 10 KB of read-only data, served as is.
 */
#include <errno.h>
#include <string.h>

#include "serve/page.h"
#include "page_html.h"

int page_render(const char *path, FILE *out, const char **content_type)
{
	if (strcmp(path, "/") && strcmp(path, "/index.html"))
		return -ENOENT;
	*content_type = "text/html; charset=utf-8";
	return fwrite(page_html, 1, sizeof(page_html), out) == sizeof(page_html) ? 0 : -EIO;
}

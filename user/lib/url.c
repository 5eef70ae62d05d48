// SPDX-License-Identifier: BSD-2-Clause
/* See url.h. */
#include <stdio.h>
#include <string.h>

#include "lib/url.h"

size_t url_userinfo_span(const char *url, size_t *start)
{
	const char *p = strstr(url, "://"), *end, *at = NULL, *q;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (q = p; q < end; q++)
		if (*q == '@')
			at = q; /* the last '@' before the path: a password may hold one */
	if (!at)
		return 0;
	*start = (size_t)(p - url);
	return (size_t)(at + 1 - p);
}

void url_redact(const char *url, char *out, size_t outlen)
{
	size_t start = 0, n = url_userinfo_span(url, &start);

	if (!n)
		snprintf(out, outlen, "%s", url);
	else
		snprintf(out, outlen, "%.*sREDACTED@%s", (int)start, url, url + start + n);
}

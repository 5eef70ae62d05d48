// SPDX-License-Identifier: BSD-2-Clause
/* Reading settings from the environment and numeric flags (see env.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "lib/env.h"

const char *env_value(env_getter get, const char *name)
{
	const char *v = get ? get(name) : getenv(name);

	return v && v[0] ? v : NULL;
}

int parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	/* strtoul alone would take " 5", "+5" and wrap "-5" around. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

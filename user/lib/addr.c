// SPDX-License-Identifier: BSD-2-Clause
/* See addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "lib/addr.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool addr_is_v4(const uint8_t a[16])
{
	return !memcmp(a, v4_mapped_prefix, sizeof(v4_mapped_prefix));
}

void addr_from_v4(uint8_t out[16], uint32_t be32)
{
	memcpy(out, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(out + 12, &be32, 4);
}

int addr_parse(const char *text, uint8_t out[16])
{
	struct in_addr v4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, &v4) == 1) {
		addr_from_v4(out, v4.s_addr);
		return 0;
	}
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -EINVAL;
}

void addr_format(const uint8_t a[16], char *buf, size_t len)
{
	if (addr_is_v4(a))
		inet_ntop(AF_INET, a + 12, buf, len);
	else
		inet_ntop(AF_INET6, a, buf, len);
}

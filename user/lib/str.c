// SPDX-License-Identifier: BSD-2-Clause
/* See str.h. */
#include <errno.h>
#include <string.h>

#include "lib/str.h"

int str_copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	int err = 0;

	if (!len)
		return -ENAMETOOLONG;
	if (n >= len) {
		n = len - 1;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
		err = -ENAMETOOLONG;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return err;
}

int str_hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

void str_hex_encode(char *out, const uint8_t *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int str_percent_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo;
	char ch;

	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch == '%') {
			if (i + 2 >= n)
				return -EINVAL;
			hi = str_hex_digit((unsigned char)s[i + 1]);
			lo = str_hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			ch = (char)(hi << 4 | lo);
			i += 2;
		}
		if (ch == '\r' || ch == '\n' || ch == '\0')
			return -EINVAL;
		if (o + 1 >= outlen)
			return -E2BIG;
		out[o++] = ch;
	}
	if (!outlen)
		return -E2BIG;
	out[o] = '\0';
	return 0;
}

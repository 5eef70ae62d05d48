/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded string helpers every layer shares, so each rule exists once:
 *
 *   str_copy(dst, len, src)            copy, cut at a UTF-8 boundary
 *   str_or(s, fallback)                s unless NULL or "", else fallback
 *   str_hex_digit(ch)                  '0'-'9', 'a'-'f', 'A'-'F' -> 0..15, else -1
 *   str_hex_encode(out, bytes, n)      lowercase hex, NUL-terminated
 *   str_percent_decode(s, n, out, len) RFC 3986 %XX, refusing CR, LF and NUL
 */
#ifndef MESHSIGHT_STR_H
#define MESHSIGHT_STR_H

#include <stddef.h>
#include <stdint.h>

/* Copies src (NULL: "") into dst of len bytes, always terminated; a copy that
 * does not fit is cut at a UTF-8 character boundary and returns -ENAMETOOLONG. */
int str_copy(char *dst, size_t len, const char *src);

/* The one rule for "unset": NULL and "" both take the fallback (which may be NULL). */
static inline const char *str_or(const char *s, const char *fallback)
{
	return s && s[0] ? s : fallback;
}

int str_hex_digit(int ch);

/* out must hold 2 * n + 1 bytes. */
void str_hex_encode(char *out, const uint8_t *bytes, size_t n);

/*
 * Decodes n bytes of s into out (outlen bytes, terminated). -EINVAL for a
 * broken escape or a decoded CR, LF or NUL (a value must not be able to
 * smuggle a second header or line), -E2BIG when out is too small.
 */
int str_percent_decode(const char *s, size_t n, char *out, size_t outlen);

#endif /* MESHSIGHT_STR_H */

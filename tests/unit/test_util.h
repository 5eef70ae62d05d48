// SPDX-License-Identifier: BSD-2-Clause
/*
 * Helpers several unit tests need: addresses as the agent stores them, edge
 * keys, and text in a temp file. Each function is static inline so a test
 * that uses only some of them still builds under -Werror.
 */
#ifndef MESHSIGHT_TEST_UTIL_H
#define MESHSIGHT_TEST_UTIL_H

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/aggregator.h"

/* The agent keeps every address in 16 bytes, IPv4 as ::ffff:a.b.c.d. */
static inline void to_addr(const char *s, uint8_t addr[16])
{
	struct in_addr v4;

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		addr[10] = addr[11] = 0xff;
		memcpy(&addr[12], &v4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, addr), 1);
}

/* memset, not an initializer: keys are hashed and compared as bytes, padding included. */
static inline struct edge_key edge_key_of(const char *src, const char *dst, uint16_t port,
					  enum edge_proto proto)
{
	struct edge_key k;

	memset(&k, 0, sizeof(k));
	to_addr(src, k.src_addr);
	to_addr(dst, k.dst_addr);
	k.dst_port = port;
	k.proto = proto;
	return k;
}

/* Host numbers in one subnet read better where a test makes many edges:
 * ::ffff:10.0.0.<host> at both ends. */
static inline struct edge_key key_of(uint8_t src_host, uint8_t dst_host, uint16_t port,
				     enum edge_proto proto)
{
	struct edge_key k = edge_key_of("10.0.0.0", "10.0.0.0", port, proto);

	k.src_addr[15] = src_host;
	k.dst_addr[15] = dst_host;
	return k;
}

/*
 * Writes text to a new file made from the mkstemp template path, which is
 * rewritten with the file's name for the caller to read and unlink.
 * Returns 0, or -1 with nothing left behind.
 */
static inline int write_tmp(char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n = 0;
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	for (; len; text += n, len -= (size_t)n)
		if ((n = write(fd, text, len)) <= 0)
			break;
	if (close(fd) || len) {
		unlink(path);
		return -1;
	}
	return 0;
}

#endif /* MESHSIGHT_TEST_UTIL_H */

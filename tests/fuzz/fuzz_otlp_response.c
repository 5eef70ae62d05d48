// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for otlp_decode_response() in user/otlp/response.c: a
 * collector's reply is bytes from the network, in protobuf or JSON.
 *
 *   byte 0:  bit 0 JSON (1) or protobuf (0), bits 1-7 the message buffer
 *            size, so truncation is explored down to a one-byte buffer
 *   rest:    the response body, copied to an exact-size allocation so that
 *            AddressSanitizer sees any read past its end
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Iuser \
 *        tests/fuzz/fuzz_otlp_response.c user/otlp/{protobuf,json,response}.c -ljansson -o /tmp/fz
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/encode.h"

/* A broken invariant is a crash the fuzzer keeps, with the expression that failed. */
#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s\n", #cond);                          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[128];
	size_t msglen, len, i;
	int64_t rejected = -1;
	uint8_t *body;
	bool is_json;
	int err;

	if (!size)
		return 0;
	is_json = data[0] & 1;
	msglen = data[0] >> 1;
	len = size - 1;
	body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	memset(msg, 'Z', sizeof(msg));

	err = otlp_decode_response(body, len, is_json, &rejected, msglen ? msg : NULL, msglen);
	check(err == 0 || err == -EINVAL);
	check(rejected >= 0);
	check(!err || rejected == 0);
	check(len || (!err && rejected == 0));
	if (msglen) {
		check(memchr(msg, '\0', msglen) != NULL);
		check(!err || msg[0] == '\0');
		for (i = 0; msg[i]; i++)
			check((uint8_t)msg[i] >= 0x20 && msg[i] != 0x7f);
	}
	/* Nothing is written past the size the caller gave. */
	for (i = msglen; i < sizeof(msg); i++)
		check(msg[i] == 'Z');
	free(body);
	return 0;
}

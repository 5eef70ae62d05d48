// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/hpack.c: RFC 7541 Appendix C's examples (Huffman,
 * dynamic table, evictions at a 256-byte table), values not kept for fields
 * meshsight does not report, and a lost table that never names wrongly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/hpack.h"

#define FIELDS_MAX 16

struct got {
	unsigned n, unknown;
	char name[FIELDS_MAX][HPACK_NAME_MAX + 1];
	char value[FIELDS_MAX][HPACK_VALUE_MAX + 1];
	bool has_value[FIELDS_MAX];
};

static void on_field(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen,
		     unsigned flags)
{
	struct got *g = ctx;

	if (flags & HPACK_F_UNKNOWN) {
		g->unknown++;
		return;
	}
	assert_true(g->n < FIELDS_MAX);
	memcpy(g->name[g->n], name, nlen);
	g->name[g->n][nlen] = '\0';
	g->has_value[g->n] = value != NULL;
	if (value)
		memcpy(g->value[g->n], value, vlen);
	g->value[g->n][value ? vlen : 0] = '\0';
	g->n++;
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	unsigned b;

	for (; hex[0] && hex[1]; hex += 2) {
		assert_int_equal(sscanf(hex, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static int decode_hex(struct hpack_dec *d, const char *hex, struct got *g)
{
	uint8_t buf[512];
	size_t n = unhex(hex, buf);

	memset(g, 0, sizeof(*g));
	return hpack_decode(d, buf, n, on_field, g);
}

/* C.4: three requests with Huffman-coded strings; the second and third use the table. */
static void test_rfc_requests_huffman(void **state)
{
	struct hpack_dec d;
	struct got g;

	(void)state;
	hpack_init(&d);
	assert_int_equal(decode_hex(&d, "828684418cf1e3c2e5f23a6ba0ab90f4ff", &g), HPACK_OK);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.name[0], ":method");
	assert_string_equal(g.value[0], "GET");
	assert_string_equal(g.name[2], ":path");
	assert_string_equal(g.value[2], "/");
	assert_string_equal(g.name[3], ":authority");
	assert_false(g.has_value[3]); /* not a field meshsight reports */
	assert_int_equal(d.count, 1);
	assert_int_equal(d.size, 57);

	assert_int_equal(decode_hex(&d, "828684be5886a8eb10649cbf", &g), HPACK_OK);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.name[3], ":authority"); /* index 62: the dynamic entry */
	assert_string_equal(g.name[4], "cache-control");
	assert_int_equal(d.size, 110);

	assert_int_equal(decode_hex(&d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf", &g),
			 HPACK_OK);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.name[2], ":path");
	assert_string_equal(g.value[2], "/index.html");
	assert_string_equal(g.name[4], "custom-key");
	assert_int_equal(d.count, 3);
	assert_int_equal(d.size, 164);
	assert_int_equal(d.evictions, 0);
	hpack_free(&d);
}

/* C.6: responses into a 256-byte table: each insert evicts, and indexes stay right. */
static void test_rfc_responses_evictions(void **state)
{
	struct hpack_dec d;
	struct got g;

	(void)state;
	hpack_init(&d);
	assert_int_equal(decode_hex(&d,
				    "3fe101488264025885aec3771a4b6196d07abe941054d444a8200595040b81"
				    "66e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
				    &g),
			 HPACK_OK);
	assert_string_equal(g.value[0], "302");
	assert_int_equal(d.size, 222);

	assert_int_equal(decode_hex(&d, "4883640effc1c0bf", &g), HPACK_OK);
	assert_string_equal(g.name[0], ":status");
	assert_string_equal(g.value[0], "307");
	assert_string_equal(g.name[1], "cache-control");
	assert_string_equal(g.name[3], "location");
	assert_int_equal(d.evictions, 1);

	assert_int_equal(decode_hex(&d,
				    "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9"
				    "ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5"
				    "291f9587316065c003ed4ee5b1063d5007",
				    &g),
			 HPACK_OK);
	assert_int_equal(g.n, 6);
	assert_string_equal(g.value[0], "200");
	assert_string_equal(g.name[5], "set-cookie");
	assert_false(g.has_value[5]); /* a cookie's value is never handed out */
	assert_int_equal(d.size, 215);
	assert_int_equal(d.count, 3);
	assert_true(d.evictions >= 4);
	hpack_free(&d);
}

/* No stored entry holds a value meshsight does not report. */
static void test_values_not_kept(void **state)
{
	struct hpack_dec d;
	struct got g;
	uint32_t i;

	(void)state;
	hpack_init(&d);
	/* literal with indexing, new name "authorization": "Bearer s3cret" */
	assert_int_equal(
	    decode_hex(&d, "400d617574686f72697a6174696f6e0d42656172657220733363726574", &g),
	    HPACK_OK);
	assert_false(g.has_value[0]);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.size, 13 + 13 + 32); /* sized by the real value */
	for (i = 0; i < d.count; i++)
		assert_int_equal(d.ring[(d.first + i) % d.capacity].vlen, 0);
	/* Referring to it again gives the name only. */
	assert_int_equal(decode_hex(&d, "be", &g), HPACK_OK);
	assert_string_equal(g.name[0], "authorization");
	assert_false(g.has_value[0]);
	hpack_free(&d);
}

static void test_lost_table(void **state)
{
	struct hpack_dec d;
	struct got g;

	(void)state;
	hpack_init(&d);
	/* Index 62 with an empty table: the sender's table started before us. */
	assert_int_equal(decode_hex(&d, "be", &g), HPACK_ERR_INDEX);
	assert_true(d.lost);
	/* Static fields still decode; dynamic references are unknown, never guessed. */
	assert_int_equal(decode_hex(&d, "88be", &g), HPACK_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.value[0], "200");
	assert_int_equal(g.unknown, 1);
	hpack_free(&d);
}

static void test_malformed(void **state)
{
	struct hpack_dec d;
	struct got g;

	(void)state;
	hpack_init(&d);
	assert_int_equal(decode_hex(&d, "4005", &g), HPACK_ERR_TRUNCATED); /* name runs out */
	hpack_free(&d);
	hpack_init(&d);
	assert_int_equal(decode_hex(&d, "80", &g), HPACK_ERR_INDEX); /* index 0 */
	hpack_free(&d);
	hpack_init(&d);
	assert_int_equal(decode_hex(&d, "3fe1ffff0f", &g), HPACK_ERR_SIZE); /* table too big */
	hpack_free(&d);
	hpack_init(&d);
	/* Huffman padding of zeros instead of ones */
	assert_int_equal(decode_hex(&d, "0081008100", &g), HPACK_ERR_HUFFMAN);
	hpack_free(&d);
	hpack_init(&d);
	/* integer overflow */
	assert_int_equal(decode_hex(&d, "ffffffffffffff7f", &g), HPACK_ERR_INDEX);
	hpack_free(&d);
}

static void test_huffman(void **state)
{
	uint8_t buf[64];
	char out[64];
	size_t n = unhex("f1e3c2e5f23a6ba0ab90f4ff", buf);
	long len;

	(void)state;
	len = hpack_huffman_decode(buf, n, out, sizeof(out));
	assert_int_equal(len, 15);
	assert_memory_equal(out, "www.example.com", 15);
	/* A short output buffer still reports the full length. */
	assert_int_equal(hpack_huffman_decode(buf, n, out, 3), 15);
	assert_memory_equal(out, "www", 3);
}

/* Many distinct values through a small table: evictions keep indexes exact. */
static void test_eviction_churn(void **state)
{
	struct hpack_dec d;
	uint8_t block[64];
	struct got g;
	int i;

	(void)state;
	hpack_init(&d);
	for (i = 0; i < 200; i++) {
		size_t n = 0;
		char v[16];
		int vl = snprintf(v, sizeof(v), "/p%d", i);

		/* literal with indexing, static name :path (index 4) */
		block[n++] = 0x44;
		block[n++] = (uint8_t)vl;
		memcpy(block + n, v, (size_t)vl);
		n += (size_t)vl;
		block[n++] = 0xbe; /* and refer to it at once */
		memset(&g, 0, sizeof(g));
		assert_int_equal(hpack_decode(&d, block, n, on_field, &g), HPACK_OK);
		assert_int_equal(g.n, 2);
		assert_string_equal(g.value[1], v);
	}
	assert_true(d.evictions > 0);
	assert_true(d.size <= d.max_size);
	hpack_free(&d);
}

/*
 * A name longer than what is kept, reused by index with a new value: the new
 * entry is sized by the real name, so evictions stay where the sender's are.
 */
static void test_long_name_reused(void **state)
{
	struct hpack_dec d;
	uint8_t block[256];
	char name[101];
	struct got g;
	size_t n = 0;

	(void)state;
	memset(name, 'n', 100);
	name[100] = '\0';
	hpack_init(&d);
	block[n++] = 0x40; /* literal with indexing, new name */
	block[n++] = 100;
	memcpy(block + n, name, 100);
	n += 100;
	block[n++] = 1;
	block[n++] = 'a';
	block[n++] = 0x7e; /* literal with indexing, name index 62 (the entry above) */
	block[n++] = 2;
	block[n++] = 'b';
	block[n++] = 'c';
	memset(&g, 0, sizeof(g));
	assert_int_equal(hpack_decode(&d, block, n, on_field, &g), HPACK_OK);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.size, (100 + 1 + 32) + (100 + 2 + 32));
	hpack_free(&d);
}

#define T(fn) cmocka_unit_test(fn)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_rfc_requests_huffman),
	    T(test_rfc_responses_evictions),
	    T(test_values_not_kept),
	    T(test_lost_table),
	    T(test_malformed),
	    T(test_huffman),
	    T(test_eviction_churn),
	    T(test_long_name_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

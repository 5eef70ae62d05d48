// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/lib/htab.c, with the two key shapes the agent uses: an
 * 8-byte socket cookie (flow table) and a 36-byte edge key (edge table).
 * Enough entries are inserted to force many doublings of the bucket array,
 * so every check after an insert also checks that growth lost nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/htab.h"

#define NENTRIES 100000

struct cookie_entry {
	struct htab_node node;
	uint64_t cookie;
	uint32_t value;
};

struct wide_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
};
_Static_assert(sizeof(struct wide_key) == 36, "the edge table's key is 36 bytes");

struct wide_entry {
	struct htab_node node;
	uint32_t value; /* between node and key, so key_off is not just sizeof(node) */
	struct wide_key key;
};

#define KEY_OFF(type, field) (offsetof(type, field) - offsetof(type, node))
#define ENTRY_OF(n, type)    ((type *)((char *)(n)-offsetof(type, node)))

/* Cookies spread like the kernel's: large, not consecutive. */
static uint64_t cookie_of(uint32_t i)
{
	return 0x4000000000000000ULL + (uint64_t)i * 7919;
}

/* Keys that differ only in a few bytes, as edges between nearby pods do. */
static void wide_key_of(uint32_t i, struct wide_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src[10] = k->src[11] = 0xff;
	k->src[12] = 10;
	k->src[14] = (uint8_t)(i >> 8);
	k->src[15] = (uint8_t)i;
	k->dst[10] = k->dst[11] = 0xff;
	k->dst[12] = 10;
	k->dst[15] = 1;
	k->port = (uint16_t)(8000 + (i >> 16));
	k->proto = 1;
}

static struct cookie_entry *find_cookie(const struct htab *h, uint64_t cookie)
{
	struct htab_node *n = htab_find(h, &cookie);

	return n ? ENTRY_OF(n, struct cookie_entry) : NULL;
}

static struct cookie_entry *insert_cookies(struct htab *h, uint32_t n)
{
	struct cookie_entry *e = calloc(n, sizeof(*e));
	uint32_t i;

	assert_non_null(e);
	for (i = 0; i < n; i++) {
		e[i].cookie = cookie_of(i);
		e[i].value = i;
		assert_int_equal(htab_insert(h, &e[i].node), 0);
	}
	return e;
}

/*
 * Every byte of a key counts, including those of a last partial word, and
 * keys that differ in one port (what a client controls) spread over the
 * buckets: 65,536 such keys in 1,024 buckets, none holds twice its share.
 */
static void test_hash_spreads_every_byte(void **state)
{
	uint8_t key[36] = {0};
	uint64_t base, counts[1024] = {0}, worst = 0;
	size_t i;
	uint32_t port;

	(void)state;
	base = htab_hash_bytes(key, sizeof(key));
	assert_int_equal(htab_hash_bytes(key, sizeof(key)), base);
	for (i = 0; i < sizeof(key); i++) {
		key[i] ^= 1;
		assert_true(htab_hash_bytes(key, sizeof(key)) != base);
		key[i] ^= 1;
	}
	for (port = 0; port < 65536; port++) {
		key[32] = (uint8_t)(port >> 8);
		key[33] = (uint8_t)port;
		counts[htab_hash_bytes(key, sizeof(key)) & 1023]++;
	}
	for (i = 0; i < 1024; i++)
		if (counts[i] > worst)
			worst = counts[i];
	/* 64 a bucket on average; a poor hash puts thousands in one */
	assert_true(worst < 128);
}

static void test_empty_table_finds_nothing(void **state)
{
	struct htab h;
	uint64_t cookie = 42;

	(void)state;
	assert_int_equal(htab_init(&h, KEY_OFF(struct cookie_entry, cookie), sizeof(uint64_t)), 0);
	assert_null(htab_find(&h, &cookie));
	assert_int_equal(h.count, 0);
	htab_free(&h);
}

static void test_8byte_keys_survive_growth(void **state)
{
	struct cookie_entry *e, *got;
	size_t first_buckets;
	struct htab h;
	uint32_t i;

	(void)state;
	assert_int_equal(htab_init(&h, KEY_OFF(struct cookie_entry, cookie), sizeof(uint64_t)), 0);
	first_buckets = h.nbuckets;
	e = insert_cookies(&h, NENTRIES);
	assert_int_equal(h.count, NENTRIES);
	assert_true(h.nbuckets > first_buckets);
	/* The table doubles before the load passes 1. */
	assert_true(h.count <= h.nbuckets);

	for (i = 0; i < NENTRIES; i++) {
		got = find_cookie(&h, cookie_of(i));
		assert_ptr_equal(got, &e[i]);
		assert_int_equal(got->value, i);
	}
	/* Absent keys: between the inserted ones and far outside them. */
	assert_null(find_cookie(&h, cookie_of(0) + 1));
	assert_null(find_cookie(&h, cookie_of(NENTRIES)));
	assert_null(find_cookie(&h, 0));
	htab_free(&h);
	free(e);
}

static void test_36byte_keys_survive_growth(void **state)
{
	struct wide_entry *e;
	struct htab_node *n;
	struct wide_key k;
	struct htab h;
	uint32_t i;

	(void)state;
	assert_int_equal(htab_init(&h, KEY_OFF(struct wide_entry, key), sizeof(struct wide_key)),
			 0);
	e = calloc(NENTRIES, sizeof(*e));
	assert_non_null(e);
	for (i = 0; i < NENTRIES; i++) {
		wide_key_of(i, &e[i].key);
		e[i].value = i;
		assert_int_equal(htab_insert(&h, &e[i].node), 0);
	}
	assert_int_equal(h.count, NENTRIES);

	for (i = 0; i < NENTRIES; i++) {
		wide_key_of(i, &k);
		n = htab_find(&h, &k);
		assert_non_null(n);
		assert_int_equal(ENTRY_OF(n, struct wide_entry)->value, i);
	}
	/* Same key but for the last byte compared (the pad byte). */
	wide_key_of(7, &k);
	k.pad = 1;
	assert_null(htab_find(&h, &k));
	wide_key_of(NENTRIES, &k);
	k.port = 1;
	assert_null(htab_find(&h, &k));
	htab_free(&h);
	free(e);
}

static void test_remove(void **state)
{
	struct cookie_entry *e;
	struct htab h;
	uint32_t i;

	(void)state;
	assert_int_equal(htab_init(&h, KEY_OFF(struct cookie_entry, cookie), sizeof(uint64_t)), 0);
	e = insert_cookies(&h, NENTRIES);
	/* Remove every third entry. */
	for (i = 0; i < NENTRIES; i += 3)
		htab_remove(&h, &e[i].node);
	assert_int_equal(h.count, NENTRIES - (NENTRIES + 2) / 3);

	for (i = 0; i < NENTRIES; i++) {
		if (i % 3 == 0)
			assert_null(find_cookie(&h, cookie_of(i)));
		else
			assert_ptr_equal(find_cookie(&h, cookie_of(i)), &e[i]);
	}
	/* A removed entry can be inserted again. */
	assert_int_equal(htab_insert(&h, &e[0].node), 0);
	assert_ptr_equal(find_cookie(&h, cookie_of(0)), &e[0]);
	htab_free(&h);
	free(e);
}

static void test_remove_during_for_each_safe(void **state)
{
	struct htab_node *n, *tmp;
	struct cookie_entry *e;
	uint32_t i, visited = 0, removed = 0;
	uint8_t *seen;
	struct htab h;
	size_t b;

	(void)state;
	assert_int_equal(htab_init(&h, KEY_OFF(struct cookie_entry, cookie), sizeof(uint64_t)), 0);
	e = insert_cookies(&h, NENTRIES);
	seen = calloc(NENTRIES, 1);
	assert_non_null(seen);

	htab_for_each_safe(&h, n, tmp, b)
	{
		struct cookie_entry *ce = ENTRY_OF(n, struct cookie_entry);

		seen[ce->value]++;
		visited++;
		if (ce->value % 2) {
			htab_remove(&h, n);
			removed++;
		}
	}
	/* Every entry visited exactly once although half left mid-walk. */
	assert_int_equal(visited, NENTRIES);
	for (i = 0; i < NENTRIES; i++)
		assert_int_equal(seen[i], 1);
	assert_int_equal(removed, NENTRIES / 2);
	assert_int_equal(h.count, NENTRIES / 2);
	for (i = 0; i < NENTRIES; i++) {
		if (i % 2)
			assert_null(find_cookie(&h, cookie_of(i)));
		else
			assert_ptr_equal(find_cookie(&h, cookie_of(i)), &e[i]);
	}

	/* Removing everything while walking leaves an empty table. */
	htab_for_each_safe(&h, n, tmp, b)
	{
		htab_remove(&h, n);
	}
	assert_int_equal(h.count, 0);
	assert_null(find_cookie(&h, cookie_of(0)));
	htab_free(&h);
	free(seen);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_spreads_every_byte),
	    cmocka_unit_test(test_empty_table_finds_nothing),
	    cmocka_unit_test(test_8byte_keys_survive_growth),
	    cmocka_unit_test(test_36byte_keys_survive_growth),
	    cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_remove_during_for_each_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

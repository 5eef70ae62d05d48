// SPDX-License-Identifier: BSD-2-Clause
/*
 * See htab.h. The hash is 64-bit FNV-1a finished with a murmur-style mixer:
 * keys are short (8 or 36 bytes) and attacker-influenced only through
 * addresses and ports, and chains stay short because the table doubles.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

#define HTAB_MIN_BUCKETS 64

static const void *node_key(const struct htab *h, const struct htab_node *n)
{
	return (const char *)n + h->key_off;
}

uint64_t htab_hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t x = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= p[i];
		x *= 0x100000001b3ULL;
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

int htab_init(struct htab *h, size_t key_off, size_t key_len)
{
	memset(h, 0, sizeof(*h));
	h->buckets = calloc(HTAB_MIN_BUCKETS, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->nbuckets = HTAB_MIN_BUCKETS;
	h->key_off = key_off;
	h->key_len = key_len;
	return 0;
}

void htab_free(struct htab *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = 0;
	h->count = 0;
}

struct htab_node *htab_find(const struct htab *h, const void *key)
{
	uint64_t hash = htab_hash_bytes(key, h->key_len);
	struct htab_node *n;

	for (n = h->buckets[hash & (h->nbuckets - 1)]; n; n = n->next)
		if (n->hash == hash && !memcmp(node_key(h, n), key, h->key_len))
			return n;
	return NULL;
}

static void grow(struct htab *h)
{
	size_t newn = h->nbuckets * 2, i;
	struct htab_node **nb = calloc(newn, sizeof(*nb));
	struct htab_node *n, *next;

	if (!nb)
		return; /* keep the old size: slower, still correct */
	for (i = 0; i < h->nbuckets; i++) {
		for (n = h->buckets[i]; n; n = next) {
			next = n->next;
			n->next = nb[n->hash & (newn - 1)];
			nb[n->hash & (newn - 1)] = n;
		}
	}
	free(h->buckets);
	h->buckets = nb;
	h->nbuckets = newn;
}

int htab_insert(struct htab *h, struct htab_node *n)
{
	size_t b;

	if (h->count >= h->nbuckets && !h->frozen)
		grow(h);
	n->hash = htab_hash_bytes(node_key(h, n), h->key_len);
	b = n->hash & (h->nbuckets - 1);
	n->next = h->buckets[b];
	h->buckets[b] = n;
	h->count++;
	return 0;
}

void htab_remove(struct htab *h, struct htab_node *n)
{
	struct htab_node **pp = &h->buckets[n->hash & (h->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			h->count--;
			return;
		}
	}
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See htab.h. The hash reads the key 8 bytes at a time and folds each word
 * in with one 64x64->128-bit multiply, starting from a seed drawn at start:
 * the keys (socket 4-tuples, edge keys, addresses) are chosen in part by
 * whoever opens connections, and an unseeded hash would let them pick keys
 * that share a chain and turn every lookup into a scan. Cost: about 1 ns per
 * 8 bytes (a 36-byte edge key in ~5 ns), against ~1 ns per byte for the
 * byte-at-a-time FNV-1a it replaces. Hash values differ between runs, so no
 * one may store or compare them across processes (core/trace_context.c has its own,
 * stable hash for trace ids for that reason).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/htab.h"

#define HTAB_MIN_BUCKETS 64

static const void *node_key(const struct htab *h, const struct htab_node *n)
{
	return (const char *)n + h->key_off;
}

static uint64_t hash_seed;

/* Before main: no table exists yet, so the seed never changes under one. */
__attribute__((constructor)) static void hash_seed_init(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	hash_seed = seed | 1;
}

/* The high and low halves of a*b, folded: every input bit reaches every output bit. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t htab_hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = hash_seed ^ (len * 0x9e3779b97f4a7c15ULL), w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = fold_mul(h ^ w, 0xa0761d6478bd642fULL);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = fold_mul(h ^ w, 0xe7037ed1a0b428dbULL);
	}
	return fold_mul(h, 0x8ebc6af09c88c6e3ULL);
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

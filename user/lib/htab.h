/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intrusive chained hash table for fixed-size keys: the flow table (socket
 * cookie) and the edge table (edge_key). Entries embed a struct htab_node and
 * own their key; the table never allocates per entry, only its bucket array,
 * which doubles when the load passes 1 so lookups stay O(1).
 */
#ifndef MESHSIGHT_HTAB_H
#define MESHSIGHT_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* The entry that embeds node ptr as its member. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct htab_node {
	struct htab_node *next;
	uint64_t hash;
};

struct htab {
	struct htab_node **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	size_t key_off; /* offset of the key from the node */
	size_t key_len;
	unsigned int
	    frozen; /* > 0: inserts do not grow the table (a walk in slices is under way) */
};

/* Seeded per process (see htab.c): never store or compare the value across processes. */
uint64_t htab_hash_bytes(const void *key, size_t len);
int htab_init(struct htab *h, size_t key_off, size_t key_len);
void htab_free(struct htab *h);
struct htab_node *htab_find(const struct htab *h, const void *key);
/* Caller guarantees the key is absent. Returns 0: when growing fails the table keeps its size. */
int htab_insert(struct htab *h, struct htab_node *n);
void htab_remove(struct htab *h, struct htab_node *n);
/*
 * While frozen the bucket array keeps its size, so a walk that visits the
 * buckets a slice at a time, letting inserts and removals happen between
 * slices, sees every node that stays in the table exactly once. Chains grow
 * past the load of 1 meanwhile; the first insert after the thaw grows.
 */
static inline void htab_freeze(struct htab *h)
{
	h->frozen++;
}

static inline void htab_thaw(struct htab *h)
{
	if (h->frozen)
		h->frozen--;
}

/* Visit every node; the callback may remove the node it is given. */
#define htab_for_each_safe(h, n, tmp, i)                                                           \
	for ((i) = 0; (i) < (h)->nbuckets; (i)++)                                                  \
		for ((n) = (h)->buckets[(i)], (tmp) = (n) ? (n)->next : NULL; (n);                 \
		     (n) = (tmp), (tmp) = (n) ? (n)->next : NULL)

#endif /* MESHSIGHT_HTAB_H */

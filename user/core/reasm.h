/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-direction TCP stream reassembly of the kernel's captured segments.
 *
 * The skb hooks run before TCP itself has ordered or deduplicated a segment,
 * and ring-buffer events can be lost, so userspace puts segments back in
 * sequence order: duplicates and overlaps are trimmed, segments from the
 * future are held (bounded per direction and by a global byte budget) until
 * the hole is filled, and a hole that does not fill is passed on as a gap
 * (cap == 0) so the parser can resynchronise. All sequence arithmetic is
 * modulo 2^32.
 */
#ifndef MESHSIGHT_REASM_H
#define MESHSIGHT_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REASM_HOLD_MAX 8 /* out-of-order segments held per direction */

/* Receives in-order pieces: len stream bytes of which the first cap are in buf. */
typedef void (*reasm_emit_fn)(void *ctx, const uint8_t *buf, size_t cap, size_t len, uint64_t ts);

struct reasm_budget {
	size_t limit; /* bytes all held segments may use together */
	size_t used;
};

struct reasm_stats {
	uint64_t dup_bytes;	/* bytes dropped as already delivered */
	uint64_t held_segments; /* segments that had to wait for a hole to fill */
	uint64_t gaps;		/* holes given up on */
	uint64_t gap_bytes;	/* bytes in those holes */
	uint64_t budget_full;	/* segments not held because the budget was spent */
};

struct reasm_held {
	uint32_t seq;
	uint32_t len;
	uint32_t cap;
	uint64_t ts;
	uint8_t *buf; /* cap bytes, malloc'd, charged to the budget */
};

struct reasm_dir {
	bool started;
	uint32_t next_seq; /* sequence number of the next byte to deliver */
	uint8_t nheld;
	struct reasm_held held[REASM_HOLD_MAX]; /* sorted by seq */
	struct reasm_budget *budget;
	struct reasm_stats *stats;
};

void reasm_init(struct reasm_dir *r, struct reasm_budget *budget, struct reasm_stats *stats);
/* The stream's first byte is seq (from the handshake); without it, the first segment sets it. */
void reasm_start(struct reasm_dir *r, uint32_t seq);
void reasm_segment(struct reasm_dir *r, uint32_t seq, const uint8_t *buf, size_t cap, size_t len,
		   uint64_t ts, reasm_emit_fn emit, void *ctx);
/* Give up on the current hole: emit it as a gap, then what was held. */
void reasm_flush(struct reasm_dir *r, reasm_emit_fn emit, void *ctx);
/* Free held segments (connection gone). */
void reasm_release(struct reasm_dir *r);

#endif /* MESHSIGHT_REASM_H */

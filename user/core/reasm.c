// SPDX-License-Identifier: BSD-2-Clause
/*
 * Per-direction TCP stream reassembly for the HTTP/1 parser.
 *
 * The kernel hands us segments as the skb hooks saw them: possibly
 * retransmitted, reordered, or missing because the ring buffer was full. The
 * parser downstream needs one ordered byte stream, so this file trims what
 * was already delivered, parks segments from the future in a small sorted
 * array until the hole before them fills, and gives up on a hole (emitting it
 * as a gap of unknown bytes) as soon as holding more would exceed the
 * per-direction slot count or the global byte budget. Giving up early is the
 * point: a lost event never comes back, and the parser knows how to resync.
 *
 * Sequence numbers compare through a signed 32-bit difference, so the
 * stream may wrap around 2^32 any number of times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/reasm.h"

/* A segment on its way through: where it starts and what of it is known. */
struct seg {
	uint32_t seq;
	uint32_t len;
	uint32_t cap;
	uint64_t ts;
	const uint8_t *buf;
};

static struct reasm_stats dummy_stats;

static struct reasm_stats *stats_of(struct reasm_dir *r)
{
	/* Callers may not care about counters; a sink keeps the code branch-free. */
	return r->stats ? r->stats : &dummy_stats;
}

/* > 0 when a is after b, 0 when equal, < 0 when before, modulo 2^32. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void reasm_init(struct reasm_dir *r, struct reasm_budget *budget, struct reasm_stats *stats)
{
	memset(r, 0, sizeof(*r));
	r->budget = budget;
	r->stats = stats;
}

void reasm_start(struct reasm_dir *r, uint32_t seq)
{
	r->started = true;
	r->next_seq = seq;
}

/*
 * Deliver a segment that starts at or before next_seq: drop the part already
 * delivered (an overlap longer than cap leaves only unknown bytes).
 */
static void deliver(struct reasm_dir *r, struct seg *s, reasm_emit_fn emit, void *ctx)
{
	uint32_t skip = r->next_seq - s->seq;

	if (skip >= s->len) {
		stats_of(r)->dup_bytes += s->len;
		return;
	}
	stats_of(r)->dup_bytes += skip;
	if (skip >= s->cap) {
		s->buf = NULL;
		s->cap = 0;
	} else {
		s->buf += skip;
		s->cap -= skip;
	}
	s->len -= skip;
	emit(ctx, s->buf, s->cap, s->len, s->ts);
	r->next_seq += s->len;
}

static void held_remove_first(struct reasm_dir *r)
{
	struct reasm_held *h = &r->held[0];

	if (r->budget)
		r->budget->used -= h->cap;
	free(h->buf);
	r->nheld--;
	memmove(&r->held[0], &r->held[1], r->nheld * sizeof(r->held[0]));
}

/* Deliver every held segment the stream has caught up with. */
static void drain(struct reasm_dir *r, reasm_emit_fn emit, void *ctx)
{
	while (r->nheld && seq_diff(r->held[0].seq, r->next_seq) <= 0) {
		struct reasm_held *h = &r->held[0];
		struct seg s = {h->seq, h->len, h->cap, h->ts, h->buf};

		deliver(r, &s, emit, ctx);
		held_remove_first(r);
	}
}

/* Pass the hole before seq on as unknown bytes; the parser resyncs on it. */
static void emit_gap(struct reasm_dir *r, uint32_t seq, uint64_t ts, reasm_emit_fn emit, void *ctx)
{
	uint32_t gap = seq - r->next_seq;

	stats_of(r)->gaps++;
	stats_of(r)->gap_bytes += gap;
	emit(ctx, NULL, 0, gap, ts);
	r->next_seq = seq;
}

/* Give up on the first hole: emit it, then whatever became contiguous. */
static void give_up_hole(struct reasm_dir *r, reasm_emit_fn emit, void *ctx)
{
	emit_gap(r, r->held[0].seq, r->held[0].ts, emit, ctx);
	drain(r, emit, ctx);
}

static bool budget_allows(const struct reasm_dir *r, uint32_t cap)
{
	return !r->budget || r->budget->used + cap <= r->budget->limit;
}

/* Park a future segment in seq order; -ENOMEM when it cannot be copied. */
static int hold(struct reasm_dir *r, const struct seg *s)
{
	struct reasm_held *h;
	uint8_t *copy = NULL;
	unsigned int i;

	for (i = 0; i < r->nheld && seq_diff(r->held[i].seq, s->seq) < 0; i++)
		;
	/* A retransmission of a segment already waiting: keep the first copy. */
	if (i < r->nheld && r->held[i].seq == s->seq && r->held[i].len >= s->len) {
		stats_of(r)->dup_bytes += s->len;
		return 0;
	}
	if (s->cap) {
		copy = malloc(s->cap);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, s->buf, s->cap);
	}
	memmove(&r->held[i + 1], &r->held[i], (r->nheld - i) * sizeof(r->held[0]));
	h = &r->held[i];
	h->seq = s->seq;
	h->len = s->len;
	h->cap = s->cap;
	h->ts = s->ts;
	h->buf = copy;
	r->nheld++;
	if (r->budget)
		r->budget->used += s->cap;
	stats_of(r)->held_segments++;
	return 0;
}

void reasm_segment(struct reasm_dir *r, uint32_t seq, const uint8_t *buf, size_t cap, size_t len,
		   uint64_t ts, reasm_emit_fn emit, void *ctx)
{
	struct seg s = {seq, (uint32_t)len, (uint32_t)(cap < len ? cap : len), ts, buf};
	bool counted = false;

	if (!len || len > INT32_MAX)
		return;
	if (!buf)
		s.cap = 0;
	if (!r->started)
		reasm_start(r, seq);

	for (;;) {
		if (seq_diff(s.seq, r->next_seq) <= 0) {
			deliver(r, &s, emit, ctx);
			drain(r, emit, ctx);
			return;
		}
		if (r->nheld < REASM_HOLD_MAX && budget_allows(r, s.cap) && !hold(r, &s))
			return;
		if (!budget_allows(r, s.cap) && !counted) {
			stats_of(r)->budget_full++;
			counted = true;
		}
		/* Nothing left to free room: the hole before this segment is lost. */
		if (!r->nheld) {
			emit_gap(r, s.seq, s.ts, emit, ctx);
			continue;
		}
		give_up_hole(r, emit, ctx);
	}
}

/* Every hole is given up on, so nothing stays held after a flush. */
void reasm_flush(struct reasm_dir *r, reasm_emit_fn emit, void *ctx)
{
	while (r->nheld)
		give_up_hole(r, emit, ctx);
}

void reasm_release(struct reasm_dir *r)
{
	while (r->nheld)
		held_remove_first(r);
}

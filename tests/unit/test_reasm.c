// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/reasm.c: segments fed in odd orders must come out as
 * one ordered stream, with unknown bytes ('?' here) exactly where holes were
 * given up on, and the budget charged and returned.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/reasm.h"

#define OUT_MAX	   4096
#define PIECES_MAX 64

struct piece {
	size_t cap;
	size_t len;
	uint64_t ts;
};

struct fixture {
	struct reasm_dir dir;
	struct reasm_budget budget;
	struct reasm_stats stats;
	char out[OUT_MAX]; /* delivered stream, '?' for bytes not captured */
	size_t nout;
	struct piece pieces[PIECES_MAX];
	unsigned int npieces;
};

static void collect(void *ctx, const uint8_t *buf, size_t cap, size_t len, uint64_t ts)
{
	struct fixture *fx = ctx;

	assert_true(cap <= len);
	assert_true(len > 0);
	assert_true(fx->nout + len <= OUT_MAX);
	assert_true(fx->npieces < PIECES_MAX);
	if (cap)
		memcpy(fx->out + fx->nout, buf, cap);
	memset(fx->out + fx->nout + cap, '?', len - cap);
	fx->nout += len;
	fx->pieces[fx->npieces++] = (struct piece){cap, len, ts};
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->budget.limit = 1 << 20;
	reasm_init(&fx->dir, &fx->budget, &fx->stats);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	reasm_release(&fx->dir);
	assert_int_equal(fx->budget.used, 0);
	free(fx);
	return 0;
}

/* Segment holding the stream bytes data[off, off+len), stream starting at base. */
static void seg(struct fixture *fx, uint32_t base, const char *data, size_t off, size_t len,
		uint64_t ts)
{
	reasm_segment(&fx->dir, base + (uint32_t)off, (const uint8_t *)data + off, len, len, ts,
		      collect, fx);
}

static void assert_out(struct fixture *fx, const char *want)
{
	assert_int_equal(fx->nout, strlen(want));
	assert_memory_equal(fx->out, want, fx->nout);
}

static const char data[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void test_in_order(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 1000);
	seg(fx, 1000, data, 0, 10, 1);
	seg(fx, 1000, data, 10, 10, 2);
	seg(fx, 1000, data, 20, 16, 3);
	assert_out(fx, data);
	assert_int_equal(fx->npieces, 3);
	assert_int_equal(fx->pieces[2].ts, 3);
	assert_int_equal(fx->stats.held_segments, 0);
	assert_int_equal(fx->stats.dup_bytes, 0);
}

static void test_first_segment_sets_seq(void **state)
{
	struct fixture *fx = *state;

	seg(fx, 77, data, 5, 5, 1);
	seg(fx, 77, data, 10, 5, 2);
	assert_out(fx, "56789abcde");
}

static void test_duplicate(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 0, 10, 1);
	seg(fx, 0, data, 0, 10, 2);
	seg(fx, 0, data, 2, 5, 3);
	seg(fx, 0, data, 10, 5, 4);
	assert_out(fx, "0123456789abcde");
	assert_int_equal(fx->stats.dup_bytes, 15);
}

static void test_overlap(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 0, 10, 1);
	seg(fx, 0, data, 6, 10, 2);
	assert_out(fx, "0123456789abcdef");
	assert_int_equal(fx->stats.dup_bytes, 4);
	assert_int_equal(fx->pieces[1].len, 6);
}

static void test_overlap_beyond_cap(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 0, 10, 1);
	/* 20 bytes from seq 4, only 3 captured: all of the new part is unknown. */
	reasm_segment(&fx->dir, 4, (const uint8_t *)data + 4, 3, 20, 2, collect, fx);
	assert_out(fx, "0123456789??????????????");
	assert_int_equal(fx->pieces[1].cap, 0);
	assert_int_equal(fx->pieces[1].len, 14);
}

static void test_out_of_order_fill(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 500);
	seg(fx, 500, data, 20, 10, 3);
	seg(fx, 500, data, 10, 10, 2);
	assert_int_equal(fx->nout, 0);
	assert_int_equal(fx->budget.used, 20);
	seg(fx, 500, data, 30, 6, 4);
	seg(fx, 500, data, 0, 10, 1);
	assert_out(fx, data);
	assert_int_equal(fx->stats.held_segments, 3);
	assert_int_equal(fx->stats.gaps, 0);
	assert_int_equal(fx->budget.used, 0);
	/* Each piece keeps the timestamp of its own segment. */
	assert_int_equal(fx->pieces[0].ts, 1);
	assert_int_equal(fx->pieces[1].ts, 2);
	assert_int_equal(fx->pieces[3].ts, 4);
}

static void test_held_overlaps(void **state)
{
	struct fixture *fx = *state;

	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 10, 10, 2);
	seg(fx, 0, data, 10, 10, 3); /* same segment twice while held */
	seg(fx, 0, data, 15, 10, 4); /* overlaps the held one */
	seg(fx, 0, data, 0, 12, 1);
	assert_out(fx, "0123456789abcdefghijklmno");
	assert_int_equal(fx->stats.dup_bytes, 10 + 2 + 5);
}

static void test_hold_overflow(void **state)
{
	struct fixture *fx = *state;
	unsigned int i;

	reasm_start(&fx->dir, 0);
	/* Byte 0..1 never comes; segments 2..3, 4..5, ... wait. */
	for (i = 0; i < REASM_HOLD_MAX; i++)
		seg(fx, 0, data, 2 + 2 * i, 2, 10 + i);
	assert_int_equal(fx->nout, 0);
	seg(fx, 0, data, 2 + 2 * REASM_HOLD_MAX, 2, 99);
	assert_int_equal(fx->stats.gaps, 1);
	assert_int_equal(fx->stats.gap_bytes, 2);
	assert_int_equal(fx->pieces[0].cap, 0);
	assert_int_equal(fx->pieces[0].len, 2);
	assert_int_equal(fx->pieces[0].ts, 10);
	assert_out(fx, "??23456789abcdefghij");
	assert_int_equal(fx->dir.nheld, 0);
	/* The lost bytes arriving late are old news. */
	seg(fx, 0, data, 0, 2, 100);
	assert_int_equal(fx->stats.dup_bytes, 2);
}

static void test_hold_overflow_second_hole(void **state)
{
	struct fixture *fx = *state;
	unsigned int i;

	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 2, 2, 1);
	for (i = 1; i < REASM_HOLD_MAX; i++)
		seg(fx, 0, data, 6 + 2 * i, 2, 1); /* hole at 4..7 as well */
	seg(fx, 0, data, 30, 2, 2);
	/* Only the first hole is given up on; the rest stays held. */
	assert_out(fx, "??23");
	assert_int_equal(fx->dir.nheld, REASM_HOLD_MAX - 1 + 1);
	reasm_flush(&fx->dir, collect, fx);
	assert_int_equal(fx->dir.nheld, 0);
	assert_int_equal(fx->stats.gaps, 3);
	assert_out(fx, "??23????89abcdefghijkl????????uv");
}

static void test_budget(void **state)
{
	struct fixture *fx = *state;

	fx->budget.limit = 15;
	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 5, 10, 1);
	assert_int_equal(fx->budget.used, 10);
	/* Would need 20: the hole before the held segment is given up on. */
	seg(fx, 0, data, 20, 10, 2);
	assert_int_equal(fx->stats.budget_full, 1);
	assert_int_equal(fx->stats.gaps, 1);
	assert_out(fx, "?????56789abcde");
	assert_int_equal(fx->budget.used, 10);
	reasm_flush(&fx->dir, collect, fx);
	assert_int_equal(fx->budget.used, 0);
	/* Larger than the whole budget with nothing held: its own hole goes. */
	fx->budget.limit = 3;
	seg(fx, 0, data, 32, 4, 3);
	assert_int_equal(fx->stats.budget_full, 2);
	assert_int_equal(fx->stats.gaps, 3);
	assert_int_equal(fx->stats.gap_bytes, 5 + 5 + 2);
	assert_out(fx, "?????56789abcde?????klmnopqrst??wxyz");
	assert_int_equal(fx->budget.used, 0);
}

static void test_budget_shared(void **state)
{
	struct fixture *fx = *state;
	struct reasm_dir other;

	fx->budget.limit = 12;
	reasm_init(&other, &fx->budget, &fx->stats);
	reasm_start(&other, 0);
	reasm_segment(&other, 20, (const uint8_t *)data, 10, 10, 1, collect, fx);
	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 10, 5, 2);
	assert_int_equal(fx->stats.budget_full, 1);
	assert_out(fx, "??????????abcde");
	reasm_release(&other);
	assert_int_equal(fx->budget.used, 0);
}

static void test_wrap(void **state)
{
	struct fixture *fx = *state;
	uint32_t base = UINT32_MAX - 9; /* the stream wraps after 10 bytes */

	reasm_start(&fx->dir, base);
	seg(fx, base, data, 0, 8, 1);
	seg(fx, base, data, 16, 8, 3); /* seq 6: held across the wrap */
	seg(fx, base, data, 8, 8, 2);  /* seq UINT32_MAX - 1, wraps inside */
	seg(fx, base, data, 4, 8, 4);  /* old, from before the wrap */
	assert_out(fx, "0123456789abcdefghijklmn");
	assert_int_equal(fx->dir.next_seq, base + 24);
	assert_int_equal(fx->stats.dup_bytes, 8);
}

static void test_release_frees(void **state)
{
	struct fixture *fx = *state;
	unsigned int i;

	reasm_start(&fx->dir, 0);
	for (i = 0; i < REASM_HOLD_MAX; i++)
		seg(fx, 0, data, 4 + i, 1, i);
	assert_int_equal(fx->dir.nheld, REASM_HOLD_MAX);
	assert_int_equal(fx->budget.used, REASM_HOLD_MAX);
	reasm_release(&fx->dir);
	assert_int_equal(fx->dir.nheld, 0);
	assert_int_equal(fx->budget.used, 0);
	assert_int_equal(fx->nout, 0);
}

static void test_no_stats_no_budget(void **state)
{
	struct fixture *fx = *state;

	reasm_init(&fx->dir, NULL, NULL);
	reasm_start(&fx->dir, 0);
	seg(fx, 0, data, 4, 4, 1);
	seg(fx, 0, data, 0, 6, 1);
	reasm_flush(&fx->dir, collect, fx);
	assert_out(fx, "01234567");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_in_order),
	    T(test_first_segment_sets_seq),
	    T(test_duplicate),
	    T(test_overlap),
	    T(test_overlap_beyond_cap),
	    T(test_out_of_order_fill),
	    T(test_held_overlaps),
	    T(test_hold_overflow),
	    T(test_hold_overflow_second_hole),
	    T(test_budget),
	    T(test_budget_shared),
	    T(test_wrap),
	    T(test_release_frees),
	    T(test_no_stats_no_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

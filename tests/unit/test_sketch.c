// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/core/sketch.c: quantiles against the exact order statistic
 * of sorted arrays, for distributions shaped like real latencies.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/sketch.h"

#define NVALUES 100000
#define LO_NS	50000ULL      /* 50 us */
#define HI_NS	5000000000ULL /* 5 s */
#define MAX_ERR 0.01

/* xorshift64*: fixed seed, same sequence on every libc. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed;
}

static double rng_unit(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double rng_normal(void)
{
	double u = rng_unit(), v = rng_unit();

	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static uint64_t clamp_range(double v)
{
	if (v < (double)LO_NS)
		return LO_NS;
	if (v > (double)HI_NS)
		return HI_NS;
	return (uint64_t)v;
}

static uint64_t gen_uniform(void)
{
	return clamp_range((double)LO_NS + rng_unit() * (double)(HI_NS - LO_NS));
}

static uint64_t gen_lognormal(void)
{
	return clamp_range(exp(log(5e6) + 1.5 * rng_normal()));
}

/* Fast cache hits around 200 us and slow misses around 500 ms. */
static uint64_t gen_bimodal(void)
{
	double mode = rng_unit() < 0.7 ? 2e5 : 5e8;

	return clamp_range(exp(log(mode) + 0.3 * rng_normal()));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	return sorted[(size_t)(q * (double)(n - 1))];
}

static void check_quantile(const struct sketch *s, const uint64_t *sorted, size_t n, double q)
{
	double est = (double)sketch_quantile(s, q);
	double exact = (double)exact_quantile(sorted, n, q);
	double err = fabs(est - exact) / exact;

	if (err > MAX_ERR)
		fail_msg("q=%.2f: estimate %.0f exact %.0f relative error %.4f", q, est, exact,
			 err);
}

static void check_distribution(uint64_t (*gen)(void), uint64_t seed)
{
	uint64_t *vals = malloc(NVALUES * sizeof(*vals));
	struct sketch s;
	size_t i;

	assert_non_null(vals);
	sketch_init(&s);
	rng_seed(seed);
	for (i = 0; i < NVALUES; i++) {
		vals[i] = gen();
		assert_int_equal(sketch_add(&s, vals[i]), 0);
	}
	qsort(vals, NVALUES, sizeof(*vals), cmp_u64);

	check_quantile(&s, vals, NVALUES, 0.50);
	check_quantile(&s, vals, NVALUES, 0.95);
	check_quantile(&s, vals, NVALUES, 0.99);
	assert_int_equal(sketch_quantile(&s, 1.0), vals[NVALUES - 1]);
	assert_int_equal(sketch_quantile(&s, 0.0), vals[0]);
	assert_int_equal(s.count, NVALUES);
	assert_int_equal(s.max_ns, vals[NVALUES - 1]);
	assert_int_equal(s.min_ns, vals[0]);
	sketch_free(&s);
	free(vals);
}

static void test_uniform(void **state)
{
	(void)state;
	check_distribution(gen_uniform, 0x5eed0001);
}

static void test_lognormal(void **state)
{
	(void)state;
	check_distribution(gen_lognormal, 0x5eed0002);
}

static void test_bimodal(void **state)
{
	(void)state;
	check_distribution(gen_bimodal, 0x5eed0003);
}

static void test_empty(void **state)
{
	struct sketch s;

	(void)state;
	sketch_init(&s);
	assert_int_equal(sketch_quantile(&s, 0.0), 0);
	assert_int_equal(sketch_quantile(&s, 0.5), 0);
	assert_int_equal(sketch_quantile(&s, 1.0), 0);
	assert_null(s.counts);
	sketch_free(&s);
}

static void test_single_value(void **state)
{
	struct sketch s;

	(void)state;
	sketch_init(&s);
	assert_int_equal(sketch_add(&s, 1234567), 0);
	/* min == max, so the clamp makes every quantile exact. */
	assert_int_equal(sketch_quantile(&s, 0.0), 1234567);
	assert_int_equal(sketch_quantile(&s, 0.5), 1234567);
	assert_int_equal(sketch_quantile(&s, 0.99), 1234567);
	assert_int_equal(sketch_quantile(&s, 1.0), 1234567);
	assert_int_equal(s.nbuckets, 1);
	assert_int_equal(s.sum_ns, 1234567);
	sketch_free(&s);
}

static void test_out_of_range(void **state)
{
	struct sketch s;

	(void)state;
	sketch_init(&s);
	assert_int_equal(sketch_add(&s, 0), 0);
	assert_int_equal(sketch_add(&s, UINT64_MAX / 4), 0);
	assert_int_equal(sketch_quantile(&s, 0.0), 0);
	assert_int_equal(sketch_quantile(&s, 1.0), UINT64_MAX / 4);
	/* The widest possible range stays bounded (about 5 KiB). */
	assert_true(s.nbuckets <= 1300);
	/* NaN must not reach the rank computation. */
	assert_int_equal(sketch_quantile(&s, NAN), 0);
	sketch_free(&s);
}

static void test_narrow_memory(void **state)
{
	struct sketch s;
	uint32_t i;

	(void)state;
	sketch_init(&s);
	rng_seed(0x5eed0005);
	for (i = 0; i < 10000; i++)
		assert_int_equal(sketch_add(&s, 9900000 + (uint64_t)(rng_unit() * 200000)), 0);
	assert_true(s.nbuckets < 64);
	sketch_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uniform),	  cmocka_unit_test(test_lognormal),
	    cmocka_unit_test(test_bimodal),	  cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_single_value),  cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_narrow_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

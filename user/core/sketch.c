// SPDX-License-Identifier: BSD-2-Clause
/*
 * DDSketch-style latency histogram (see sketch.h for the error bound).
 *
 * A value v lands in bucket i = ceil(log(v) / log(gamma)), i.e. the bucket
 * covering (gamma^(i-1), gamma^i]. Values are clamped to
 * [SKETCH_MIN_NS, SKETCH_MAX_NS] before indexing, so the index range is fixed
 * (about 1220 buckets) and the dense counts array can never grow past it even
 * for garbage input. The array only spans the buckets actually seen, which
 * keeps one sketch per (service, route) cheap when latencies are narrow.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sketch.h"

#define SKETCH_GAMMA ((1.0 + SKETCH_REL_ACCURACY) / (1.0 - SKETCH_REL_ACCURACY))

static double log_gamma(void)
{
	/* Not cached in a static: a log() per add is cheap and keeps this reentrant. */
	return log(SKETCH_GAMMA);
}

static int32_t bucket_index(uint64_t v)
{
	if (v < SKETCH_MIN_NS)
		v = SKETCH_MIN_NS;
	if (v > SKETCH_MAX_NS)
		v = SKETCH_MAX_NS;
	return (int32_t)ceil(log((double)v) / log_gamma());
}

/* The point of bucket i that is within SKETCH_REL_ACCURACY of both its ends. */
static double bucket_value(int32_t i)
{
	return 2.0 * exp((double)i * log_gamma()) / (SKETCH_GAMMA + 1.0);
}

void sketch_init(struct sketch *s)
{
	memset(s, 0, sizeof(*s));
}

/*
 * Makes counts cover bucket indexes [lo, hi], keeping existing counts. Growing
 * exactly to what is needed means at most ~1220 reallocs over a sketch's life,
 * which is not worth a growth policy.
 */
static int sketch_cover(struct sketch *s, int32_t lo, int32_t hi)
{
	int32_t old_hi = s->lo + (int32_t)s->nbuckets - 1;
	uint32_t *counts;
	uint32_t n, shift;

	if (s->counts) {
		if (lo >= s->lo && hi <= old_hi)
			return 0;
		if (lo > s->lo)
			lo = s->lo;
		if (hi < old_hi)
			hi = old_hi;
	}
	n = (uint32_t)(hi - lo + 1);
	counts = realloc(s->counts, n * sizeof(*counts));
	if (!counts)
		return -ENOMEM;
	if (!s->counts) {
		memset(counts, 0, n * sizeof(*counts));
	} else {
		/* Old buckets move up by the number of new low buckets. */
		shift = (uint32_t)(s->lo - lo);
		memmove(counts + shift, counts, s->nbuckets * sizeof(*counts));
		memset(counts, 0, shift * sizeof(*counts));
		memset(counts + shift + s->nbuckets, 0,
		       (n - shift - s->nbuckets) * sizeof(*counts));
	}
	s->counts = counts;
	s->lo = lo;
	s->nbuckets = n;
	return 0;
}

static void sketch_add_exact(struct sketch *s, uint64_t count, uint64_t sum, uint64_t min,
			     uint64_t max)
{
	if (!s->count || min < s->min_ns)
		s->min_ns = min;
	if (max > s->max_ns)
		s->max_ns = max;
	s->count += count;
	s->sum_ns += sum;
}

int sketch_add(struct sketch *s, uint64_t value_ns)
{
	int32_t i = bucket_index(value_ns);
	int err;

	/* Exact stats first, so they stay right even when the bucket cannot be. */
	sketch_add_exact(s, 1, value_ns, value_ns, value_ns);
	err = sketch_cover(s, i, i);
	if (err)
		return err;
	s->counts[i - s->lo]++;
	return 0;
}

static uint64_t bucketed_count(const struct sketch *s)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < s->nbuckets; i++)
		n += s->counts[i];
	return n;
}

static uint64_t clamp_u64(double v, uint64_t lo, uint64_t hi)
{
	if (v <= (double)lo)
		return lo;
	if (v >= (double)hi)
		return hi;
	return (uint64_t)llround(v);
}

/*
 * Quantile q is the value of rank floor(q * (n - 1)) (0-based) in sorted
 * order, i.e. the lower of the two neighbours rather than an interpolation, so
 * it is always an estimate of a value that was really observed. n counts the
 * bucketed values only, so a failed sketch_add cannot push the rank past the
 * last bucket. The estimate is clamped to [min, max]: both are exact, and the
 * clamp also fixes values below SKETCH_MIN_NS, which share one bucket.
 */
uint64_t sketch_quantile(const struct sketch *s, double q)
{
	uint64_t n, rank, seen = 0;
	uint32_t i;

	if (!s->count)
		return 0;
	if (!(q > 0.0)) /* also catches NaN, which would make rank undefined */
		return s->min_ns;
	if (q >= 1.0 || !s->counts)
		return s->max_ns;
	n = bucketed_count(s);
	if (!n)
		return s->max_ns;
	rank = (uint64_t)(q * (double)(n - 1));
	for (i = 0; i < s->nbuckets; i++) {
		seen += s->counts[i];
		if (seen > rank)
			break;
	}
	if (i == s->nbuckets)
		return s->max_ns;
	return clamp_u64(bucket_value(s->lo + (int32_t)i), s->min_ns, s->max_ns);
}

void sketch_free(struct sketch *s)
{
	free(s->counts);
	sketch_init(s);
}

int sketch_copy(struct sketch *dst, const struct sketch *src)
{
	*dst = *src;
	dst->counts = NULL;
	if (!src->counts)
		return 0;
	dst->counts = malloc(src->nbuckets * sizeof(*src->counts));
	if (!dst->counts) {
		dst->nbuckets = 0;
		return -ENOMEM;
	}
	memcpy(dst->counts, src->counts, src->nbuckets * sizeof(*src->counts));
	return 0;
}

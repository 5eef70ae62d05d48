/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Latency distribution with bounded relative error (a DDSketch-style
 * log-bucketed histogram).
 *
 * Every value v >= SKETCH_MIN_NS falls in bucket ceil(log_gamma(v)) with
 * gamma = (1 + a) / (1 - a); reading a bucket back as 2 * gamma^i / (gamma + 1)
 * is within a of every value in it, so p50/p95/p99 are within a = 0.9% of the
 * true order statistic (the issue asks for 1%). Buckets are a dense array over
 * [lowest, highest] index seen, grown on demand, so a narrow distribution costs
 * a few hundred bytes and the widest (1 us .. 1 h) about 5 KiB. max, count and
 * sum are exact.
 */
#ifndef MESHSIGHT_SKETCH_H
#define MESHSIGHT_SKETCH_H

#include <stdint.h>

#define SKETCH_REL_ACCURACY 0.009
#define SKETCH_MIN_NS	    1000ULL	     /* smaller values share the lowest bucket */
#define SKETCH_MAX_NS	    3600000000000ULL /* larger values are clamped to 1 h (max stays exact) */

struct sketch {
	int32_t lo; /* bucket index of counts[0] */
	uint32_t nbuckets;
	uint32_t *counts; /* NULL until the first value */
	uint64_t count;
	uint64_t sum_ns;
	uint64_t max_ns;
	uint64_t min_ns;
};

void sketch_init(struct sketch *s);
/* 0, or -ENOMEM (the value is then counted in count/sum/max but not in a bucket). */
int sketch_add(struct sketch *s, uint64_t value_ns);
/* q in [0,1]; 0 when empty. q == 1 returns the exact max. */
uint64_t sketch_quantile(const struct sketch *s, double q);
void sketch_free(struct sketch *s);
/* dst becomes an independent copy of src; -ENOMEM leaves dst empty. */
int sketch_copy(struct sketch *dst, const struct sketch *src);

#endif /* MESHSIGHT_SKETCH_H */

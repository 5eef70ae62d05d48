/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The agent's clocks, in nanoseconds:
 *
 *   clock_mono_ns()   CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads:
 *                     every kernel timestamp and every interval (_ms: in ms)
 *   clock_unix_ns()   CLOCK_REALTIME: only what leaves the agent (OTLP, logs)
 *   clock_deadline()  a CLOCK_MONOTONIC timespec ms from now, for condition
 *                     variables created with pthread_condattr_setclock
 */
#ifndef MESHSIGHT_CLOCK_H
#define MESHSIGHT_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NS_PER_S  1000000000ULL
#define NS_PER_MS 1000000ULL

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t clock_mono_ms(void)
{
	return clock_mono_ns() / NS_PER_MS;
}

static inline uint64_t clock_unix_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static inline void clock_deadline(struct timespec *ts, uint64_t ms)
{
	uint64_t t = clock_mono_ns() + ms * NS_PER_MS;

	ts->tv_sec = (time_t)(t / NS_PER_S);
	ts->tv_nsec = (long)(t % NS_PER_S);
}

#endif /* MESHSIGHT_CLOCK_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MESHSIGHT_MAPS_EVENTS_H
#define MESHSIGHT_MAPS_EVENTS_H

#include "../config.h"
#include "../map_sizing.h"
#include "meshsight_events.h"

/* Written by every program, drained by userspace's consumer. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MS_RINGBUF_BYTES);
} events SEC(".maps") __weak;

/* Per-CPU drop and health counters (enum ms_counter); summed by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps") __weak;

/* A data event is assembled here: too large for the 512-byte BPF stack. */
struct ms_data_scratch {
	__u8 raw[sizeof(struct ms_data_event) + MS_CAPTURE_MAX]; /* event header, then data */
};

/* Per-CPU scratch, written and read only within one program run. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_data_scratch);
} data_scratch SEC(".maps") __weak;

static __always_inline void count(enum ms_counter which)
{
	__u32 key = which;
	__u64 *slot = bpf_map_lookup_elem(&counters, &key);

	if (slot)
		*slot += 1; /* per-CPU slot: no atomic needed */
}

/*
 * Wake the consumer only once enough is pending: a wakeup per event would
 * cost a context switch per request; the consumer polls on a short timer.
 * Reading the fill level touches the consumer position that userspace writes
 * from another CPU, so only about one event in MS_WAKEUP_CHECK_EVERY looks;
 * the ring still has room for far more than that many events. Which ones is
 * decided by the low bits of ts, a clock reading the caller already has (the
 * event's own timestamp): as good as a random draw for this, and no helper
 * call, whose code and state would be two more cold cache lines an event.
 */
static __always_inline __u64 ringbuf_wakeup_flags(__u64 ts)
{
	if (ts & (MS_WAKEUP_CHECK_EVERY - 1))
		return BPF_RB_NO_WAKEUP;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes
		   ? BPF_RB_FORCE_WAKEUP
		   : BPF_RB_NO_WAKEUP;
}

#endif /* MESHSIGHT_MAPS_EVENTS_H */

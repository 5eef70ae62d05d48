/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel reach: what meshsight's BPF programs need from the running kernel,
 * checked before anything is loaded or attached.
 *
 *   probe_kernel()   at start: fills probe_caps, or names the first missing
 *                    feature in one line (which kernel has it, what to do)
 *   probe_check()    --check: the whole table, nothing attached; 0 when every
 *                    required feature is there
 *   probe_helper_*() helper names, their kernels, and the helpers lockdown
 *                    (or our no-kernel-memory-reads rule) forbids; shared with
 *                    tests/bpf/helper_audit.c
 *
 * The map and helper rows are not a hand-kept list: they are read from the
 * embedded object's maps and its programs' instructions, so a map type or
 * helper added to bpf/ is probed (and must be given a kernel version here)
 * without anyone remembering to. Each probe loads a tiny program or creates a
 * tiny map and frees it: about 20 ms for all of them at start on a 2-vCPU VM;
 * --check adds a full load of the programs, about 60 ms in all.
 *
 * Tests set MESHSIGHT_PROBE_PRETEND_MISSING=TEXT to make every row whose name
 * contains TEXT read "missing" (tests/e2e/test_kernel_reach.sh).
 */
#ifndef MESHSIGHT_PROBE_H
#define MESHSIGHT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agent/self_ids.h"

/* The oldest kernel meshsight supports (with BTF); bpf/README.md says why. */
#define PROBE_OLDEST_KERNEL "5.10"

struct probe_caps {
	/* sockops may call the current-task helpers: the loader's cfg_sockops_task. */
	bool sockops_task;
	/* The agent's own pid and cgroup (agent/self_ids.h), read by their row's probe. */
	struct self_ids self;
	int self_err; /* 0: self is filled; else why not (-errno) */
};

/*
 * Runs every probe. Returns 0 and fills caps, or -EOPNOTSUPP with one line in
 * err naming the first required feature the kernel lacks. A probe that cannot
 * tell (e.g. -EPERM) is logged and left to the load itself to decide.
 */
int probe_kernel(struct probe_caps *caps, char *err, size_t errlen);

/*
 * --check: prints every feature with the kernel that introduced it and its
 * status here, loads (never attaches) the programs, and reports the lockdown
 * level and any lockdown-restricted helper. Returns 0 when all required
 * features are present, 1 otherwise.
 */
int probe_check(FILE *out);

/* "map_lookup_elem" for BPF_FUNC_map_lookup_elem; NULL for an unknown id. */
const char *probe_helper_name(int id);
/* The kernel that introduced the helper ("5.8"), or NULL if the table lacks it. */
const char *probe_helper_since(int id);
/* The kernel that introduced the map type, or NULL if the table lacks it. */
const char *probe_map_since(int type);
/*
 * Why the helper must never appear in meshsight's programs (lockdown refuses
 * it, or it hands out a kernel pointer to read through), or NULL if allowed.
 */
const char *probe_helper_forbidden(int id);

#endif /* MESHSIGHT_PROBE_H */

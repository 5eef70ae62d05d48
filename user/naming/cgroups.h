/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cgroup v2 id -> path and process name.
 *
 * The kernel reports a socket's cgroup by its 64-bit id, which on cgroup v2 is
 * the inode number of the cgroup's directory. This cache walks the cgroup2
 * mount once, maps inode -> path, and rescans (at most once per second) when
 * an id is not known yet, so new pods are found without a scan per event.
 */
#ifndef MESHSIGHT_CGROUPS_H
#define MESHSIGHT_CGROUPS_H

#include <stddef.h>
#include <stdint.h>

#define CGROUP_COMM_LEN 16

struct cgroup_cache;

/* root: the cgroup2 mount point, e.g. /sys/fs/cgroup/unified. 0 or -errno. */
int cgroup_cache_open(const char *root, struct cgroup_cache **out);
/*
 * Path relative to root ("/" for the root cgroup), or NULL when unknown. The
 * string belongs to the cache and stays valid until the next call on c (a
 * miss may rescan and replace every entry): copy it to keep it.
 */
/* Thread-safe; the string is the calling thread's, valid until its next call. */
const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t cgroup_id);
/*
 * Name of a process in that cgroup (first pid of cgroup.procs, /proc/PID/comm)
 * into comm; 0, or -ENOENT when the cgroup is unknown or empty.
 */
int cgroup_cache_comm(struct cgroup_cache *c, uint64_t cgroup_id, char comm[CGROUP_COMM_LEN]);
/* Forget everything and rescan on next lookup (tests, SIGHUP). */
void cgroup_cache_invalidate(struct cgroup_cache *c);
/* Cgroups left out of the last scan because the cache was full (65536). */
uint64_t cgroup_cache_dropped(const struct cgroup_cache *c);
void cgroup_cache_free(struct cgroup_cache *c);

/*
 * Finds the first cgroup2 mount in /proc/self/mountinfo; 0, -ENOENT when there
 * is none, -ENAMETOOLONG when buf is too small, or -errno from opening it.
 */
int cgroup2_find_mount(char *buf, size_t buflen);
/* The same, reading a mountinfo-format file at path (for tests). */
int cgroup2_find_mount_in(const char *mountinfo, char *buf, size_t buflen);

#endif /* MESHSIGHT_CGROUPS_H */

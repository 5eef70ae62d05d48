/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Static identities: names for addresses and cgroups when there is no
 * Kubernetes API to ask (--identities FILE).
 *
 * File format, one rule per line, '#' starts a comment:
 *
 *   <selector> key=value [key=value ...]
 *
 * selector: an IPv4 or IPv6 address, a CIDR (10.1.0.0/16, fd00::/8), or
 * cgroup:<path> where path is relative to the cgroup v2 mount
 * (cgroup:/kubepods/pod1234). keys: workload, namespace, service,
 * service_account (Istio principals). Values are 1..63 bytes of
 * [A-Za-z0-9._-]. An exact address beats any CIDR, a longer
 * prefix beats a shorter one, and a cgroup rule matches that cgroup and every
 * cgroup below it (the deepest rule wins).
 *
 * Limits: a file of at most IDENTITY_FILE_MAX bytes, lines of at most
 * IDENTITY_LINE_MAX bytes; past either the load fails with -EFBIG and says so.
 */
#ifndef MESHSIGHT_IDENTITY_H
#define MESHSIGHT_IDENTITY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define IDENTITY_NAME_MAX 64
#define IDENTITY_FILE_MAX (16u << 20) /* bytes: about 400k rules */
#define IDENTITY_LINE_MAX 1024	      /* bytes, without the newline */

struct identity {
	char workload[IDENTITY_NAME_MAX]; /* "" when not given */
	char namespace_[IDENTITY_NAME_MAX];
	char service[IDENTITY_NAME_MAX];
	char service_account[IDENTITY_NAME_MAX]; /* Istio principal's sa/ part */
};

struct identity_table;

/*
 * Loads path. On error returns -errno (-EINVAL for a bad line) and writes a
 * message naming the file, line and problem into err.
 */
int identity_load(const char *path, struct identity_table **out, char *err, size_t errlen);
/*
 * identity_load that stops with -ECANCELED once *cancel is set (read at every
 * line): pass the flag the SIGINT/SIGTERM handler sets. identity_load itself
 * catches SIGINT/SIGTERM while it reads and raises them again when done.
 */
int identity_load_cancel(const char *path, struct identity_table **out, char *err, size_t errlen,
			 const volatile sig_atomic_t *cancel);
/* addr is 16 bytes, IPv4 as ::ffff:a.b.c.d. NULL when no rule matches. */
const struct identity *identity_by_addr(const struct identity_table *t, const uint8_t addr[16]);
/* cgroup_path relative to the cgroup v2 mount, starting with '/'. */
const struct identity *identity_by_cgroup(const struct identity_table *t, const char *cgroup_path);
size_t identity_count(const struct identity_table *t);
void identity_free(struct identity_table *t);

#endif /* MESHSIGHT_IDENTITY_H */

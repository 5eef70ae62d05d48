// SPDX-License-Identifier: BSD-2-Clause
/*
 * Cgroup v2 id -> path cache, and the cgroup2 mount lookup.
 *
 * Events carry bpf_get_current_cgroup_id(), which on cgroup v2 is the inode
 * number of the cgroup directory, so one walk of the mount gives the whole
 * mapping. Ids of new cgroups (a pod started after us) are found by
 * rescanning on a miss, but at most once per second: a burst of events from
 * a cgroup that is already gone must not turn into a burst of tree walks.
 *
 * A rescan builds a fresh table and swaps it in, so removed cgroups are
 * forgotten; the old table is kept if the walk fails outright. Entries are
 * capped at CGROUP_CACHE_MAX; directories beyond it are counted, not cached.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "naming/cgroups.h"
#include "lib/clock.h"

#define CGROUP_CACHE_MAX       65536
#define CGROUP_WALK_MAX_DEPTH  64
#define CGROUP_RESCAN_INTERVAL 1000000000ULL /* ns */

struct cgroup_entry {
	uint64_t id; /* 0: free slot; no directory has inode 0 */
	char *path;
	char comm[CGROUP_COMM_LEN]; /* "" when the cgroup had no process */
	uint64_t comm_ns;	    /* when comm was read, 0 = never */
};

/*
 * A cgroup's process name is asked for per edge and per span; reading it
 * costs three file operations, so it is kept this long.
 */
#define COMM_TTL_NS (10 * 1000000000ULL)

/* Open addressing, linear probing, power-of-two size kept at most half full. */
struct cgroup_table {
	struct cgroup_entry *slots;
	size_t cap;
	size_t n;
	uint64_t dropped;
};

struct cgroup_cache {
	pthread_mutex_t lock; /* lookups come from the event loop and the renderers */
	char *root;
	struct cgroup_table tab;
	uint64_t last_scan_ns;
	bool scanned; /* false: next miss rescans whatever the time */
};

static size_t slot_of(const struct cgroup_table *t, uint64_t id)
{
	/* Fibonacci hashing: inode numbers are often sequential. */
	return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 32) & (t->cap - 1);
}

static struct cgroup_entry *table_find(const struct cgroup_table *t, uint64_t id)
{
	size_t i;

	if (!t->cap || !id)
		return NULL;
	for (i = slot_of(t, id); t->slots[i].id; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].id == id)
			return &t->slots[i];
	}
	return NULL;
}

static void table_free(struct cgroup_table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slots[i].path);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static void table_put(struct cgroup_table *t, uint64_t id, char *path)
{
	size_t i = slot_of(t, id);

	while (t->slots[i].id)
		i = (i + 1) & (t->cap - 1);
	t->slots[i].id = id;
	t->slots[i].path = path;
	t->n++;
}

static int table_grow(struct cgroup_table *t)
{
	struct cgroup_table big = {.cap = t->cap ? t->cap * 2 : 256};
	size_t i;

	big.slots = calloc(big.cap, sizeof(*big.slots));
	if (!big.slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].id)
			table_put(&big, t->slots[i].id, t->slots[i].path);
	}
	big.dropped = t->dropped;
	free(t->slots);
	*t = big;
	return 0;
}

/* Copies path; a full table or a repeated id is not an error for the walk. */
static int table_add(struct cgroup_table *t, uint64_t id, const char *path)
{
	char *copy;
	int err;

	if (!id || table_find(t, id))
		return 0;
	if (t->n >= CGROUP_CACHE_MAX) {
		t->dropped++;
		return 0;
	}
	if (2 * (t->n + 1) > t->cap) {
		err = table_grow(t);
		if (err)
			return err;
	}
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	table_put(t, id, copy);
	return 0;
}

/*
 * Adds every directory below the open directory fd (consumed), whose path
 * relative to the root is path[0..len). Subdirectories that vanish or cannot
 * be read mid-walk are skipped: cgroups come and go while we look.
 */
static int walk_dir(struct cgroup_table *t, int fd, dev_t dev, char *path, size_t len, int depth)
{
	struct dirent *de;
	struct stat st;
	size_t nlen;
	int sub, err = 0;
	DIR *d;

	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		/* No symlink following, and no wandering onto other mounts. */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		nlen = strlen(de->d_name);
		if (len + 1 + nlen >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nlen + 1);
		err = table_add(t, st.st_ino, path);
		if (err || depth + 1 >= CGROUP_WALK_MAX_DEPTH)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			err = walk_dir(t, sub, dev, path, len + 1 + nlen, depth + 1);
	}
	path[len] = '\0';
	closedir(d);
	return err;
}

static int scan(const char *root, struct cgroup_table *out)
{
	struct cgroup_table t = {0};
	char *path;
	struct stat st;
	int fd, err;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	path = malloc(PATH_MAX);
	if (!path) {
		close(fd);
		return -ENOMEM;
	}
	err = table_add(&t, st.st_ino, "/");
	path[0] = '\0';
	if (!err)
		err = walk_dir(&t, fd, st.st_dev, path, 0, 0);
	else
		close(fd);
	free(path);
	if (err) {
		table_free(&t);
		return err;
	}
	*out = t;
	return 0;
}

/* Swaps in a fresh scan; on failure the old mapping is better than none. */
static int rescan(struct cgroup_cache *c)
{
	struct cgroup_table t;
	int err;

	c->last_scan_ns = clock_mono_ns();
	c->scanned = true;
	err = scan(c->root, &t);
	if (err)
		return err;
	table_free(&c->tab);
	c->tab = t;
	return 0;
}

int cgroup_cache_open(const char *root, struct cgroup_cache **out)
{
	struct cgroup_cache *c;
	int err;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->root = strdup(root);
	if (!c->root) {
		err = -ENOMEM;
		goto out_free;
	}
	err = rescan(c);
	if (err)
		goto out_free;
	*out = c;
	return 0;
out_free:
	cgroup_cache_free(c);
	return err;
}

/* Caller holds c->lock; the string lives until the next rescan. */
static const char *path_locked(struct cgroup_cache *c, uint64_t cgroup_id)
{
	struct cgroup_entry *e = table_find(&c->tab, cgroup_id);

	if (e)
		return e->path;
	if (c->scanned && clock_mono_ns() - c->last_scan_ns < CGROUP_RESCAN_INTERVAL)
		return NULL;
	if (rescan(c))
		return NULL;
	e = table_find(&c->tab, cgroup_id);
	return e ? e->path : NULL;
}

/*
 * The path is copied, under the lock, into a buffer of the calling thread:
 * another thread's lookup may rescan and free the table's strings meanwhile.
 */
const char *cgroup_cache_path(struct cgroup_cache *c, uint64_t cgroup_id)
{
	static __thread char buf[PATH_MAX];
	const char *p;

	pthread_mutex_lock(&c->lock);
	p = path_locked(c, cgroup_id);
	if (p)
		snprintf(buf, sizeof(buf), "%s", p);
	pthread_mutex_unlock(&c->lock);
	return p ? buf : NULL;
}

/* First pid listed in the cgroup, or -ENOENT. */
static int first_pid(const char *root, const char *path, long *pid)
{
	char file[PATH_MAX + 32], line[32], *end;
	FILE *f;
	int n;

	n = snprintf(file, sizeof(file), "%s%s/cgroup.procs", root, strcmp(path, "/") ? path : "");
	if (n < 0 || (size_t)n >= sizeof(file))
		return -ENOENT;
	f = fopen(file, "re");
	if (!f)
		return -ENOENT;
	end = fgets(line, sizeof(line), f);
	fclose(f);
	if (!end)
		return -ENOENT;
	*pid = strtol(line, &end, 10);
	if (end == line || *pid <= 0)
		return -ENOENT;
	return 0;
}

static int read_comm(struct cgroup_cache *c, const char *path, char comm[CGROUP_COMM_LEN])
{
	char file[64], buf[CGROUP_COMM_LEN + 1];
	size_t n;
	long pid;
	FILE *f;

	if (first_pid(c->root, path, &pid))
		return -ENOENT;
	snprintf(file, sizeof(file), "/proc/%ld/comm", pid);
	/* The process may have exited since cgroup.procs was read. */
	f = fopen(file, "re");
	if (!f)
		return -ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strcspn(buf, "\n");
	if (!n)
		return -ENOENT;
	if (n >= CGROUP_COMM_LEN)
		n = CGROUP_COMM_LEN - 1;
	memcpy(comm, buf, n);
	comm[n] = '\0';
	return 0;
}

static int comm_locked(struct cgroup_cache *c, uint64_t cgroup_id, char comm[CGROUP_COMM_LEN])
{
	const char *path = path_locked(c, cgroup_id);
	struct cgroup_entry *e;
	uint64_t now = clock_mono_ns();

	if (!path)
		return -ENOENT;
	e = table_find(&c->tab, cgroup_id);
	if (!e)
		return read_comm(c, path, comm);
	if (!e->comm_ns || now - e->comm_ns > COMM_TTL_NS) {
		if (read_comm(c, path, e->comm))
			e->comm[0] = '\0';
		e->comm_ns = now;
	}
	if (!e->comm[0])
		return -ENOENT;
	memcpy(comm, e->comm, CGROUP_COMM_LEN);
	return 0;
}

int cgroup_cache_comm(struct cgroup_cache *c, uint64_t cgroup_id, char comm[CGROUP_COMM_LEN])
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = comm_locked(c, cgroup_id, comm);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void cgroup_cache_invalidate(struct cgroup_cache *c)
{
	pthread_mutex_lock(&c->lock);
	table_free(&c->tab);
	c->scanned = false;
	pthread_mutex_unlock(&c->lock);
}

uint64_t cgroup_cache_dropped(const struct cgroup_cache *c)
{
	return c->tab.dropped;
}

void cgroup_cache_free(struct cgroup_cache *c)
{
	if (!c)
		return;
	table_free(&c->tab);
	free(c->root);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Undoes mountinfo's octal escapes (\040 for space, \011, \012, \134) in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/*
 * Returns the mount point (field 5) of a mountinfo line whose filesystem type
 * (the first field after the " - " separator) is cgroup2, or NULL.
 */
static char *cgroup2_mount_point(char *line)
{
	char *sep = strstr(line, " - "), *save, *field;
	int i;

	if (!sep || strncmp(sep + 3, "cgroup2 ", strlen("cgroup2 ")))
		return NULL;
	*sep = '\0';
	field = strtok_r(line, " ", &save);
	for (i = 1; field && i < 5; i++)
		field = strtok_r(NULL, " ", &save);
	return field;
}

int cgroup2_find_mount_in(const char *mountinfo, char *buf, size_t buflen)
{
	char *line = NULL, *mnt;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		mnt = cgroup2_mount_point(line);
		if (!mnt)
			continue;
		unescape_octal(mnt);
		err = strlen(mnt) < buflen ? 0 : -ENAMETOOLONG;
		if (!err)
			strcpy(buf, mnt);
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int cgroup2_find_mount(char *buf, size_t buflen)
{
	return cgroup2_find_mount_in("/proc/self/mountinfo", buf, buflen);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/naming/cgroups.c. A temp directory tree stands in for the
 * cgroup2 mount: the cache only relies on directory inodes and cgroup.procs
 * files, which any filesystem provides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "naming/cgroups.h"

#define NEST_LEVELS 66

struct fixture {
	char root[64];
	char outside[64]; /* a directory a symlink points at, never to be walked */
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path under the fixture root, in a static buffer. */
static const char *under(const struct fixture *fx, const char *rel)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s%s", fx->root, rel);
	return buf;
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

static void make_dir(const struct fixture *fx, const char *rel)
{
	assert_int_equal(mkdir(under(fx, rel), 0755), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/test_cgroups.XXXXXX");
	strcpy(fx->outside, "/tmp/test_cgroups_out.XXXXXX");
	if (!mkdtemp(fx->root) || !mkdtemp(fx->outside))
		return -1;
	make_dir(fx, "/a");
	make_dir(fx, "/a/b");
	make_dir(fx, "/a/b/c");
	make_dir(fx, "/d");
	write_file(under(fx, "/not-a-cgroup"), "");
	if (symlink(fx->outside, under(fx, "/link")))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	rm_tree(fx->root);
	rm_tree(fx->outside);
	free(fx);
	return 0;
}

static void assert_path(struct cgroup_cache *c, const char *file, const char *want)
{
	const char *got = cgroup_cache_path(c, ino_of(file));

	if (!got || strcmp(got, want))
		fail_msg("%s: got %s, want %s", file, got ? got : "NULL", want);
}

static void test_mapping(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_cache *c;

	assert_int_equal(cgroup_cache_open(fx->root, &c), 0);
	assert_path(c, fx->root, "/");
	assert_path(c, under(fx, "/a"), "/a");
	assert_path(c, under(fx, "/a/b"), "/a/b");
	assert_path(c, under(fx, "/a/b/c"), "/a/b/c");
	assert_path(c, under(fx, "/d"), "/d");
	/* Files are not cgroups, and symlinks are not followed. */
	assert_null(cgroup_cache_path(c, ino_of(under(fx, "/not-a-cgroup"))));
	assert_null(cgroup_cache_path(c, ino_of(fx->outside)));
	assert_null(cgroup_cache_path(c, 0));
	assert_null(cgroup_cache_path(c, UINT64_MAX - 7));
	assert_int_equal(cgroup_cache_dropped(c), 0);
	cgroup_cache_free(c);
}

static void test_open_missing_root(void **state)
{
	struct cgroup_cache *c = (struct cgroup_cache *)1;

	(void)state;
	assert_int_equal(cgroup_cache_open("/nonexistent/cgroup", &c), -ENOENT);
	assert_null(c);
}

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_rescan(void **state)
{
	struct fixture *fx = *state;
	struct cgroup_cache *c;
	struct timespec t0;
	uint64_t e_id, d_id = ino_of(under(fx, "/d"));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cgroup_cache_open(fx->root, &c), 0);
	make_dir(fx, "/e");
	e_id = ino_of(under(fx, "/e"));
	/* Rate limited: a miss right after a scan does not walk again. */
	if (elapsed_s(&t0) < 0.9)
		assert_null(cgroup_cache_path(c, e_id));

	/* The test hook skips the wait; removed cgroups are forgotten. */
	assert_int_equal(rmdir(under(fx, "/d")), 0);
	cgroup_cache_invalidate(c);
	assert_string_equal(cgroup_cache_path(c, e_id), "/e");
	assert_null(cgroup_cache_path(c, d_id));

	/* Without the hook, the miss rescans once the interval has passed. */
	make_dir(fx, "/f");
	usleep(1100 * 1000);
	assert_path(c, under(fx, "/f"), "/f");
	cgroup_cache_free(c);
}

static void test_depth_bound(void **state)
{
	struct fixture *fx = *state;
	uint64_t ids[NEST_LEVELS + 1];
	char rel[NEST_LEVELS * 2 + 1] = "";
	struct cgroup_cache *c;
	int i;

	for (i = 1; i <= NEST_LEVELS; i++) {
		strcat(rel, "/n");
		make_dir(fx, rel);
		ids[i] = ino_of(under(fx, rel));
	}
	assert_int_equal(cgroup_cache_open(fx->root, &c), 0);
	for (i = 1; i <= 64; i++)
		assert_non_null(cgroup_cache_path(c, ids[i]));
	cgroup_cache_invalidate(c);
	for (i = 65; i <= NEST_LEVELS; i++)
		assert_null(cgroup_cache_path(c, ids[i]));
	cgroup_cache_free(c);
}

static void own_comm(char comm[CGROUP_COMM_LEN])
{
	FILE *f = fopen("/proc/self/comm", "r");

	assert_non_null(f);
	assert_non_null(fgets(comm, CGROUP_COMM_LEN, f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
}

static void test_comm(void **state)
{
	struct fixture *fx = *state;
	char want[CGROUP_COMM_LEN], got[CGROUP_COMM_LEN], pids[64];
	struct cgroup_cache *c;

	own_comm(want);
	snprintf(pids, sizeof(pids), "%d\n1\n", (int)getpid());
	write_file(under(fx, "/a/b/cgroup.procs"), pids);
	write_file(under(fx, "/cgroup.procs"), pids);
	write_file(under(fx, "/a/cgroup.procs"), "");
	assert_int_equal(cgroup_cache_open(fx->root, &c), 0);

	memset(got, 0, sizeof(got));
	assert_int_equal(cgroup_cache_comm(c, ino_of(under(fx, "/a/b")), got), 0);
	assert_string_equal(got, want);
	memset(got, 0, sizeof(got));
	assert_int_equal(cgroup_cache_comm(c, ino_of(fx->root), got), 0);
	assert_string_equal(got, want);

	assert_int_equal(cgroup_cache_comm(c, ino_of(under(fx, "/a")), got), -ENOENT);
	assert_int_equal(cgroup_cache_comm(c, ino_of(under(fx, "/d")), got), -ENOENT);
	assert_int_equal(cgroup_cache_comm(c, UINT64_MAX - 7, got), -ENOENT);
	cgroup_cache_free(c);
}

static bool has_cgroup2(void)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) >= 0)
		found = strstr(line, " - cgroup2 ") != NULL;
	free(line);
	fclose(f);
	return found;
}

static void test_find_mount_live(void **state)
{
	char buf[PATH_MAX];
	struct stat st;

	(void)state;
	if (!has_cgroup2())
		skip();
	assert_int_equal(cgroup2_find_mount(buf, sizeof(buf)), 0);
	assert_int_equal(stat(buf, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void test_find_mount_parse(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/mountinfo", fx->outside);
	write_file(path,
		   "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		   "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
		   "40 30 0:37 / /sys/fs/cgroup/my\\040dir\\134x rw,relatime shared:5 master:1 - "
		   "cgroup2 cgroup2 rw,nsdelegate\n"
		   "41 30 0:38 / /second rw - cgroup2 cgroup2 rw\n");
	assert_int_equal(cgroup2_find_mount_in(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/my dir\\x");
	assert_int_equal(cgroup2_find_mount_in(path, buf, 8), -ENAMETOOLONG);

	write_file(path, "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
	assert_int_equal(cgroup2_find_mount_in(path, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup2_find_mount_in("/nonexistent/mountinfo", buf, sizeof(buf)),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mapping, setup, teardown),
	    cmocka_unit_test(test_open_missing_root),
	    cmocka_unit_test_setup_teardown(test_rescan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_depth_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_comm, setup, teardown),
	    cmocka_unit_test(test_find_mount_live),
	    cmocka_unit_test_setup_teardown(test_find_mount_parse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

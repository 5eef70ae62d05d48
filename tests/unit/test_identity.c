// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/naming/identity.c: precedence of lookups, and that every kind
 * of bad line is refused with a message naming file and line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "naming/identity.h"
#include "test_util.h"

#define EXPECTED_TAIL "; expected '<selector> key=value ...'"

static char tmp_path[64];

/* Writes text to a fresh temp file, whose name is left in tmp_path. */
static void write_tmp_path(const char *text)
{
	strcpy(tmp_path, "/tmp/test_identity.XXXXXX");
	assert_int_equal(write_tmp(tmp_path, text), 0);
}

static int load_text(const char *text, struct identity_table **t, char *err, size_t errlen)
{
	int ret;

	write_tmp_path(text);
	ret = identity_load(tmp_path, t, err, errlen);
	unlink(tmp_path);
	return ret;
}

/* Workload of the rule matching s, or NULL. */
static const char *workload_of(const struct identity_table *t, const char *s)
{
	const struct identity *id;
	uint8_t addr[16];

	to_addr(s, addr);
	id = identity_by_addr(t, addr);
	return id ? id->workload : NULL;
}

static const char *cgroup_workload(const struct identity_table *t, const char *path)
{
	const struct identity *id = identity_by_cgroup(t, path);

	return id ? id->workload : NULL;
}

static const char rules[] = "# static identities for the test\n"
			    "\n"
			    "10.0.0.0/8      workload=ten namespace=net\n"
			    "10.1.0.0/16     workload=ten-one\n"
			    "10.1.2.3        workload=exact   # the exact one\n"
			    "10.1.2.0/24     workload=slash24\n"
			    "10.1.2.3/32     workload=cidr32\n"
			    "0.0.0.0/0       workload=default4\n"
			    "\t fd00::/8     workload=ula  \r\n"
			    "fd00:1::/32     service=ula1\n"
			    "2001:db8::1     workload=v6exact namespace=ns service=svc.v1_x "
			    "service_account=v6-sa\n"
			    "cgroup:/kubepods workload=pods\n"
			    "cgroup:/kubepods/pod1/ workload=pod1\n";

static void test_addr_lookups(void **state)
{
	struct identity_table *t;
	const struct identity *id;
	uint8_t addr[16];
	char err[512];

	(void)state;
	assert_int_equal(load_text(rules, &t, err, sizeof(err)), 0);
	assert_int_equal(identity_count(t), 11);

	assert_string_equal(workload_of(t, "10.1.2.3"), "exact");
	assert_string_equal(workload_of(t, "::ffff:10.1.2.3"), "exact");
	assert_string_equal(workload_of(t, "10.1.2.4"), "slash24");
	assert_string_equal(workload_of(t, "10.1.9.9"), "ten-one");
	assert_string_equal(workload_of(t, "10.9.9.9"), "ten");
	assert_string_equal(workload_of(t, "11.0.0.1"), "default4");
	/* 0.0.0.0/0 is ::ffff:0:0/96: it must not swallow IPv6. */
	assert_null(workload_of(t, "::1"));
	assert_string_equal(workload_of(t, "fd01::9"), "ula");
	assert_string_equal(workload_of(t, "fd00:1::5"), "");
	assert_null(workload_of(t, "2001:db8::2"));

	to_addr("fd00:1:2::3", addr);
	id = identity_by_addr(t, addr);
	assert_non_null(id);
	assert_string_equal(id->service, "ula1");

	to_addr("2001:db8::1", addr);
	id = identity_by_addr(t, addr);
	assert_non_null(id);
	assert_string_equal(id->workload, "v6exact");
	assert_string_equal(id->namespace_, "ns");
	assert_string_equal(id->service, "svc.v1_x");
	assert_string_equal(id->service_account, "v6-sa");

	to_addr("10.200.0.1", addr);
	id = identity_by_addr(t, addr);
	assert_string_equal(id->namespace_, "net");
	assert_string_equal(id->service, "");
	identity_free(t);
}

static void test_cgroup_lookups(void **state)
{
	struct identity_table *t;
	char err[512];

	(void)state;
	assert_int_equal(load_text(rules, &t, err, sizeof(err)), 0);
	assert_string_equal(cgroup_workload(t, "/kubepods"), "pods");
	assert_string_equal(cgroup_workload(t, "/kubepods/"), "pods");
	assert_string_equal(cgroup_workload(t, "/kubepods/pod1"), "pod1");
	assert_string_equal(cgroup_workload(t, "/kubepods/pod1/ctr/x"), "pod1");
	assert_string_equal(cgroup_workload(t, "/kubepods/pod12"), "pods");
	assert_null(cgroup_workload(t, "/kubepodsX"));
	assert_null(cgroup_workload(t, "/"));
	assert_null(cgroup_workload(t, "/other"));
	identity_free(t);
}

static void test_cgroup_root_rule(void **state)
{
	struct identity_table *t;
	char err[512];

	(void)state;
	assert_int_equal(
	    load_text("cgroup:/ workload=root\ncgroup:/a/b workload=ab\n", &t, err, sizeof(err)),
	    0);
	assert_string_equal(cgroup_workload(t, "/"), "root");
	assert_string_equal(cgroup_workload(t, "/a"), "root");
	assert_string_equal(cgroup_workload(t, "/a/bc"), "root");
	assert_string_equal(cgroup_workload(t, "/a/b/c"), "ab");
	identity_free(t);
}

static void test_empty_and_limits(void **state)
{
	char line[128], err[512];
	struct identity_table *t;
	uint8_t addr[16];

	(void)state;
	assert_int_equal(load_text("# nothing\n\n   \n", &t, err, sizeof(err)), 0);
	assert_int_equal(identity_count(t), 0);
	to_addr("10.0.0.1", addr);
	assert_null(identity_by_addr(t, addr));
	assert_null(identity_by_cgroup(t, "/x"));
	identity_free(t);

	/* 63 bytes is the longest value; no trailing newline at end of file. */
	snprintf(line, sizeof(line), "10.0.0.1 workload=%063d", 7);
	assert_int_equal(load_text(line, &t, err, sizeof(err)), 0);
	assert_int_equal(strlen(workload_of(t, "10.0.0.1")), 63);
	identity_free(t);
}

struct bad_case {
	const char *text;
	unsigned int line;
	const char *what;
};

static const struct bad_case bad_cases[] = {
    {"10.0.0.1 foo=bar\n", 1, "unknown key 'foo'"},
    {"# c\n\n10.0.0.1 workload=bad!\n", 3, "bad value 'bad!' for workload"},
    {"10.0.0.1 workload=\n", 1, "bad value '' for workload"},
    {"10.0.0.1 service=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1,
     "bad value 'aaaa"},
    {"10.0.0.300 workload=x\n", 1, "bad address '10.0.0.300'"},
    {"host.example workload=x\n", 1, "bad address 'host.example'"},
    {"fd00::zz workload=x\n", 1, "bad address 'fd00::zz'"},
    {"10.0.0.0/33 workload=x\n", 1, "bad prefix length '/33'"},
    {"fd00::/129 workload=x\n", 1, "bad prefix length '/129'"},
    {"10.0.0.0/ workload=x\n", 1, "bad prefix length '/'"},
    {"10.0.0.0/-1 workload=x\n", 1, "bad prefix length '/-1'"},
    {"10.0.0.0/8x workload=x\n", 1, "bad prefix length '/8x'"},
    {"10.1.2.3/16 workload=x\n", 1, "host bits set in '10.1.2.3/16' (did you mean 10.1.0.0/16?)"},
    {"10.0.0.1\n", 1, "no key=value after '10.0.0.1'"},
    {"cgroup:/a   # only a comment\n", 1, "no key=value after 'cgroup:/a'"},
    {"workload=x\n", 1, "missing selector before 'workload=x'"},
    {"10.0.0.1 workload\n", 1, "'workload' is not key=value"},
    {"10.0.0.1 workload=a workload=b\n", 1, "key 'workload' given twice"},
    {"10.0.0.1 workload=a\n10.0.0.1 workload=b\n", 2,
     "duplicate selector '10.0.0.1' (first on line 1)"},
    {"10.0.0.1 workload=a\n::ffff:10.0.0.1 workload=b\n", 2,
     "duplicate selector '::ffff:10.0.0.1' (first on line 1)"},
    {"10.0.0.0/8 workload=a\n\n10.0.0.0/8 namespace=b\n", 3, "duplicate selector '10.0.0.0/8'"},
    {"cgroup:/a workload=a\ncgroup:/a/ workload=b\n", 2, "duplicate selector 'cgroup:/a/'"},
    {"cgroup:a workload=x\n", 1, "must start with '/'"},
    {"cgroup: workload=x\n", 1, "must start with '/'"},
    {"cgroup:/a//b workload=x\n", 1, "empty, '.' or '..' component"},
    {"cgroup:/a/.. workload=x\n", 1, "empty, '.' or '..' component"},
};

static void test_bad_lines(void **state)
{
	struct identity_table *t;
	char err[512], prefix[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		t = (struct identity_table *)1;
		write_tmp_path(c->text);
		assert_int_equal(identity_load(tmp_path, &t, err, sizeof(err)), -EINVAL);
		unlink(tmp_path);
		assert_null(t);
		snprintf(prefix, sizeof(prefix), "identities %s:%u: ", tmp_path, c->line);
		if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, c->what) ||
		    !strstr(err, EXPECTED_TAIL))
			fail_msg("case %zu: got \"%s\", want prefix \"%s\" and \"%s\"", i, err,
				 prefix, c->what);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Expects the load of path to fail with ret and a message holding what. */
static void expect_refused(const char *path, int ret, const char *what)
{
	struct identity_table *t = (struct identity_table *)1;
	char err[512];
	double t0 = now_s();

	assert_int_equal(identity_load(path, &t, err, sizeof(err)), ret);
	assert_null(t);
	if (!strstr(err, what) || !strstr(err, path))
		fail_msg("%s: got \"%s\", want \"%s\"", path, err, what);
	/* Refused at the limit, not after reading everything there is. */
	assert_true(now_s() - t0 < 2.0);
}

static void test_size_limits(void **state)
{
	char *text = malloc(IDENTITY_LINE_MAX + 64);
	int fd;

	(void)state;
	assert_non_null(text);
	/* A regular file over the limit is refused by its size, before reading. */
	strcpy(tmp_path, "/tmp/test_identity.XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IDENTITY_FILE_MAX + 1), 0);
	close(fd);
	expect_refused(tmp_path, -EFBIG, "more than the 16777216 allowed");
	unlink(tmp_path);

	/* Endless inputs stop at a limit: no newline, NUL bytes. */
	expect_refused("/dev/zero", -EINVAL, "line 1 holds a NUL byte");

	/* One line longer than the limit, named by its number. */
	memset(text, 'x', IDENTITY_LINE_MAX + 1);
	text[0] = '#';
	text[IDENTITY_LINE_MAX + 1] = '\0';
	write_tmp_path("10.0.0.1 workload=a\n");
	unlink(tmp_path);
	{
		char *two = malloc(IDENTITY_LINE_MAX + 128);

		assert_non_null(two);
		snprintf(two, IDENTITY_LINE_MAX + 128, "10.0.0.1 workload=a\n%s\n", text);
		write_tmp_path(two);
		free(two);
	}
	expect_refused(tmp_path, -EFBIG, "line 2 is longer than 1024 bytes");
	unlink(tmp_path);

	/* Exactly the limit is fine. */
	text[IDENTITY_LINE_MAX] = '\0';
	{
		struct identity_table *t;
		char err[512];

		write_tmp_path(text);
		assert_int_equal(identity_load(tmp_path, &t, err, sizeof(err)), 0);
		unlink(tmp_path);
		identity_free(t);
	}
	free(text);
}

/* A pipe fed unique rules forever, as a FIFO or a generator would be. */
struct feeder {
	int fd;
	volatile sig_atomic_t *cancel; /* set after delay_ms, when not NULL */
	unsigned int delay_ms;
	volatile int done;
};

static void *feed_forever(void *arg)
{
	struct feeder *fd = arg;
	char line[64];
	unsigned int i;

	for (i = 0; !fd->done; i++) {
		int n = snprintf(line, sizeof(line), "10.%u.%u.%u workload=w%u\n", (i >> 16) & 255,
				 (i >> 8) & 255, i & 255, i);

		if (write(fd->fd, line, (size_t)n) != n)
			break;
	}
	return NULL;
}

static void *cancel_later(void *arg)
{
	struct feeder *fd = arg;

	usleep(fd->delay_ms * 1000);
	*fd->cancel = 1;
	return NULL;
}

static void test_cancel(void **state)
{
	static volatile sig_atomic_t cancel;
	struct feeder fd = {.cancel = &cancel, .delay_ms = 100};
	struct identity_table *t = (struct identity_table *)1;
	pthread_t writer, canceller;
	char path[64], err[512];
	int fds[2];
	double t0;

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* the feeder ends on EPIPE */
	/* Already set: nothing is loaded. */
	cancel = 1;
	write_tmp_path("10.0.0.1 workload=a\n");
	assert_int_equal(identity_load_cancel(tmp_path, &t, err, sizeof(err), &cancel), -ECANCELED);
	unlink(tmp_path);
	assert_null(t);
	assert_non_null(strstr(err, "stopped by a signal"));

	/* Set while reading an endless stream of rules: stops within a line. */
	cancel = 0;
	assert_int_equal(pipe(fds), 0);
	fd.fd = fds[1];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(pthread_create(&writer, NULL, feed_forever, &fd), 0);
	assert_int_equal(pthread_create(&canceller, NULL, cancel_later, &fd), 0);
	t0 = now_s();
	assert_int_equal(identity_load_cancel(path, &t, err, sizeof(err), &cancel), -ECANCELED);
	assert_true(now_s() - t0 < 1.0);
	assert_null(t);
	fd.done = 1;
	close(fds[0]);
	pthread_join(writer, NULL);
	pthread_join(canceller, NULL);
	close(fds[1]);
}

/* identity_load with nobody's flag: SIGTERM stops it and still reaches the caller's handler. */
static volatile sig_atomic_t caller_saw;

static void caller_handler(int sig)
{
	caller_saw = sig;
}

static void *sigterm_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	kill(getpid(), SIGTERM);
	return NULL;
}

static void test_sigterm_while_loading(void **state)
{
	struct sigaction sa = {.sa_handler = caller_handler}, old;
	struct identity_table *t = (struct identity_table *)1;
	struct feeder fd = {0};
	pthread_t writer, killer;
	char path[64], err[512];
	int fds[2];
	double t0;

	(void)state;
	signal(SIGPIPE, SIG_IGN); /* the feeder ends on EPIPE */
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
	caller_saw = 0;
	assert_int_equal(pipe(fds), 0);
	fd.fd = fds[1];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(pthread_create(&writer, NULL, feed_forever, &fd), 0);
	assert_int_equal(pthread_create(&killer, NULL, sigterm_later, NULL), 0);
	t0 = now_s();
	assert_int_equal(identity_load(path, &t, err, sizeof(err)), -ECANCELED);
	assert_true(now_s() - t0 < 1.0);
	assert_null(t);
	assert_int_equal(caller_saw, SIGTERM);
	fd.done = 1;
	close(fds[0]);
	pthread_join(writer, NULL);
	pthread_join(killer, NULL);
	close(fds[1]);
	sigaction(SIGTERM, &old, NULL);
}

/* Reference: the rules of the old linear scan, to check the index against. */
struct ref_rule {
	uint8_t net[16];
	unsigned int plen;
	bool exact;
	unsigned int id;
};

static bool ref_match(const uint8_t *a, const struct ref_rule *r)
{
	unsigned int i;

	for (i = 0; i < r->plen; i++)
		if ((a[i / 8] ^ r->net[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int ref_lookup(const struct ref_rule *rules, size_t n, const uint8_t *a)
{
	int best = -1, best_rank = -1, rank;
	size_t i;

	for (i = 0; i < n; i++) {
		rank = rules[i].exact ? 129 : (int)rules[i].plen;
		if (ref_match(a, &rules[i]) && rank > best_rank) {
			best_rank = rank;
			best = (int)rules[i].id;
		}
	}
	return best;
}

/* Random IPv4 rules of many prefix lengths: the index answers as the linear scan did. */
static void test_index_matches_scan(void **state)
{
	enum { NRULES = 3000, NLOOKUPS = 20000 };
	struct ref_rule *rules = calloc(NRULES, sizeof(*rules));
	char *text = malloc(NRULES * 64), *p = text, err[512];
	struct identity_table *t;
	unsigned int seed = 12345, i, n = 0;
	uint8_t a[16];

	(void)state;
	assert_non_null(rules);
	assert_non_null(text);
	for (i = 0; i < NRULES; i++) {
		unsigned int plen = i % 3 ? 8 + rand_r(&seed) % 25 : 32;
		uint32_t v = (uint32_t)rand_r(&seed) & 0x0a0f0f0f; /* 10.x.x.x, small ranges */
		bool exact = !(i % 3);
		struct ref_rule *r = &rules[n];
		size_t j;
		char ip[INET_ADDRSTRLEN];

		v |= 0x0a000000;
		if (plen < 32)
			v &= ~((1u << (32 - plen)) - 1);
		memset(r->net, 0, 16);
		r->net[10] = r->net[11] = 0xff;
		r->net[12] = v >> 24, r->net[13] = v >> 16, r->net[14] = v >> 8, r->net[15] = v;
		r->plen = 96 + plen;
		r->exact = exact;
		r->id = n;
		for (j = 0; j < n; j++)
			if (rules[j].plen == r->plen && rules[j].exact == exact &&
			    !memcmp(rules[j].net, r->net, 16))
				break;
		if (j < n)
			continue; /* duplicate */
		inet_ntop(AF_INET, &r->net[12], ip, sizeof(ip));
		if (exact)
			p += sprintf(p, "%s workload=r%u\n", ip, n);
		else
			p += sprintf(p, "%s/%u workload=r%u\n", ip, plen, n);
		n++;
	}
	write_tmp_path(text);
	assert_int_equal(identity_load(tmp_path, &t, err, sizeof(err)), 0);
	unlink(tmp_path);
	assert_int_equal(identity_count(t), n);
	for (i = 0; i < NLOOKUPS; i++) {
		uint32_t v = 0x0a000000 | ((uint32_t)rand_r(&seed) & 0x000f0f0f);
		const struct identity *id;
		int want;
		char name[16];

		if (i % 2) /* half of them exactly a rule's address */
			memcpy(a, rules[(unsigned int)rand_r(&seed) % n].net, 16);
		else {
			memset(a, 0, 16);
			a[10] = a[11] = 0xff;
			a[12] = v >> 24, a[13] = v >> 16, a[14] = v >> 8, a[15] = v;
		}
		want = ref_lookup(rules, n, a);
		id = identity_by_addr(t, a);
		if (want < 0) {
			assert_null(id);
			continue;
		}
		assert_non_null(id);
		snprintf(name, sizeof(name), "r%d", want);
		assert_string_equal(id->workload, name);
	}
	identity_free(t);
	free(text);
	free(rules);
}

/* 160k lines load in well under the 19.6 s the quadratic duplicate check took. */
static void test_load_160k(void **state)
{
	enum { N = 160000 };
	char *text = malloc((size_t)N * 48), *p = text, err[512];
	struct identity_table *t;
	double t0, dt;
	uint8_t a[16];
	unsigned int i;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < N; i++) {
		if (i % 4 == 3)
			p += sprintf(p, "cgroup:/pods/p%u workload=c%u\n", i, i);
		else
			p += sprintf(p, "10.%u.%u.%u workload=w%u\n", i >> 16, (i >> 8) & 255,
				     i & 255, i);
	}
	write_tmp_path(text);
	free(text);
	t0 = now_s();
	assert_int_equal(identity_load(tmp_path, &t, err, sizeof(err)), 0);
	dt = now_s() - t0;
	unlink(tmp_path);
	print_message("loaded %u rules in %.3f s\n", N, dt);
	assert_int_equal(identity_count(t), N);
	assert_true(dt < 5.0);
	to_addr("10.2.73.242", a); /* 150002 = 2 * 65536 + 73 * 256 + 242 */
	assert_string_equal(identity_by_addr(t, a)->workload, "w150002");
	assert_string_equal(identity_by_cgroup(t, "/pods/p159999/c1")->workload, "c159999");
	assert_null(identity_by_cgroup(t, "/pods/p159998"));
	identity_free(t);
}

static void test_open_failure(void **state)
{
	struct identity_table *t = NULL;
	char err[512];

	(void)state;
	assert_int_equal(identity_load("/nonexistent/ids.conf", &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(err, "/nonexistent/ids.conf"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	/* A NULL error buffer is allowed. */
	assert_int_equal(identity_load("/nonexistent/ids.conf", &t, NULL, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_lookups),
	    cmocka_unit_test(test_cgroup_lookups),
	    cmocka_unit_test(test_cgroup_root_rule),
	    cmocka_unit_test(test_empty_and_limits),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_open_failure),
	    cmocka_unit_test(test_size_limits),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_sigterm_while_loading),
	    cmocka_unit_test(test_index_matches_scan),
	    cmocka_unit_test(test_load_160k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

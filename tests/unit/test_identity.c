// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/identity.c: precedence of lookups, and that every kind
 * of bad line is refused with a message naming file and line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "identity.h"
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
			    "2001:db8::1     workload=v6exact namespace=ns service=svc.v1_x\n"
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
	    cmocka_unit_test(test_addr_lookups),     cmocka_unit_test(test_cgroup_lookups),
	    cmocka_unit_test(test_cgroup_root_rule), cmocka_unit_test(test_empty_and_limits),
	    cmocka_unit_test(test_bad_lines),	     cmocka_unit_test(test_open_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/lib/env.c: what counts as set, and which spellings of a
 * number every flag and variable accepts, since a user who writes "+5" or
 * "5ms" must get an error, never a silently different value.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/env.h"

static const char *table_env(const char *name)
{
	if (!strcmp(name, "SET"))
		return "value";
	if (!strcmp(name, "EMPTY"))
		return "";
	return NULL;
}

static void test_empty_is_unset(void **state)
{
	(void)state;
	assert_string_equal(env_value(table_env, "SET"), "value");
	assert_null(env_value(table_env, "EMPTY"));
	assert_null(env_value(table_env, "MISSING"));
	assert_int_equal(setenv("MESHSIGHT_TEST_ENV", "", 1), 0);
	assert_null(env_value(NULL, "MESHSIGHT_TEST_ENV"));
	assert_int_equal(setenv("MESHSIGHT_TEST_ENV", "x", 1), 0);
	assert_string_equal(env_value(NULL, "MESHSIGHT_TEST_ENV"), "x");
	unsetenv("MESHSIGHT_TEST_ENV");
}

static void test_number_range(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(parse_u32_range("1", 1, 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_u32_range("10", 1, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_u32_range("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(parse_u32_range("0", 1, 10, &v), -EINVAL);
	assert_int_equal(parse_u32_range("11", 1, 10, &v), -EINVAL);
	assert_int_equal(v, UINT32_MAX); /* a rejected value leaves the old one */
}

static void test_number_spellings_rejected(void **state)
{
	static const char *const bad[] = {
	    "", " 5", "+5", "-5", "5 ", "5ms", "0x10", "4294967296", "99999999999999999999999",
	};
	uint32_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_u32_range(bad[i], 0, UINT32_MAX, &v) != -EINVAL)
			fail_msg("\"%s\" was accepted as a number", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_is_unset),
	    cmocka_unit_test(test_number_range),
	    cmocka_unit_test(test_number_spellings_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

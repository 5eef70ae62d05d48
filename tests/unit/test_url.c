// SPDX-License-Identifier: BSD-2-Clause
/* URLs as shown in logs and stats: userinfo never survives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/url.h"

static void test_redact(void **state)
{
	static const char *const cases[][2] = {
	    {"http://u:pw@host:4318/v1", "http://REDACTED@host:4318/v1"},
	    {"https://user@10.0.0.1:6443", "https://REDACTED@10.0.0.1:6443"},
	    {"https://a:p@ss@host/x@y", "https://REDACTED@host/x@y"}, /* '@' in the password */
	    {"http://host:4318/v1/metrics?x=a@b", "http://host:4318/v1/metrics?x=a@b"},
	    {"https://[::1]:6443", "https://[::1]:6443"},
	    {"not a url", "not a url"},
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		url_redact(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
		assert_null(strstr(out, "pw"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redact),
	};

	return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}

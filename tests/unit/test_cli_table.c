// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/cli/cli_table.c: sorting, column cuts, missing values and
 * the --follow cursor of the events table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/cli_table.h"

static const char *graph_json =
    "{\"window_seconds\":60,\"edges\":["
    "{\"source\":\"a\",\"destination\":\"b\",\"protocol\":\"http\",\"requests\":10,"
    "\"request_rate\":1.5,\"error_rate\":0.5,\"p95_ms\":2.0},"
    "{\"source\":\"c\",\"destination\":\"a-very-long-destination-name-that-is-cut-somewhere\","
    "\"protocol\":\"tcp\",\"requests\":0,\"request_rate\":9.0,\"error_rate\":0.0,\"p95_ms\":null},"
    "{\"source\":\"d\",\"destination\":\"b\",\"protocol\":\"http\",\"requests\":3,"
    "\"request_rate\":0.1,\"error_rate\":0.0,\"p95_ms\":900.0}]}";

static char *render_edges(enum cli_sort sort)
{
	json_t *g = json_loads(graph_json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(g);
	assert_int_equal(cli_edges_table(g, sort, f), 0);
	fclose(f);
	json_decref(g);
	return buf;
}

/* The first word of line n (0 = header). */
static void word_of_line(const char *text, int n, char *out, size_t len)
{
	while (n-- > 0)
		text = strchr(text, '\n') + 1;
	snprintf(out, len, "%.*s", (int)strcspn(text, " \n"), text);
}

static void test_edges_sorted(void **state)
{
	char w[64], *t;

	(void)state;
	t = render_edges(CLI_SORT_RATE);
	word_of_line(t, 1, w, sizeof(w));
	assert_string_equal(w, "c");
	assert_non_null(strstr(t, "a-very-long-destination-name-that-is-cu~"));
	assert_non_null(strstr(t, "        -\n")); /* no p95 */
	free(t);
	t = render_edges(CLI_SORT_ERRORS);
	word_of_line(t, 1, w, sizeof(w));
	assert_string_equal(w, "a");
	assert_non_null(strstr(t, "50.0%"));
	free(t);
	t = render_edges(CLI_SORT_P95);
	word_of_line(t, 1, w, sizeof(w));
	assert_string_equal(w, "d");
	free(t);
}

static void test_bad_input(void **state)
{
	json_t *j = json_object();
	enum cli_sort s;
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(cli_edges_table(j, CLI_SORT_RATE, f), -EINVAL);
	assert_int_equal(cli_events_table(j, 0, 1, f, NULL), -EINVAL);
	assert_int_equal(cli_sort_parse("latency", &s), -EINVAL);
	assert_int_equal(cli_sort_parse("p95", &s), 0);
	assert_int_equal(s, CLI_SORT_P95);
	fclose(f);
	json_decref(j);
}

static void test_events_follow_cursor(void **state)
{
	const char *ev = "{\"events\":["
			 "{\"time\":\"T1\",\"time_unix_nano\":100,\"kind\":\"new_edge\","
			 "\"severity\":\"info\",\"source\":\"a\",\"destination\":\"b\",\"port\":80,"
			 "\"detail\":\"first\"},"
			 "{\"time\":\"T2\",\"time_unix_nano\":200,\"kind\":\"resolved\","
			 "\"resolves\":\"latency\",\"severity\":\"info\",\"source\":\"a\","
			 "\"destination\":\"b\",\"port\":80,\"detail\":\"cleared\"}]}";
	json_t *j = json_loads(ev, 0, NULL);
	uint64_t last = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(cli_events_table(j, 0, 1, f, &last), 0);
	assert_int_equal(last, 200);
	assert_int_equal(cli_events_table(j, last, 0, f, &last), 0); /* nothing new */
	fclose(f);
	assert_non_null(strstr(buf, "resolved (latency)"));
	assert_non_null(strstr(buf, "a -> b:80"));
	assert_int_equal(strchr(buf, '\n') - buf > 0, 1);
	{
		int lines = 0;
		char *p;

		for (p = buf; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 3); /* header + 2, the second call printed none */
	}
	free(buf);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edges_sorted),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_events_follow_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

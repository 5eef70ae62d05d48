// SPDX-License-Identifier: BSD-2-Clause
/* See log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum log_level current_level = LOG_LEVEL_INFO;
static const char *const level_names[] = {"warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static void log_prefix(enum log_level level)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ meshsight %s: ", when, ts.tv_nsec / 1000000, level_names[level]);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level)
		return;
	log_prefix(level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* One level down: libbpf's warnings are details of our own error messages. */
	enum log_level ours = level == LIBBPF_WARN ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	if (ours > current_level)
		return 0;
	log_prefix(ours);
	return vfprintf(stderr, fmt, ap);
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

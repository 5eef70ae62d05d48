// SPDX-License-Identifier: BSD-2-Clause
/*
 * See log.h. A line longer than LOG_LINE_MAX is cut (and says so); a
 * message without a trailing newline gets one, so the next line starts
 * clean. write(2) of up to PIPE_BUF bytes to a pipe is atomic, which is
 * what keeps lines whole when stderr is a pipe to a container runtime.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX 4096

static volatile enum log_level current_level = LOG_LEVEL_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char cut[] = "...(cut)\n";
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ldZ meshsight %s: ", ts.tv_nsec / 1000000,
		      level_names[level]);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		m = 0;
	if (n + (size_t)m >= sizeof(line)) {
		n = sizeof(line) - sizeof(cut);
		memcpy(line + n, cut, sizeof(cut) - 1);
		n += sizeof(cut) - 1;
	} else {
		n += (size_t)m;
		if (n && line[n - 1] != '\n')
			line[n++] = '\n';
	}
	if (write(STDERR_FILENO, line, n) < 0)
		return; /* nowhere left to say it */
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Leveled logging to stderr, one line per message:
 *
 *   pr_err(...)   fatal: the agent stops
 *   pr_warn(...)  something an operator should act on
 *   pr_info(...)  start, stop, state changes
 *   pr_debug(...) only with -v
 *
 * Each message is formatted whole (timestamp, level, text, newline) and
 * written with one write(2), so lines from the main loop, the HTTP server
 * and the exporter threads never interleave. The loader routes libbpf's
 * own messages through here one level down (agent/loader.c).
 */
#ifndef MESHSIGHT_LOG_H
#define MESHSIGHT_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_enabled(enum log_level level);
/* One line at level, whatever the current level (callers check log_enabled). */
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define pr_err(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* MESHSIGHT_LOG_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Leveled logging to stderr. libbpf's own messages are routed through here
 * one level down (its warnings become our debug unless -v), so a normal run
 * prints only what an operator must act on.
 */
#ifndef MESHSIGHT_LOG_H
#define MESHSIGHT_LOG_H

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Installs the libbpf print callback. */
void log_route_libbpf(void);

#define pr_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* MESHSIGHT_LOG_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Settings from the environment and the command line: the OpenTelemetry
 * SDK variables, the Kubernetes downward API and numeric flags all read
 * values the same way, so that "" and " 5" mean the same everywhere.
 */
#ifndef MESHSIGHT_ENV_H
#define MESHSIGHT_ENV_H

#include <stdint.h>

/* Looks a variable up; tests pass their own table instead of the process's. */
typedef const char *(*env_getter)(const char *name);

/*
 * The value of name, or NULL when it is unset or empty: the OpenTelemetry
 * SDK specification treats an empty variable as unset. get NULL reads the
 * process environment.
 */
const char *env_value(env_getter get, const char *name);

/*
 * Parses s as a decimal whole number in [min, max]: digits only, no sign,
 * no spaces, nothing after. Returns 0 or -EINVAL; callers word the error,
 * since only they know the unit and where the value came from.
 */
int parse_u32_range(const char *s, uint32_t min, uint32_t max, uint32_t *out);

#endif /* MESHSIGHT_ENV_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * URLs as they may be shown: every URL a user configures (an OTLP endpoint,
 * a kubeconfig's server) can carry "user:password@", which must reach no
 * log line, error message or stats output.
 *
 *   url_redact("http://u:pw@host:4318/x", buf, len) -> "http://REDACTED@host:4318/x"
 */
#ifndef MESHSIGHT_URL_H
#define MESHSIGHT_URL_H

#include <stddef.h>

/* The userinfo of url (with its '@') as offset and length; 0 length when none. */
size_t url_userinfo_span(const char *url, size_t *start);
/* url with its userinfo replaced by "REDACTED" (cut to outlen). */
void url_redact(const char *url, char *out, size_t outlen);

#endif /* MESHSIGHT_URL_H */

/* SPDX-License-Identifier: BSD-2-Clause */
/* libcurl's global initialisation, once per process for every HTTP client (Kubernetes, OTLP, CLI).
 */
#ifndef MESHSIGHT_CURL_H
#define MESHSIGHT_CURL_H

#include <curl/curl.h>

/* Thread safe; the first call's result is every call's result. */
CURLcode curl_init_once(void);

#endif /* MESHSIGHT_CURL_H */

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See curl.h. curl_global_init is not thread safe on every libcurl build,
 * and the Kubernetes watcher and the OTLP exporter start their own threads,
 * so it runs under pthread_once and is never undone.
 */
#include <pthread.h>

#include "lib/curl.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode result;

static void init(void)
{
	result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode curl_init_once(void)
{
	pthread_once(&once, init);
	return result;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the Kubernetes API client (the API is k8s/api.h): what kubeconfig.c
 * (where the server is, which credentials), http.c (one GET through curl)
 * and watch.c (a list-and-watch thread per kind) share.
 *
 * The client: where the API server is and
 * which credentials to show it, then one list-and-watch thread per kind
 * feeding a k8s_index, as client-go's reflector does.
 *
 * Each thread lists its kind in pages of LIST_PAGE objects inside
 * k8s_index_resync_begin/end (so whatever vanished while we were away is
 * dropped at the end), then watches from the list's resourceVersion. The
 * watch body is newline-delimited JSON cut into arbitrary chunks; the curl
 * write callback assembles lines (at most EVENT_MAX bytes each, memory stays
 * bounded) and applies each event as it completes. Every event and BOOKMARK
 * moves the resourceVersion on, so a watch that ends at its timeout resumes
 * where it stopped without a relist. 410 Gone, in a status or as an ERROR
 * event, means the history we need was compacted away: relist. Any other
 * failure waits a jittered exponential backoff, so that a fleet of agents
 * does not return in lockstep after an API server restart, and resumes from
 * the last resourceVersion unless an event was lost (then relists).
 *
 * Requests run on a curl multi handle per thread, so k8s_watcher_stop can
 * wake a thread blocked on an idle watch at once (curl_multi_wakeup) instead
 * of waiting for the next progress tick.
 *
 * Token values never reach a log line, an error string or a statistic.
 */
#ifndef MESHSIGHT_K8S_CLIENT_H
#define MESHSIGHT_K8S_CLIENT_H

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <yaml.h>

#include "lib/version.h"
#include "lib/env.h"
#include "k8s/api.h"
#include "lib/url.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/clock.h"
#include "lib/curl.h"

#define SA_DIR		  "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_MAX	  (64 * 1024)	       /* service account JWTs are ~1-2 KiB */
#define TOKEN_REREAD_S	  60		       /* projected tokens rotate; re-read this often */
#define PEM_MAX		  (1024 * 1024)	       /* a CA bundle or a client cert/key */
#define KUBECONFIG_MAX	  (4 * 1024 * 1024)    /* larger is not a kubeconfig */
#define EVENT_MAX	  (16u * 1024 * 1024)  /* one watch event; larger counts as an error */
#define LIST_BODY_MAX	  (256u * 1024 * 1024) /* one page of LIST_PAGE objects */
#define STATUS_BODY_MAX	  (64 * 1024)	       /* an error's Status body, kept for its message */
#define LIST_PAGE	  500
#define LIST_TIMEOUT_MS	  60000
#define CONNECT_TIMEOUT_S 10
#define LOG_INTERVAL_S	  30 /* at most one warning per kind and interval */
#define URL_MAX		  (K8S_SERVER_MAX + 4096)
#define RV_MAX		  64

/* One warning per interval; the ones in between are counted and mentioned. */
struct ratelimit {
	time_t last;
	unsigned int suppressed;
};

/*
 * Warnings are limited per call site (its format string), so a flapping API
 * server logs each kind of trouble once per interval, yet a new kind of
 * trouble (a 401 after connection errors) shows at once.
 */
#define RL_SITES 12

struct site_limits {
	const char *fmt[RL_SITES];
	struct ratelimit rl[RL_SITES];
};

struct kind_worker {
	struct k8s_watcher *w;
	enum k8s_kind kind;
	pthread_t thread;
	bool started;
	CURL *curl;
	CURLM *multi;
	char curl_err[CURL_ERROR_SIZE];
	/* the response being received */
	bool streaming;	 /* watch body: events applied line by line */
	char *buf;	 /* body, or the unfinished event line */
	size_t len, cap; /* cap: what may be held */
	size_t alloc;
	long status;
	int stream_err; /* why the write callback stopped the transfer */
	uint64_t stream_events;
	/* the thread's own state */
	char rv[RV_MAX];
	bool rv_stale;	 /* an event was lost: the next start must relist */
	bool consistent; /* the next list must be a quorum read, not from the cache */
	struct site_limits rl_warn;
	struct ratelimit rl_info;
	bool watch_up; /* the current watch was answered with 200 */
	bool stalled;  /* the last request was given up: sent, never answered */
	/* guarded by w->lock */
	struct k8s_kind_stats stats;
	bool ever_synced;
};

struct k8s_watcher {
	struct k8s_api_config cfg;
	struct k8s_watch_opts opts;
	char node_name[K8S_NAME_MAX];
	struct k8s_index *idx;
	atomic_bool stop;
	pthread_mutex_t lock; /* stats, ever_synced and the token below */
	pthread_cond_t cond;  /* first syncs, stop */
	/* the bearer token, when it comes from a file */
	char *token;
	struct stat token_st;
	time_t token_read_at;
	bool token_reread;
	struct kind_worker kinds[K8S_KIND__MAX];
};

extern const char *const kind_names[K8S_KIND__MAX];
extern const char *const kind_paths[K8S_KIND__MAX];
extern const char *const kind_groups[K8S_KIND__MAX];

void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int read_file(const char *path, size_t max, char **out, size_t *outlen);
void free_secret(char **p);
int base64_decode(const char *in, char **out, size_t *outlen);
int config_copy(struct k8s_api_config *dst, const struct k8s_api_config *src);
bool stopping(const struct k8s_watcher *w);
bool kind_enabled(const struct k8s_watcher *w, enum k8s_kind kind);
bool rl_allow(struct ratelimit *r, unsigned int *suppressed);
void kind_error(struct kind_worker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void set_rv(struct kind_worker *k, const char *rv);
void stat_add(struct kind_worker *k, uint64_t *field, uint64_t n);
int auth_header(struct k8s_watcher *w, char *out, size_t outlen);
int apply_event(struct kind_worker *k, const char *line, size_t n);
size_t on_write(char *data, size_t size, size_t nmemb, void *arg);
int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		curl_off_t ulnow);
int http_get(struct kind_worker *k, const char *url, bool stream, long timeout_ms);
int check_status(struct kind_worker *k, const char *verb);
bool stalled(struct kind_worker *k, time_t start);

#endif /* MESHSIGHT_K8S_CLIENT_H */

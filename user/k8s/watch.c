// SPDX-License-Identifier: BSD-2-Clause
/* One list-and-watch thread per kind feeding the k8s_index; start, stop and stats (k8s/api.h). */
#define _GNU_SOURCE
#include "k8s/client.h"

const char *const kind_names[K8S_KIND__MAX] = {"pods", "services", "endpointslices",
					       "virtualservices"};
const char *const kind_paths[K8S_KIND__MAX] = {
    "/api/v1/pods", "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices",
    "/apis/networking.istio.io/v1/virtualservices", /* or v1beta1: kind_path() */
};
const char *const kind_groups[K8S_KIND__MAX] = {"\"\" (core)", "\"\" (core)", "discovery.k8s.io",
						"networking.istio.io"};

/* The list and watch path of a kind; VirtualServices at the API version asked for. */
static const char *kind_path(const struct k8s_watcher *w, enum k8s_kind kind)
{
	if (kind == K8S_KIND_VIRTUALSERVICE && w->opts.virtual_services &&
	    !strcmp(w->opts.virtual_services, "v1beta1"))
		return "/apis/networking.istio.io/v1beta1/virtualservices";
	return kind_paths[kind];
}

/* VirtualServices are watched only when asked (--k8s-virtualservices). */
bool kind_enabled(const struct k8s_watcher *w, enum k8s_kind kind)
{
	return kind != K8S_KIND_VIRTUALSERVICE ||
	       (w->opts.virtual_services && strcmp(w->opts.virtual_services, "off"));
}

const char *k8s_kind_name(enum k8s_kind kind)
{
	return kind < K8S_KIND__MAX ? kind_names[kind] : "unknown";
}

bool stopping(const struct k8s_watcher *w)
{
	return atomic_load(&w->stop);
}

bool rl_allow(struct ratelimit *r, unsigned int *suppressed)
{
	time_t now = (time_t)(clock_mono_ms() / 1000);

	if (r->last && now - r->last < LOG_INTERVAL_S) {
		r->suppressed++;
		return false;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->last = now;
	return true;
}

static struct ratelimit *site_limit(struct site_limits *s, const char *fmt)
{
	int i;

	for (i = 0; i < RL_SITES && s->fmt[i]; i++)
		if (s->fmt[i] == fmt)
			return &s->rl[i];
	if (i == RL_SITES)
		return &s->rl[RL_SITES - 1]; /* more sites than this file has: share one */
	s->fmt[i] = fmt;
	return &s->rl[i];
}

/* Records the error in the kind's stats and logs it unless it was just logged. */
void kind_error(struct kind_worker *k, const char *fmt, ...)
{
	unsigned int suppressed;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&k->w->lock);
	k->stats.errors++;
	snprintf(k->stats.last_error, sizeof(k->stats.last_error), "%s", msg);
	pthread_mutex_unlock(&k->w->lock);
	if (!rl_allow(site_limit(&k->rl_warn, fmt), &suppressed))
		return;
	if (suppressed)
		pr_warn("kubernetes %s: %s (%u similar warnings suppressed)\n", kind_names[k->kind],
			msg, suppressed);
	else
		pr_warn("kubernetes %s: %s\n", kind_names[k->kind], msg);
}

void set_rv(struct kind_worker *k, const char *rv)
{
	if (!rv || !*rv || strlen(rv) >= sizeof(k->rv))
		return;
	memcpy(k->rv, rv, strlen(rv) + 1);
	pthread_mutex_lock(&k->w->lock);
	memcpy(k->stats.resource_version, k->rv, sizeof(k->rv));
	pthread_mutex_unlock(&k->w->lock);
}

void stat_add(struct kind_worker *k, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&k->w->lock);
	*field += n;
	pthread_mutex_unlock(&k->w->lock);
}

static bool token_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* Re-reads the token file when it changed, after a 401 or every TOKEN_REREAD_S. Under lock. */
static int token_refresh(struct k8s_watcher *w)
{
	struct stat st;
	char *t = NULL;
	size_t n;
	int ret;

	if (stat(w->cfg.token_file, &st))
		return w->token ? 0 : -errno; /* keep the last good token meanwhile */
	if (w->token && !w->token_reread && !token_changed(&st, &w->token_st) &&
	    (time_t)(clock_mono_ms() / 1000) - w->token_read_at < TOKEN_REREAD_S)
		return 0;
	ret = read_file(w->cfg.token_file, TOKEN_MAX, &t, &n);
	if (ret)
		return w->token ? 0 : ret;
	while (n && isspace((unsigned char)t[n - 1]))
		t[--n] = '\0';
	free_secret(&w->token);
	w->token = t;
	w->token_st = st;
	w->token_read_at = (time_t)(clock_mono_ms() / 1000);
	w->token_reread = false;
	return 0;
}

/* "Authorization: Bearer <token>" into out, "" when there is no token. */
int auth_header(struct k8s_watcher *w, char *out, size_t outlen)
{
	const char *t = w->cfg.token;
	int ret = 0;

	out[0] = '\0';
	pthread_mutex_lock(&w->lock);
	if (w->cfg.token_file[0]) {
		ret = token_refresh(w);
		t = w->token;
	}
	if (!ret && t && *t &&
	    (size_t)snprintf(out, outlen, "Authorization: Bearer %s", t) >= outlen)
		ret = -E2BIG;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

static int list_url(struct kind_worker *k, const char *cont, char *url, size_t len)
{
	struct k8s_watcher *w = k->w;
	char *node = NULL, *c = NULL;
	int n, ret = 0;

	if (w->opts.node_scoped && k->kind == K8S_KIND_POD)
		node = curl_easy_escape(k->curl, w->node_name, 0);
	if (cont && *cont)
		c = curl_easy_escape(k->curl, cont, 0);
	/*
	 * resourceVersion=0 lets the API server answer from its watch cache
	 * instead of a quorum read of etcd (what a DaemonSet restarting on
	 * thousands of nodes must not cause), as client-go's first list does.
	 * After 410 Gone the cache may be older than what we saw: read etcd.
	 * A continued page carries its version in the token.
	 */
	n = snprintf(url, len, "%s%s?limit=%d%s%s%s%s%s", w->cfg.server, kind_path(w, k->kind),
		     LIST_PAGE, c || k->consistent ? "" : "&resourceVersion=0",
		     node ? "&fieldSelector=spec.nodeName%3D" : "", node ? node : "",
		     c ? "&continue=" : "", c ? c : "");
	if (n < 0 || (size_t)n >= len)
		ret = -ENAMETOOLONG;
	curl_free(node);
	curl_free(c);
	return ret;
}

/* Applies one page's items; its resourceVersion and continue token into rv and cont. */
static int list_page(struct kind_worker *k, char *rv, char *cont, size_t contlen, size_t *count)
{
	json_t *doc = json_loadb(k->buf, k->len, 0, NULL);
	json_t *items = json_object_get(doc, "items"), *item;
	json_t *meta = json_object_get(doc, "metadata");
	const char *v;
	size_t i;
	int ret = 0;

	if (!json_is_array(items) || !json_is_object(meta)) {
		kind_error(k, "list: the answer is not a %s list; is %s a Kubernetes API server?",
			   kind_names[k->kind], k->w->cfg.server);
		ret = -EBADMSG;
		goto out_free;
	}
	json_array_foreach(items, i, item)
	{
		if (k8s_index_apply(k->w->idx, k->kind, K8S_EVENT_ADDED, item) == -ENOMEM) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	*count += json_array_size(items);
	v = json_string_value(json_object_get(meta, "resourceVersion"));
	snprintf(rv, RV_MAX, "%s", v ? v : "");
	v = json_string_value(json_object_get(meta, "continue"));
	snprintf(cont, contlen, "%s", v ? v : "");
out_free:
	json_decref(doc);
	return ret;
}

static void log_synced(struct kind_worker *k, size_t count, unsigned int pages, bool relist)
{
	unsigned int suppressed = 0;

	if (relist && !rl_allow(&k->rl_info, &suppressed))
		return;
	pr_info("kubernetes %s: %s %zu objects in %u page%s at resourceVersion %s%s\n",
		kind_names[k->kind], relist ? "relisted" : "synced", count, pages,
		pages == 1 ? "" : "s", k->rv, suppressed ? " (earlier relists not logged)" : "");
}

/* A full list into the index: pages inside one resync. 0 or -errno. */
static int list_all(struct kind_worker *k)
{
	char *url = malloc(URL_MAX), *cont = malloc(URL_MAX), rv[RV_MAX] = "";
	unsigned int pages = 0;
	size_t count = 0;
	int ret = -ENOMEM;

	if (!url || !cont)
		goto out_free;
	cont[0] = '\0';
	k8s_index_resync_begin(k->w->idx, k->kind);
	do {
		ret = list_url(k, cont, url, URL_MAX);
		if (!ret)
			ret = http_get(k, url, false, LIST_TIMEOUT_MS);
		if (!ret)
			ret = check_status(k, "list");
		if (!ret)
			ret = list_page(k, rv, cont, URL_MAX, &count);
		if (ret == -EMSGSIZE)
			kind_error(k, "list: a page larger than %u MiB; retrying",
				   LIST_BODY_MAX >> 20);
		if (ret)
			goto out_free; /* no resync_end: the next list begins a new one */
		pages++;
		stat_add(k, &k->stats.lists, 1);
	} while (cont[0] && !stopping(k->w));
	if (stopping(k->w)) {
		ret = -EINTR;
		goto out_free;
	}
	k8s_index_resync_end(k->w->idx, k->kind);
	set_rv(k, rv);
	k->rv_stale = false;
	k->consistent = false;
	stat_add(k, &k->stats.list_objects, count);
	log_synced(k, count, pages, k->ever_synced);
out_free:
	free(url);
	free(cont);
	return ret;
}

static int event_type(const char *t, enum k8s_event_type *out)
{
	if (!strcmp(t, "ADDED"))
		*out = K8S_EVENT_ADDED;
	else if (!strcmp(t, "MODIFIED"))
		*out = K8S_EVENT_MODIFIED;
	else if (!strcmp(t, "DELETED"))
		*out = K8S_EVENT_DELETED;
	else
		return -EINVAL;
	return 0;
}

/* An ERROR event: a Status; 410 means the rv was compacted away. */
static int error_event(struct kind_worker *k, const json_t *obj)
{
	json_int_t code = json_integer_value(json_object_get(obj, "code"));
	const char *m = json_string_value(json_object_get(obj, "message"));

	if (code == 410)
		return -ESTALE;
	kind_error(k, "watch: the API server sent an error (%lld): %s; watching again",
		   (long long)code, m ? m : "no message");
	return -EPROTO;
}

static int apply_decoded(struct kind_worker *k, const json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const json_t *obj = json_object_get(ev, "object");
	const char *rv =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	enum k8s_event_type et;

	if (!type || !json_is_object(obj))
		return -EBADMSG;
	if (!strcmp(type, "ERROR"))
		return error_event(k, obj);
	if (!strcmp(type, "BOOKMARK")) {
		stat_add(k, &k->stats.bookmarks, 1);
		set_rv(k, rv);
		return 0;
	}
	if (event_type(type, &et))
		return -EBADMSG;
	if (k8s_index_apply(k->w->idx, k->kind, et, obj) == -ENOMEM)
		return -ENOMEM;
	stat_add(k, &k->stats.events, 1);
	k->stream_events++;
	set_rv(k, rv);
	return 0;
}

int apply_event(struct kind_worker *k, const char *line, size_t n)
{
	json_error_t jerr;
	json_t *ev;
	int ret;

	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	if (!n)
		return 0;
	ev = json_loadb(line, n, 0, &jerr);
	if (!ev) {
		kind_error(k, "watch: undecodable event (%zu bytes): %s; relisting", n, jerr.text);
		k->rv_stale = true;
		return -EBADMSG;
	}
	ret = apply_decoded(k, ev);
	json_decref(ev);
	if (ret == -EBADMSG) {
		kind_error(k, "watch: event without type or object (%zu bytes); relisting", n);
		k->rv_stale = true;
	}
	return ret;
}

static int watch_once(struct kind_worker *k)
{
	struct k8s_watcher *w = k->w;
	char *url = malloc(URL_MAX), *node = NULL;
	int n, ret = -ENOMEM;

	if (!url)
		return -ENOMEM;
	if (w->opts.node_scoped && k->kind == K8S_KIND_POD)
		node = curl_easy_escape(k->curl, w->node_name, 0);
	n = snprintf(
	    url, URL_MAX,
	    "%s%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u%s%s",
	    w->cfg.server, kind_path(w, k->kind), k->rv, w->opts.timeout_s,
	    node ? "&fieldSelector=spec.nodeName%3D" : "", node ? node : "");
	curl_free(node);
	if (n < 0 || n >= URL_MAX)
		goto out_free;
	stat_add(k, &k->stats.watches, 1);
	k->watch_up = false;
	/* The server ends the watch after timeoutSeconds; ours is only a safety net. */
	ret = http_get(k, url, true, (w->opts.timeout_s + 60) * 1000L);
	if (ret == -EMSGSIZE) {
		kind_error(k, "watch: an event larger than %u MiB; relisting", EVENT_MAX >> 20);
		k->rv_stale = true;
	}
	if (!ret)
		ret = check_status(k, "watch");
out_free:
	free(url);
	return ret;
}

static void set_synced(struct kind_worker *k, bool synced)
{
	pthread_mutex_lock(&k->w->lock);
	k->stats.synced = synced;
	if (synced && !k->ever_synced) {
		k->ever_synced = true;
		pthread_cond_broadcast(&k->w->cond);
	}
	pthread_mutex_unlock(&k->w->lock);
}

/* Sleeps ms unless stopped first. */
static void nap(struct k8s_watcher *w, unsigned int ms)
{
	struct timespec ts;

	clock_deadline(&ts, ms);
	pthread_mutex_lock(&w->lock);
	while (!stopping(w) && pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

/* Exponential from backoff_min_ms, capped at backoff_max_ms, jittered in [d/2, d]. */
static unsigned int backoff_ms(const struct k8s_watcher *w, unsigned int failures,
			       unsigned int *seed)
{
	uint64_t d = w->opts.backoff_min_ms;
	unsigned int i;

	for (i = 1; i < failures && d < w->opts.backoff_max_ms; i++)
		d *= 2;
	if (d > w->opts.backoff_max_ms)
		d = w->opts.backoff_max_ms;
	return (unsigned int)(d / 2 + (uint64_t)rand_r(seed) % (d / 2 + 1));
}

/* One list (when needed) and one watch. 0 when the watch ended normally. */
static int sync_round(struct kind_worker *k, bool *relist)
{
	int ret;

	if (*relist || k->rv_stale || !k->rv[0]) {
		ret = list_all(k);
		if (ret)
			return ret;
		*relist = false;
		set_synced(k, true);
	}
	return watch_once(k);
}

static void *kind_main(void *arg)
{
	struct kind_worker *k = arg;
	struct k8s_watcher *w = k->w;
	unsigned int failures = 0, seed = (unsigned int)time(NULL) ^ (unsigned int)k->kind << 16;
	bool relist = true;
	time_t started;
	int ret;

	while (!stopping(w)) {
		started = (time_t)(clock_mono_ms() / 1000);
		ret = sync_round(k, &relist);
		if (stopping(w))
			break;
		if (ret == -ESTALE) {
			/* Compacted away: relist now, but not in a tight loop. */
			stat_add(k, &k->stats.gone, 1);
			relist = true;
			k->consistent = true;
			if (failures++)
				nap(w, backoff_ms(w, failures, &seed));
			continue;
		}
		if (!ret && (k->stream_events || (time_t)(clock_mono_ms() / 1000) - started >= 1)) {
			failures = 0; /* a normal end of a watch: watch again from k->rv */
			continue;
		}
		if (ret)
			set_synced(k, false);
		failures++;
		nap(w, backoff_ms(w, failures, &seed));
	}
	return NULL;
}

static CURLcode set_blob(CURL *c, CURLoption opt, const char *pem)
{
	struct curl_blob b = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};

	return curl_easy_setopt(c, opt, &b);
}

static int setup_tls(CURL *c, const struct k8s_api_config *cfg)
{
	CURLcode cc = CURLE_OK;

	if (cfg->ca_pem)
		cc |= set_blob(c, CURLOPT_CAINFO_BLOB, cfg->ca_pem);
	else if (cfg->ca_file[0])
		cc |= curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->client_cert_pem) {
		cc |= set_blob(c, CURLOPT_SSLCERT_BLOB, cfg->client_cert_pem);
		cc |= set_blob(c, CURLOPT_SSLKEY_BLOB, cfg->client_key_pem);
	} else if (cfg->client_cert_file[0]) {
		cc |= curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->client_cert_file);
		cc |= curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->client_key_file);
	}
	if (cfg->insecure_skip_tls_verify) {
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		cc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return cc == CURLE_OK ? 0 : -ENOTSUP;
}

static int kind_init(struct k8s_watcher *w, enum k8s_kind kind)
{
	struct kind_worker *k = &w->kinds[kind];
	CURLcode cc = CURLE_OK;

	k->w = w;
	k->kind = kind;
	k->curl = curl_easy_init();
	k->multi = curl_multi_init();
	if (!k->curl || !k->multi)
		return -ENOMEM;
	cc |= curl_easy_setopt(k->curl, CURLOPT_USERAGENT, "meshsight/" MESHSIGHT_VERSION);
	cc |= curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_write);
	cc |= curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	cc |= curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	cc |= curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, k);
	cc |= curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
	cc |= curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, k->curl_err);
	cc |= curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	cc |= curl_easy_setopt(k->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	cc |= curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cc != CURLE_OK)
		return -EINVAL;
	return setup_tls(k->curl, &w->cfg);
}

static void watcher_free(struct k8s_watcher *w)
{
	int i;

	for (i = 0; i < K8S_KIND__MAX; i++) {
		if (w->kinds[i].multi)
			curl_multi_cleanup(w->kinds[i].multi);
		if (w->kinds[i].curl)
			curl_easy_cleanup(w->kinds[i].curl);
		free(w->kinds[i].buf);
	}
	k8s_config_free(&w->cfg);
	free_secret(&w->token);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static int watcher_alloc(const struct k8s_api_config *cfg, const struct k8s_watch_opts *opts,
			 struct k8s_watcher **out)
{
	struct k8s_watcher *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&w->stop, false);
	w->opts = *opts;
	if (opts->node_scoped)
		snprintf(w->node_name, sizeof(w->node_name), "%s", opts->node_name);
	w->opts.node_name = w->node_name;
	if (!w->opts.timeout_s)
		w->opts.timeout_s = 300;
	if (!w->opts.backoff_min_ms)
		w->opts.backoff_min_ms = 500;
	if (!w->opts.stall_s)
		w->opts.stall_s = 10;
	if (w->opts.backoff_max_ms < w->opts.backoff_min_ms)
		w->opts.backoff_max_ms =
		    w->opts.backoff_min_ms > 30000 ? w->opts.backoff_min_ms : 30000;
	*out = w;
	return config_copy(&w->cfg, cfg);
}

int k8s_watcher_start(const struct k8s_api_config *cfg, const struct k8s_watch_opts *opts,
		      struct k8s_index *idx, struct k8s_watcher **out)
{
	struct k8s_watcher *w = NULL;
	int i, ret;

	if (!cfg || !opts || !idx || !out || !cfg->server[0])
		return -EINVAL;
	if (opts->node_scoped &&
	    (!opts->node_name || !opts->node_name[0] || strlen(opts->node_name) >= K8S_NAME_MAX))
		return -EINVAL;
	if (curl_init_once() != CURLE_OK)
		return -EIO;
	ret = watcher_alloc(cfg, opts, &w);
	if (ret)
		goto out_free;
	w->idx = idx;
	for (i = 0; i < K8S_KIND__MAX && !ret; i++)
		ret = kind_enabled(w, i) ? kind_init(w, i) : 0;
	if (ret)
		goto out_free;
	for (i = 0; i < K8S_KIND__MAX; i++) {
		if (!kind_enabled(w, i))
			continue;
		ret = -pthread_create(&w->kinds[i].thread, NULL, kind_main, &w->kinds[i]);
		if (ret) {
			k8s_watcher_stop(w);
			return ret;
		}
		w->kinds[i].started = true;
	}
	*out = w;
	return 0;
out_free:
	if (w)
		watcher_free(w);
	return ret;
}

bool k8s_watcher_wait_synced(struct k8s_watcher *w, unsigned int timeout_ms)
{
	struct timespec ts;
	bool all = false;
	int i;

	clock_deadline(&ts, timeout_ms);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		for (all = true, i = 0; i < K8S_KIND__MAX; i++)
			all = all && (w->kinds[i].ever_synced || !kind_enabled(w, i));
		if (all || stopping(w) ||
		    pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&w->lock);
	return all;
}

void k8s_watcher_get_stats(struct k8s_watcher *w, struct k8s_kind_stats out[K8S_KIND__MAX])
{
	int i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < K8S_KIND__MAX; i++)
		out[i] = w->kinds[i].stats;
	pthread_mutex_unlock(&w->lock);
}

void k8s_watcher_stop(struct k8s_watcher *w)
{
	int i;

	if (!w)
		return;
	atomic_store(&w->stop, true);
	pthread_mutex_lock(&w->lock);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < K8S_KIND__MAX; i++)
		if (w->kinds[i].multi)
			curl_multi_wakeup(w->kinds[i].multi);
	for (i = 0; i < K8S_KIND__MAX; i++)
		if (w->kinds[i].started)
			pthread_join(w->kinds[i].thread, NULL);
	watcher_free(w);
}

// SPDX-License-Identifier: BSD-2-Clause
/* One GET to the API server through curl: whole bodies for lists, line by line for watches. */
#define _GNU_SOURCE
#include "k8s/client.h"

static int buf_append(struct kind_worker *k, const char *data, size_t n)
{
	size_t want = k->len + n + 1;
	char *nb;

	if (want > k->cap + 1) /* cap bounds the content */
		return -EMSGSIZE;
	if (want > k->alloc) {
		want = want < 4096 ? 4096 : want * 2;
		if (want > k->cap + 1)
			want = k->cap + 1;
		nb = realloc(k->buf, want);
		if (!nb)
			return -ENOMEM;
		k->buf = nb;
		k->alloc = want;
	}
	memcpy(k->buf + k->len, data, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

/*
 * Splits a watch body into lines as it arrives. A line that is complete in
 * this chunk is applied in place; only a line cut by a chunk boundary is
 * copied, and only up to EVENT_MAX bytes.
 */
static int stream_data(struct kind_worker *k, const char *data, size_t n)
{
	const char *nl;
	size_t seg;
	int ret;

	while (n) {
		nl = memchr(data, '\n', n);
		seg = nl ? (size_t)(nl - data) : n;
		if (!nl || k->len) {
			ret = buf_append(k, data, seg);
			if (ret)
				return ret;
		}
		if (nl) {
			ret = k->len ? apply_event(k, k->buf, k->len) : apply_event(k, data, seg);
			k->len = 0;
			if (ret)
				return ret;
			seg++;
		}
		data += seg;
		n -= seg;
	}
	return 0;
}

size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct kind_worker *k = arg;
	size_t n = size * nmemb;
	int ret;

	stat_add(k, &k->stats.bytes, n);
	if (!k->status) {
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &k->status);
		if (k->status != 200) { /* keep only the start of a Status body */
			k->streaming = false;
			k->cap = STATUS_BODY_MAX;
		}
	}
	if (k->status != 200 && k->len + n > k->cap)
		n = k->cap - k->len; /* truncated, still parsed for its message */
	ret = k->streaming ? stream_data(k, data, n) : buf_append(k, data, n);
	if (ret) {
		k->stream_err = ret;
		return 0; /* aborts the transfer */
	}
	return size * nmemb;
}

int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		curl_off_t ulnow)
{
	struct kind_worker *k = arg;
	long status = 0;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (k->streaming && !k->watch_up &&
	    curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status == 200) {
		k->watch_up = true; /* synced: listed, and the watch is running */
		pthread_mutex_lock(&k->w->lock);
		k->stats.synced = true;
		pthread_mutex_unlock(&k->w->lock);
	}
	return stopping(k->w);
}

/*
 * The server took the whole request stall_s ago and has sent no status line:
 * a hung API server (or a proxy in front of it) that would otherwise hold a
 * list for its 60 s timeout and a watch for minutes, saying nothing.
 */
bool stalled(struct kind_worker *k, time_t start)
{
	long code = 0, sent = 0;

	if ((time_t)(clock_mono_ms() / 1000) - start < (time_t)k->w->opts.stall_s)
		return false;
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(k->curl, CURLINFO_REQUEST_SIZE, &sent);
	return !code && sent > 0;
}

/* Runs the transfer on the multi handle, so that k8s_watcher_stop can wake it. */
static CURLcode perform(struct kind_worker *k)
{
	CURLcode cc = CURLE_ABORTED_BY_CALLBACK;
	time_t start = (time_t)(clock_mono_ms() / 1000);
	int running = 1, left;
	CURLMcode mc;
	CURLMsg *m;

	k->stalled = false;
	if (curl_multi_add_handle(k->multi, k->curl))
		return CURLE_FAILED_INIT;
	while (running && !stopping(k->w)) {
		mc = curl_multi_perform(k->multi, &running);
		if (!mc && running)
			mc = curl_multi_poll(k->multi, NULL, 0, 1000, NULL);
		if (mc)
			break;
		if (running && stalled(k, start)) {
			k->stalled = true;
			break;
		}
	}
	while ((m = curl_multi_info_read(k->multi, &left)))
		if (m->msg == CURLMSG_DONE && !stopping(k->w))
			cc = m->data.result;
	curl_multi_remove_handle(k->multi, k->curl);
	return cc;
}

/* One GET; 0 with k->status and the body in k->buf (unless streaming), or -errno. */
int http_get(struct kind_worker *k, const char *url, bool stream, long timeout_ms)
{
	char *auth = malloc(TOKEN_MAX + 64);
	struct curl_slist *hdrs = NULL, *h;
	CURLcode cc;
	int ret;

	if (!auth)
		return -ENOMEM;
	ret = auth_header(k->w, auth, TOKEN_MAX + 64);
	if (ret) {
		kind_error(k, "cannot read the token file %s: %s; check the service account mount",
			   k->w->cfg.token_file, strerror(-ret));
		goto out_free;
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	h = auth[0] && hdrs ? curl_slist_append(hdrs, auth) : hdrs;
	if (!h) {
		ret = -ENOMEM;
		goto out_free;
	}
	k->len = 0;
	k->status = 0;
	k->stream_err = 0;
	k->stream_events = 0;
	k->streaming = stream;
	k->cap = stream ? EVENT_MAX : LIST_BODY_MAX;
	k->curl_err[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_URL, url);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* A list body that stops arriving fails too; a quiet watch is normal. */
	curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_LIMIT, stream ? 0L : 1L);
	curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_TIME, stream ? 0L : (long)k->w->opts.stall_s);
	cc = perform(k);
	/* A watch that ended with no event never reached on_write: its status is still due. */
	if (cc == CURLE_OK && !k->status)
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &k->status);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
	if (stopping(k->w))
		ret = -EINTR;
	else if (k->stream_err)
		ret = k->stream_err;
	else if (cc != CURLE_OK)
		ret = -EIO;
	if (k->stalled && !stopping(k->w))
		kind_error(k,
			   "the API server %s took the %s request but has not answered in %u s; "
			   "check its health (kubectl get --raw /readyz) and any load balancer "
			   "or proxy in front of it",
			   k->w->cfg.server, stream ? "watch" : "list", k->w->opts.stall_s);
	else if (cc != CURLE_OK && !k->stream_err && !stopping(k->w))
		kind_error(k, "%s the API server %s: %s; check that it is up and reachable",
			   k->status ? "lost the connection to" : "cannot reach", k->w->cfg.server,
			   k->curl_err[0] ? k->curl_err : curl_easy_strerror(cc));
out_free:
	for (h = hdrs; h; h = h->next) /* the copy curl_slist made of the token */
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	explicit_bzero(auth, TOKEN_MAX + 64);
	free(auth);
	return ret;
}

/* The message of a Status body, or "". */
static void status_message(struct kind_worker *k, char *out, size_t outlen)
{
	json_t *doc = k->len ? json_loadb(k->buf, k->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(doc, "message"));

	snprintf(out, outlen, "%s", m ? m : "");
	json_decref(doc);
}

/* Turns a non-200 answer into -errno and a message saying what to do. */
int check_status(struct kind_worker *k, const char *verb)
{
	struct k8s_watcher *w = k->w;
	char msg[160], shown[K8S_SERVER_MAX];

	if (k->status == 200)
		return 0;
	if (k->status == 410)
		return -ESTALE;
	status_message(k, msg, sizeof(msg));
	if (k->status == 401) {
		pthread_mutex_lock(&w->lock);
		w->token_reread = true;
		pthread_mutex_unlock(&w->lock);
		kind_error(k,
			   "%s: 401 Unauthorized from %s: the credentials from %s were rejected "
			   "(token expired or revoked?); re-reading the token and retrying",
			   verb, w->cfg.server, w->cfg.source);
		return -EACCES;
	}
	if (k->status == 403) {
		kind_error(k,
			   "%s: 403 Forbidden (%s); grant RBAC verbs list and watch on resource %s "
			   "in API group %s to this agent's service account (ClusterRole)",
			   verb, msg, kind_names[k->kind], kind_groups[k->kind]);
		return -EPERM;
	}
	url_redact(w->cfg.server, shown, sizeof(shown));
	kind_error(k, "%s: HTTP %ld from %s%s%s; retrying with backoff", verb, k->status, shown,
		   msg[0] ? ": " : "", msg);
	return k->status == 429 || k->status >= 500 ? -EAGAIN : -EPROTO;
}

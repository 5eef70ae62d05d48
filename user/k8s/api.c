// SPDX-License-Identifier: BSD-2-Clause
/*
 * The Kubernetes API client (see k8s_api.h): where the API server is and
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
#define _GNU_SOURCE
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

/* ---- small helpers -------------------------------------------------------- */

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads a whole file of at most max bytes, NUL-terminated. 0 or -errno. */
static int read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int ret = 0;

	if (!f)
		return -errno;
	buf = malloc(max + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		ret = -EIO;
	else if (n > max)
		ret = -EFBIG;
	if (ret) {
		free(buf);
		goto out_close;
	}
	buf[n] = '\0';
	*out = buf;
	if (outlen)
		*outlen = n;
out_close:
	fclose(f);
	return ret;
}

static void free_secret(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Standard base64 (whitespace ignored, '=' padding optional); NUL-terminated. */
static int base64_decode(const char *in, char **out, size_t *outlen)
{
	size_t n = strlen(in), o = 0, pad = 0;
	unsigned int acc = 0, bits = 0;
	char *buf = malloc(n / 4 * 3 + 4);
	int v;

	if (!buf)
		return -ENOMEM;
	for (; *in; in++) {
		if (isspace((unsigned char)*in))
			continue;
		if (*in == '=') {
			pad++;
			continue;
		}
		v = b64val((unsigned char)*in);
		if (v < 0 || pad)
			goto out_bad;
		acc = acc << 6 | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)(acc >> bits & 0xff);
		}
	}
	if (pad > 2 || bits >= 6 || !o)
		goto out_bad;
	buf[o] = '\0';
	*out = buf;
	if (outlen)
		*outlen = o;
	return 0;
out_bad:
	free(buf);
	return -EINVAL;
}

static const char *const kind_names[K8S_KIND__MAX] = {"pods", "services", "endpointslices"};
static const char *const kind_paths[K8S_KIND__MAX] = {
    "/api/v1/pods",
    "/api/v1/services",
    "/apis/discovery.k8s.io/v1/endpointslices",
};
static const char *const kind_groups[K8S_KIND__MAX] = {"\"\" (core)", "\"\" (core)",
						       "discovery.k8s.io"};

const char *k8s_kind_name(enum k8s_kind kind)
{
	return kind < K8S_KIND__MAX ? kind_names[kind] : "unknown";
}

/* ---- configuration -------------------------------------------------------- */

void k8s_config_free(struct k8s_api_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->ca_pem);
	free_secret(&cfg->token);
	free(cfg->client_cert_pem);
	free_secret(&cfg->client_key_pem);
	memset(cfg, 0, sizeof(*cfg));
}

int k8s_config_in_cluster(const char *dir, struct k8s_api_config *cfg, char *err, size_t errlen)
{
	const char *host = env_value(NULL, "KUBERNETES_SERVICE_HOST");
	const char *port = env_value(NULL, "KUBERNETES_SERVICE_PORT");
	bool v6;
	int n;

	memset(cfg, 0, sizeof(*cfg));
	if (!dir)
		dir = SA_DIR;
	if (!host || !port) {
		errf(err, errlen,
		     "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
		     "are not set; run as a pod with a service account or pass a kubeconfig");
		return -ENOENT;
	}
	v6 = strchr(host, ':') != NULL;
	n = snprintf(cfg->server, sizeof(cfg->server), "https://%s%s%s:%s", v6 ? "[" : "", host,
		     v6 ? "]" : "", port);
	if (n < 0 || (size_t)n >= sizeof(cfg->server)) {
		errf(err, errlen, "KUBERNETES_SERVICE_HOST is too long (%zu bytes)", strlen(host));
		return -EINVAL;
	}
	if (strlen(dir) + sizeof("/ca.crt") > sizeof(cfg->ca_file)) {
		errf(err, errlen, "service account directory %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	snprintf(cfg->token_file, sizeof(cfg->token_file), "%s/token", dir);
	snprintf(cfg->ca_file, sizeof(cfg->ca_file), "%s/ca.crt", dir);
	if (access(cfg->token_file, R_OK) || access(cfg->ca_file, R_OK)) {
		n = errno;
		errf(err, errlen,
		     "service account %s or %s: %s; mount the service account token "
		     "(automountServiceAccountToken: true) or pass a kubeconfig",
		     cfg->token_file, cfg->ca_file, strerror(n));
		return -n;
	}
	snprintf(cfg->source, sizeof(cfg->source), "in-cluster");
	return 0;
}

/* What reading one kubeconfig needs to report errors and resolve paths. */
struct kc {
	const char *path;
	char dir[PATH_MAX];
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static yaml_node_t *ymap_get(struct kc *kc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&kc->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(&kc->doc, p->value);
	}
	return NULL;
}

/* A scalar's text, NULL when absent, empty or null. */
static const char *ystr(struct kc *kc, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = ymap_get(kc, map, key);
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null"))
		return NULL;
	return s;
}

/* The `inner` mapping of the entry named name in the top-level list `list`. */
static yaml_node_t *ynamed(struct kc *kc, const char *list, const char *name, const char *inner)
{
	yaml_node_t *root = yaml_document_get_root_node(&kc->doc);
	yaml_node_t *seq = ymap_get(kc, root, list);
	yaml_node_item_t *it;
	yaml_node_t *e;
	const char *n;

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		e = yaml_document_get_node(&kc->doc, *it);
		n = ystr(kc, e, "name");
		if (n && !strcmp(n, name))
			return ymap_get(kc, e, inner);
	}
	return NULL;
}

/* A file path from the kubeconfig, relative to its directory, which must be readable. */
static int kc_path(struct kc *kc, const char *what, const char *val, char *out, size_t outlen)
{
	int n = val[0] == '/' ? snprintf(out, outlen, "%s", val)
			      : snprintf(out, outlen, "%s/%s", kc->dir, val);

	if (n < 0 || (size_t)n >= outlen) {
		errf(kc->err, kc->errlen, "kubeconfig %s: %s: path too long", kc->path, what);
		return -ENAMETOOLONG;
	}
	if (access(out, R_OK)) {
		n = errno;
		errf(kc->err, kc->errlen, "kubeconfig %s: %s %s: %s; fix the path", kc->path, what,
		     out, strerror(n));
		return -n;
	}
	return 0;
}

static int kc_b64(struct kc *kc, const char *what, const char *val, char **out)
{
	int ret = base64_decode(val, out, NULL);

	if (ret == -EINVAL)
		errf(kc->err, kc->errlen,
		     "kubeconfig %s: %s is not valid base64; it should hold a base64-encoded PEM "
		     "(base64 -w0 < file.pem)",
		     kc->path, what);
	return ret;
}

/* kubeconfig's two spellings of one PEM: KEY-data inline (base64), which
 * wins as in client-go, else KEY as a file path. Neither is not an error. */
static int kc_pem(struct kc *kc, yaml_node_t *node, const char *key, char **pem, char *file,
		  size_t filelen)
{
	char data_key[64];
	const char *v;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	v = ystr(kc, node, data_key);
	if (v)
		return kc_b64(kc, data_key, v, pem);
	v = ystr(kc, node, key);
	return v ? kc_path(kc, key, v, file, filelen) : 0;
}

static int kc_cluster(struct kc *kc, const char *name, struct k8s_api_config *cfg)
{
	yaml_node_t *c = ynamed(kc, "clusters", name, "cluster");
	const char *server, *v;

	if (!c) {
		errf(kc->err, kc->errlen, "kubeconfig %s: cluster \"%s\" not found under clusters",
		     kc->path, name);
		return -ENOENT;
	}
	server = ystr(kc, c, "server");
	if (!server || str_copy(cfg->server, sizeof(cfg->server), server)) {
		errf(kc->err, kc->errlen, "kubeconfig %s: cluster \"%s\" has %s server URL",
		     kc->path, name, server ? "too long a" : "no");
		return -EINVAL;
	}
	cfg->server[strcspn(cfg->server, "?#")] = '\0';
	while (strlen(cfg->server) > 8 && cfg->server[strlen(cfg->server) - 1] == '/')
		cfg->server[strlen(cfg->server) - 1] = '\0';
	v = ystr(kc, c, "insecure-skip-tls-verify");
	cfg->insecure_skip_tls_verify = v && !strcmp(v, "true");
	return kc_pem(kc, c, "certificate-authority", &cfg->ca_pem, cfg->ca_file,
		      sizeof(cfg->ca_file));
}

static int kc_unsupported(struct kc *kc, const char *name, yaml_node_t *u)
{
	static const char *const keys[] = {"exec", "auth-provider", "username"};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!ymap_get(kc, u, keys[i]))
			continue;
		errf(
		    kc->err, kc->errlen,
		    "kubeconfig %s: user \"%s\" authenticates with %s, which meshsight does not "
		    "support; give it a bearer token (token or tokenFile, e.g. from kubectl create "
		    "token) or a client certificate (client-certificate and client-key)",
		    kc->path, name, keys[i]);
		return -ENOTSUP;
	}
	return 0;
}

static int kc_user(struct kc *kc, const char *name, struct k8s_api_config *cfg)
{
	yaml_node_t *u = ynamed(kc, "users", name, "user");
	bool has_cert, has_key;
	const char *v;
	int ret;

	if (!u) {
		errf(kc->err, kc->errlen, "kubeconfig %s: user \"%s\" not found under users",
		     kc->path, name);
		return -ENOENT;
	}
	ret = kc_unsupported(kc, name, u);
	if (ret)
		return ret;
	/* As client-go: a tokenFile is re-read and wins over a fixed token. */
	v = ystr(kc, u, "tokenFile");
	if (v)
		ret = kc_path(kc, "tokenFile", v, cfg->token_file, sizeof(cfg->token_file));
	else if ((v = ystr(kc, u, "token")) && !(cfg->token = strdup(v)))
		ret = -ENOMEM;
	if (!ret)
		ret = kc_pem(kc, u, "client-certificate", &cfg->client_cert_pem,
			     cfg->client_cert_file, sizeof(cfg->client_cert_file));
	if (!ret)
		ret = kc_pem(kc, u, "client-key", &cfg->client_key_pem, cfg->client_key_file,
			     sizeof(cfg->client_key_file));
	if (ret)
		return ret;
	has_cert = cfg->client_cert_pem || cfg->client_cert_file[0];
	has_key = cfg->client_key_pem || cfg->client_key_file[0];
	if (has_cert != has_key) {
		errf(kc->err, kc->errlen,
		     "kubeconfig %s: user \"%s\" has a client %s but no client %s; give both",
		     kc->path, name, has_cert ? "certificate" : "key",
		     has_cert ? "key" : "certificate");
		return -EINVAL;
	}
	return 0;
}

static int kc_load(struct kc *kc)
{
	yaml_parser_t parser;
	char *text = NULL;
	size_t len;
	int ret;

	ret = read_file(kc->path, KUBECONFIG_MAX, &text, &len);
	if (ret) {
		errf(kc->err, kc->errlen, "kubeconfig %s: %s; pass an existing file", kc->path,
		     ret == -EFBIG ? "larger than 4 MiB" : strerror(-ret));
		return ret;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &kc->doc)) {
		errf(kc->err, kc->errlen, "kubeconfig %s: bad YAML at line %zu: %s", kc->path,
		     parser.problem_mark.line + 1, parser.problem ? parser.problem : "parse error");
		ret = -EINVAL;
	} else if (!yaml_document_get_root_node(&kc->doc)) {
		yaml_document_delete(&kc->doc);
		errf(kc->err, kc->errlen, "kubeconfig %s: empty file", kc->path);
		ret = -EINVAL;
	}
	yaml_parser_delete(&parser);
	explicit_bzero(text, len); /* may hold tokens and keys */
	free(text);
	return ret;
}

static int kc_read(struct kc *kc, const char *context, struct k8s_api_config *cfg)
{
	yaml_node_t *root = yaml_document_get_root_node(&kc->doc);
	const char *ctx_name = context ? context : ystr(kc, root, "current-context");
	const char *cluster, *user;
	yaml_node_t *ctx;
	int ret;

	if (!ctx_name) {
		errf(kc->err, kc->errlen,
		     "kubeconfig %s: no current-context; set one (kubectl config use-context) or "
		     "name a context",
		     kc->path);
		return -ENOENT;
	}
	ctx = ynamed(kc, "contexts", ctx_name, "context");
	if (!ctx) {
		errf(kc->err, kc->errlen, "kubeconfig %s: context \"%s\" not found under contexts",
		     kc->path, ctx_name);
		return -ENOENT;
	}
	cluster = ystr(kc, ctx, "cluster");
	user = ystr(kc, ctx, "user");
	if (!cluster || !user) {
		errf(kc->err, kc->errlen, "kubeconfig %s: context \"%s\" names no %s", kc->path,
		     ctx_name, cluster ? "user" : "cluster");
		return -EINVAL;
	}
	ret = kc_cluster(kc, cluster, cfg);
	if (!ret)
		ret = kc_user(kc, user, cfg);
	if (!ret)
		snprintf(cfg->source, sizeof(cfg->source), "kubeconfig %s context %s", kc->path,
			 ctx_name);
	return ret;
}

int k8s_config_kubeconfig(const char *path, const char *context, struct k8s_api_config *cfg,
			  char *err, size_t errlen)
{
	struct kc kc = {.path = path, .err = err, .errlen = errlen};
	char tmp[PATH_MAX];
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (str_copy(tmp, sizeof(tmp), path)) {
		errf(err, errlen, "kubeconfig %.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(kc.dir, sizeof(kc.dir), "%s", dirname(tmp));
	ret = kc_load(&kc);
	if (ret)
		return ret;
	ret = kc_read(&kc, context, cfg);
	yaml_document_delete(&kc.doc);
	if (ret)
		k8s_config_free(cfg);
	return ret;
}

static int config_copy(struct k8s_api_config *dst, const struct k8s_api_config *src)
{
	*dst = *src;
	dst->ca_pem = src->ca_pem ? strdup(src->ca_pem) : NULL;
	dst->token = src->token ? strdup(src->token) : NULL;
	dst->client_cert_pem = src->client_cert_pem ? strdup(src->client_cert_pem) : NULL;
	dst->client_key_pem = src->client_key_pem ? strdup(src->client_key_pem) : NULL;
	if ((src->ca_pem && !dst->ca_pem) || (src->token && !dst->token) ||
	    (src->client_cert_pem && !dst->client_cert_pem) ||
	    (src->client_key_pem && !dst->client_key_pem)) {
		k8s_config_free(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- the watcher ---------------------------------------------------------- */

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

static bool stopping(const struct k8s_watcher *w)
{
	return atomic_load(&w->stop);
}

static bool rl_allow(struct ratelimit *r, unsigned int *suppressed)
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
static void kind_error(struct kind_worker *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void kind_error(struct kind_worker *k, const char *fmt, ...)
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

static void set_rv(struct kind_worker *k, const char *rv)
{
	if (!rv || !*rv || strlen(rv) >= sizeof(k->rv))
		return;
	memcpy(k->rv, rv, strlen(rv) + 1);
	pthread_mutex_lock(&k->w->lock);
	memcpy(k->stats.resource_version, k->rv, sizeof(k->rv));
	pthread_mutex_unlock(&k->w->lock);
}

static void stat_add(struct kind_worker *k, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&k->w->lock);
	*field += n;
	pthread_mutex_unlock(&k->w->lock);
}

/* ---- the bearer token ------------------------------------------------------ */

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
static int auth_header(struct k8s_watcher *w, char *out, size_t outlen)
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

/* ---- HTTP ------------------------------------------------------------------ */

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

static int apply_event(struct kind_worker *k, const char *line, size_t n);

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

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
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

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
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
static bool stalled(struct kind_worker *k, time_t start)
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
static int http_get(struct kind_worker *k, const char *url, bool stream, long timeout_ms)
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
static int check_status(struct kind_worker *k, const char *verb)
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

/* ---- list ------------------------------------------------------------------- */

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
	n = snprintf(url, len, "%s%s?limit=%d%s%s%s%s%s", w->cfg.server, kind_paths[k->kind],
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

/* ---- watch ------------------------------------------------------------------ */

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

static int apply_event(struct kind_worker *k, const char *line, size_t n)
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
	    w->cfg.server, kind_paths[k->kind], k->rv, w->opts.timeout_s,
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

/* ---- the per-kind thread ---------------------------------------------------- */

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

/* ---- start and stop --------------------------------------------------------- */

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
		ret = kind_init(w, i);
	if (ret)
		goto out_free;
	for (i = 0; i < K8S_KIND__MAX; i++) {
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
			all = all && w->kinds[i].ever_synced;
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

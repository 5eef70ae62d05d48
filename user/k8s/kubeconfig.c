// SPDX-License-Identifier: BSD-2-Clause
/* Where the API server is and which credentials to show it: in-cluster service account or
 * kubeconfig. */
#define _GNU_SOURCE
#include "k8s/client.h"

void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads a whole file of at most max bytes, NUL-terminated. 0 or -errno. */
int read_file(const char *path, size_t max, char **out, size_t *outlen)
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

void free_secret(char **p)
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
int base64_decode(const char *in, char **out, size_t *outlen)
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

int config_copy(struct k8s_api_config *dst, const struct k8s_api_config *src)
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

// SPDX-License-Identifier: BSD-2-Clause
/*
 * The exporter's settings from the OpenTelemetry SDK variables, checked
 * before anything starts: OTEL_EXPORTER_OTLP_* and their per-signal variants
 * (endpoints, headers, protocol, compression, timeout, certificates; see
 * transport.h for the precedence), and the span processor's and sampler's
 * OTEL_BSP_* and OTEL_TRACES_SAMPLER*.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/env.h"
#include "lib/str.h"
#include "lib/url.h"
#include "otlp/traces.h"
#include "otlp/transport.h"

#define DEFAULT_BASE "http://localhost:4318"
#define ENV_PREFIX   "OTEL_EXPORTER_OTLP_"
#define ENV_NAME_MAX 64

static const char *const signal_env[OTLP_SIGNAL__MAX] = {"METRICS", "TRACES", "LOGS"};
static const char *const signal_path[OTLP_SIGNAL__MAX] = {"v1/metrics", "v1/traces", "v1/logs"};
static const char *const signal_word[OTLP_SIGNAL__MAX] = {"metrics", "traces", "logs"};

static void config_defaults(struct otlp_config *c)
{
	int s;

	memset(c, 0, sizeof(*c));
	for (s = 0; s < OTLP_SIGNAL__MAX; s++)
		snprintf(c->endpoint[s], sizeof(c->endpoint[s]), "%s/%s", DEFAULT_BASE,
			 signal_path[s]);
	c->timeout_ms = 10000;
	c->queue_batches = 64;
	c->retry_initial_ms = 1000;
	c->retry_max_ms = 5000;
	c->retry_max_elapsed_ms = 60000;
}

/* Length of the scheme and "://" of an http(s) URL, else 0. */
static size_t http_scheme_len(const char *url)
{
	if (!strncasecmp(url, "http://", 7))
		return 7;
	if (!strncasecmp(url, "https://", 8))
		return 8;
	return 0;
}

int otlp_check_url(const char *what, const char *url, char *err, size_t errlen)
{
	size_t skip = http_scheme_len(url), start = 0, ui = url_userinfo_span(url, &start);
	char shown[512];

	url_redact(url, shown, sizeof(shown));
	if (!skip) {
		snprintf(err, errlen,
			 "%s '%s': not an http:// or https:// URL; pass one like "
			 "http://collector:4318",
			 what, shown);
		return -EINVAL;
	}
	if (ui)
		skip = start + ui;
	if (!url[skip] || strchr("/?#:", url[skip])) {
		snprintf(err, errlen,
			 "%s '%s': no host in the URL; pass one like "
			 "http://collector:4318",
			 what, shown);
		return -EINVAL;
	}
	return 0;
}

static int set_endpoint(struct otlp_config *c, int sig, const char *var, const char *base,
			const char *path, char *err, size_t errlen)
{
	size_t n = strlen(base);
	const char *sep = path && n && base[n - 1] != '/' ? "/" : "";
	int len, ret;

	ret = otlp_check_url(var, base, err, errlen);
	if (ret)
		return ret;
	len = snprintf(c->endpoint[sig], sizeof(c->endpoint[sig]), "%s%s%s", base, sep,
		       path ? path : "");
	if (len < 0 || (size_t)len >= sizeof(c->endpoint[sig])) {
		snprintf(err, errlen, "%s: URL longer than %zu bytes; use a shorter one", var,
			 sizeof(c->endpoint[sig]) - 1);
		return -EINVAL;
	}
	return 0;
}

static int parse_endpoints(struct otlp_config *c, env_getter get, char *err, size_t errlen)
{
	const char *base = env_value(get, ENV_PREFIX "ENDPOINT");
	char var[ENV_NAME_MAX];
	const char *v;
	int s, ret;

	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		snprintf(var, sizeof(var), ENV_PREFIX "%s_ENDPOINT", signal_env[s]);
		v = env_value(get, var);
		if (v) /* per-signal URLs are used as is */
			ret = set_endpoint(c, s, var, v, NULL, err, errlen);
		else if (base)
			ret = set_endpoint(c, s, ENV_PREFIX "ENDPOINT", base, signal_path[s], err,
					   errlen);
		else
			ret = 0;
		if (ret)
			return ret;
	}
	return 0;
}

/* RFC 9110 tchar: what a header name may contain. */
static bool is_token(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
			return false;
	return true;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

size_t otlp_header_key_len(const char *line)
{
	return strcspn(line, ":");
}

/* Finds the line with the same key (case-insensitive), or returns n. */
size_t otlp_header_find(const char (*lines)[512], size_t n, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (otlp_header_key_len(lines[i]) == klen && !strncasecmp(lines[i], key, klen))
			return i;
	return n;
}

/* One "key=value" member of a headers list, added to lines or replacing its key. */
static int add_header(const char *var, const char *item, size_t n, char (*lines)[512],
		      size_t *nlines, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', n), *key = item, *val;
	size_t klen, vlen, at;
	char value[512];
	int len;

	if (!eq)
		goto bad;
	klen = (size_t)(eq - item);
	val = eq + 1;
	vlen = n - klen - 1;
	trim(&key, &klen);
	trim(&val, &vlen);
	if (!is_token(key, klen) || str_percent_decode(val, vlen, value, sizeof(value)))
		goto bad;
	at = otlp_header_find((const char(*)[512])lines, *nlines, key, klen);
	if (at == OTLP_MAX_HEADERS) {
		snprintf(err, errlen, "%s: more than %d headers; merge or drop some", var,
			 OTLP_MAX_HEADERS);
		return -EINVAL;
	}
	len = snprintf(lines[at], sizeof(lines[at]), "%.*s: %s", (int)klen, key, value);
	if (len < 0 || (size_t)len >= sizeof(lines[at])) {
		snprintf(err, errlen, "%s: header %.*s longer than %zu bytes", var, (int)klen, key,
			 sizeof(lines[at]) - 1);
		return -EINVAL;
	}
	if (at == *nlines)
		(*nlines)++;
	return 0;
bad:
	snprintf(err, errlen,
		 "%s: bad member '%.*s'; expected comma-separated key=value with "
		 "a token key and a percent-encoded value (no CR, LF or NUL)",
		 var, (int)n, item);
	return -EINVAL;
}

/* W3C baggage-like "k1=v1,k2=v2" (metadata after ';' is not supported). */
static int parse_headers(const char *var, const char *list, char (*lines)[512], size_t *nlines,
			 char *err, size_t errlen)
{
	const char *p = list, *item;
	size_t n;
	int ret;

	while (*p) {
		n = strcspn(p, ",");
		item = p;
		p += n + (p[n] == ',');
		trim(&item, &n);
		if (!n) /* "a=1,,b=2" and a trailing comma are harmless */
			continue;
		ret = add_header(var, item, n, lines, nlines, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_all_headers(struct otlp_config *c, env_getter get, char *err, size_t errlen)
{
	char var[ENV_NAME_MAX];
	const char *v;
	int s, ret;

	v = env_value(get, ENV_PREFIX "HEADERS");
	if (v) {
		ret = parse_headers(ENV_PREFIX "HEADERS", v, c->headers, &c->nheaders, err, errlen);
		if (ret)
			return ret;
	}
	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		snprintf(var, sizeof(var), ENV_PREFIX "%s_HEADERS", signal_env[s]);
		v = env_value(get, var);
		if (!v)
			continue;
		ret = parse_headers(var, v, c->sig_headers[s], &c->nsig_headers[s], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Options with one field for all signals: the per-signal variable wins over
 * the general one, and if two signals would end up with different
 * explicit values that is an error rather than a silent pick.
 */
static int env_shared(env_getter get, const char *opt, const char **val, char *var, size_t varlen,
		      char *err, size_t errlen)
{
	char names[OTLP_SIGNAL__MAX][ENV_NAME_MAX], general[ENV_NAME_MAX];
	const char *eff[OTLP_SIGNAL__MAX], *g;
	int s, from = -1, ref = -1;

	snprintf(general, sizeof(general), ENV_PREFIX "%s", opt);
	g = env_value(get, general);
	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		snprintf(names[s], sizeof(names[s]), ENV_PREFIX "%s_%s", signal_env[s], opt);
		eff[s] = env_value(get, names[s]);
		if (eff[s] && from < 0)
			from = s;
		/* Logs, newer here, follow the other two unless their own variable is set:
		 * a setup that gives metrics and traces their own value stays valid. */
		if (!eff[s] && s != OTLP_SIGNAL_LOGS)
			eff[s] = g;
		if (eff[s] && ref < 0)
			ref = s;
	}
	for (s = 0; s < OTLP_SIGNAL__MAX; s++) {
		if (!eff[s] || s == ref || !strcmp(eff[ref], eff[s]))
			continue;
		snprintf(err, errlen,
			 "%s: %s get '%s' and %s '%s' (from %s, %s or %s); "
			 "meshsight uses one %s for all signals, make them equal",
			 opt, signal_word[ref], eff[ref], signal_word[s], eff[s], names[ref],
			 names[s], general, opt);
		return -EINVAL;
	}
	*val = from >= 0 ? eff[from] : g;
	if (from >= 0)
		snprintf(var, varlen, ENV_PREFIX "%s_%s", signal_env[from], opt);
	else
		snprintf(var, varlen, ENV_PREFIX "%s", opt);
	return 0;
}

static int parse_compression(struct otlp_config *c, const char *var, const char *v, char *err,
			     size_t errlen)
{
	if (!strcasecmp(v, "gzip"))
		c->gzip = true;
	else if (!strcasecmp(v, "none"))
		c->gzip = false;
	else
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "%s=%s: unknown compression; use gzip or none", var, v);
	return -EINVAL;
}

static int parse_timeout(struct otlp_config *c, const char *var, const char *v, char *err,
			 size_t errlen)
{
	if (parse_u32_range(v, 1, UINT32_MAX, &c->timeout_ms)) {
		snprintf(err, errlen,
			 "%s=%s: not a timeout; use a whole number of milliseconds "
			 "between 1 and %u (default 10000)",
			 var, v, UINT32_MAX);
		return -EINVAL;
	}
	return 0;
}

static int parse_protocol(struct otlp_config *c, const char *var, const char *v, char *err,
			  size_t errlen)
{
	if (!strcmp(v, "http/protobuf")) {
		c->json = false;
		return 0;
	}
	if (!strcmp(v, "http/json")) {
		c->json = true;
		return 0;
	}
	if (!strcmp(v, "grpc"))
		snprintf(err, errlen,
			 "%s=grpc: OTLP/gRPC is not supported; use http/protobuf "
			 "(collector port 4318)",
			 var);
	else
		snprintf(err, errlen, "%s=%s: unknown protocol; use http/protobuf or http/json",
			 var, v);
	return -EINVAL;
}

static int parse_certificate(struct otlp_config *c, const char *var, const char *v, char *err,
			     size_t errlen)
{
	int len;

	/* Checked now so that a typo fails at start, not at the first TLS handshake. */
	if (access(v, R_OK)) {
		snprintf(err, errlen,
			 "%s=%s: cannot read the CA file: %s; point it at a PEM bundle", var, v,
			 strerror(errno));
		return -EINVAL;
	}
	len = snprintf(c->ca_file, sizeof(c->ca_file), "%s", v);
	if (len < 0 || (size_t)len >= sizeof(c->ca_file)) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", var,
			 sizeof(c->ca_file) - 1);
		return -EINVAL;
	}
	return 0;
}

typedef int (*shared_parser_t)(struct otlp_config *, const char *, const char *, char *, size_t);

static int parse_shared(struct otlp_config *c, env_getter get, char *err, size_t errlen)
{
	static const struct {
		const char *opt;
		shared_parser_t parse;
	} opts[] = {
	    {"COMPRESSION", parse_compression},
	    {"TIMEOUT", parse_timeout},
	    {"PROTOCOL", parse_protocol},
	    {"CERTIFICATE", parse_certificate},
	};
	char var[ENV_NAME_MAX];
	const char *v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		ret = env_shared(get, opts[i].opt, &v, var, sizeof(var), err, errlen);
		if (!ret && v)
			ret = opts[i].parse(c, var, v, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int otlp_config_from_env(struct otlp_config *c, env_getter get, char *err, size_t errlen)
{
	int ret;

	config_defaults(c);
	ret = parse_endpoints(c, get, err, errlen);
	if (!ret)
		ret = parse_all_headers(c, get, err, errlen);
	if (!ret)
		ret = parse_shared(c, get, err, errlen);
	return ret;
}

/* ---- the span processor and sampler: OTEL_TRACES_SAMPLER*, OTEL_BSP_* ---- */

static int env_u32(env_getter get, const char *name, uint32_t *out, char *err, size_t errlen)
{
	const char *v = env_value(get, name);

	if (v && parse_u32_range(v, 1, 10000000, out)) {
		snprintf(err, errlen, "%s '%s': expected a whole number from 1 to 10000000", name,
			 v);
		return -EINVAL;
	}
	return 0;
}

static int parse_sampler(struct span_config *c, const char *v, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum span_sampler root;
		bool parent_based;
	} samplers[] = {
	    {"always_on", SAMPLER_ALWAYS_ON, false},
	    {"always_off", SAMPLER_ALWAYS_OFF, false},
	    {"traceidratio", SAMPLER_RATIO, false},
	    {"parentbased_always_on", SAMPLER_ALWAYS_ON, true},
	    {"parentbased_always_off", SAMPLER_ALWAYS_OFF, true},
	    {"parentbased_traceidratio", SAMPLER_RATIO, true},
	};
	size_t i;

	for (i = 0; i < sizeof(samplers) / sizeof(samplers[0]); i++) {
		if (!strcmp(v, samplers[i].name)) {
			c->root = samplers[i].root;
			c->parent_based = samplers[i].parent_based;
			return 0;
		}
	}
	snprintf(err, errlen,
		 "OTEL_TRACES_SAMPLER '%s': expected always_on, always_off, traceidratio, "
		 "parentbased_always_on, parentbased_always_off or parentbased_traceidratio",
		 v);
	return -EINVAL;
}

int span_config_from_env(struct span_config *c, env_getter get, char *err, size_t errlen)
{
	const char *v;
	char *end;
	int ret = 0;

	*c = (struct span_config){
	    .root = SAMPLER_ALWAYS_ON,
	    .parent_based = true,
	    .ratio = 1.0,
	    .max_queue = 2048,
	    .max_batch = 512,
	    .schedule_delay_ms = 5000,
	    .max_per_second = 1000,
	};
	if ((v = env_value(get, "OTEL_TRACES_SAMPLER")))
		ret = parse_sampler(c, v, err, errlen);
	if (!ret && (v = env_value(get, "OTEL_TRACES_SAMPLER_ARG")) && c->root == SAMPLER_RATIO) {
		c->ratio = strtod(v, &end);
		if (*end || end == v || !(c->ratio >= 0 && c->ratio <= 1)) {
			snprintf(err, errlen, "OTEL_TRACES_SAMPLER_ARG '%s': expected a ratio 0..1",
				 v);
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = env_u32(get, "OTEL_BSP_SCHEDULE_DELAY", &c->schedule_delay_ms, err, errlen);
	if (!ret)
		ret = env_u32(get, "OTEL_BSP_MAX_QUEUE_SIZE", &c->max_queue, err, errlen);
	if (!ret)
		ret = env_u32(get, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &c->max_batch, err, errlen);
	if (!ret && c->max_batch > c->max_queue)
		c->max_batch = c->max_queue; /* the SDK specification's rule */
	return ret;
}

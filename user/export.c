// SPDX-License-Identifier: BSD-2-Clause
/*
 * See export.h. Environment first (the OpenTelemetry SDK variables), then
 * flags on top, so a DaemonSet can set everything through env as any other
 * OpenTelemetry component, and a person on the node can override one thing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "log.h"
#include "otlp_metrics.h"

#define DEFAULT_INTERVAL_MS 60000 /* OTEL_METRIC_EXPORT_INTERVAL's default */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static int parse_ms(const char *what, const char *s, uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s || v == 0 || v > 86400000UL) {
		snprintf(err, errlen, "%s '%s': expected milliseconds, 1..86400000", what, s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_temporality(const char *s, enum otlp_temporality *out, char *err, size_t errlen)
{
	if (!strcasecmp(s, "cumulative")) {
		*out = OTLP_TEMPORALITY_CUMULATIVE;
	} else if (!strcasecmp(s, "delta") || !strcasecmp(s, "lowmemory")) {
		/* lowmemory: delta for synchronous counters and histograms, which ours are */
		*out = OTLP_TEMPORALITY_DELTA;
	} else {
		snprintf(err, errlen,
			 "metrics temporality '%s': expected cumulative, delta or lowmemory", s);
		return -EINVAL;
	}
	return 0;
}

static int percent_decode(const char *in, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	unsigned int hex;

	for (i = 0; i < n && o + 1 < outlen; i++) {
		if (in[i] == '%' && i + 2 < n && sscanf(in + i + 1, "%2x", &hex) == 1) {
			out[o++] = (char)hex;
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return i == n ? 0 : -ENAMETOOLONG;
}

/* OTEL_RESOURCE_ATTRIBUTES: key1=value1,key2=value2 (values percent-encoded). */
static int parse_resource_attrs(struct exporter_state *s, const char *list, char *err,
				size_t errlen)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t k;

		if (!eq || eq == p || s->nattrs >= EXPORT_MAX_RESOURCE_ATTRS) {
			snprintf(
			    err, errlen,
			    "OTEL_RESOURCE_ATTRIBUTES '%s': expected key=value pairs separated "
			    "by commas (at most %d)",
			    list, EXPORT_MAX_RESOURCE_ATTRS);
			return -EINVAL;
		}
		k = s->nattrs++;
		percent_decode(p, eq - p, s->attr_buf[k][0], sizeof(s->attr_buf[k][0]));
		percent_decode(eq + 1, len - (eq + 1 - p), s->attr_buf[k][1],
			       sizeof(s->attr_buf[k][1]));
		s->attrs[k].key = s->attr_buf[k][0];
		s->attrs[k].type = OTLP_STR;
		s->attrs[k].s = s->attr_buf[k][1];
		if (!strcmp(s->attrs[k].key, "service.name"))
			snprintf(s->service_name, sizeof(s->service_name), "%s", s->attrs[k].s);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static bool enabled_by(const struct export_flags *f)
{
	return f->enable || f->endpoint || env("OTEL_EXPORTER_OTLP_ENDPOINT") ||
	       env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
}

static int apply_flags(struct exporter_state *s, const struct export_flags *f, char *err,
		       size_t errlen)
{
	size_t i;

	if (f->endpoint) {
		const char *slash = f->endpoint[strlen(f->endpoint) - 1] == '/' ? "" : "/";

		snprintf(s->cfg.endpoint[OTLP_SIGNAL_METRICS], sizeof(s->cfg.endpoint[0]),
			 "%s%sv1/metrics", f->endpoint, slash);
		snprintf(s->cfg.endpoint[OTLP_SIGNAL_TRACES], sizeof(s->cfg.endpoint[0]),
			 "%s%sv1/traces", f->endpoint, slash);
	}
	if (f->protocol) {
		if (strcmp(f->protocol, "http/protobuf") && strcmp(f->protocol, "http/json")) {
			snprintf(err, errlen,
				 "--otlp-protocol '%s': expected http/protobuf or "
				 "http/json",
				 f->protocol);
			return -EINVAL;
		}
		s->cfg.json = !strcmp(f->protocol, "http/json");
	}
	if (f->compression) {
		if (strcmp(f->compression, "gzip") && strcmp(f->compression, "none")) {
			snprintf(err, errlen, "--otlp-compression '%s': expected gzip or none",
				 f->compression);
			return -EINVAL;
		}
		s->cfg.gzip = !strcmp(f->compression, "gzip");
	}
	if (f->ca_file)
		snprintf(s->cfg.ca_file, sizeof(s->cfg.ca_file), "%s", f->ca_file);
	if (f->timeout_ms)
		s->cfg.timeout_ms = f->timeout_ms;
	for (i = 0; i < f->nheaders && s->cfg.nheaders < OTLP_MAX_HEADERS; i++) {
		const char *eq = strchr(f->headers[i], '=');

		if (!eq || eq == f->headers[i]) {
			snprintf(err, errlen, "--otlp-header '%s': expected key=value",
				 f->headers[i]);
			return -EINVAL;
		}
		snprintf(s->cfg.headers[s->cfg.nheaders++], sizeof(s->cfg.headers[0]), "%.*s: %s",
			 (int)(eq - f->headers[i]), f->headers[i], eq + 1);
	}
	return 0;
}

int export_configure(struct exporter_state *s, const struct export_flags *f, char *err,
		     size_t errlen)
{
	const char *v;
	int ret;

	memset(s, 0, sizeof(*s));
	s->enabled = enabled_by(f);
	s->interval_ms = DEFAULT_INTERVAL_MS;
	s->temporality = OTLP_TEMPORALITY_CUMULATIVE;
	snprintf(s->service_name, sizeof(s->service_name), "meshsight");
	if (gethostname(s->host_name, sizeof(s->host_name)))
		s->host_name[0] = '\0';
	ret = otlp_config_from_env(&s->cfg, NULL, err, errlen);
	if (!ret && (v = env("OTEL_METRIC_EXPORT_INTERVAL")))
		ret = parse_ms("OTEL_METRIC_EXPORT_INTERVAL", v, &s->interval_ms, err, errlen);
	if (!ret && (v = env("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE")))
		ret = parse_temporality(v, &s->temporality, err, errlen);
	if (!ret && (v = env("OTEL_RESOURCE_ATTRIBUTES")))
		ret = parse_resource_attrs(s, v, err, errlen);
	if (!ret && (v = env("OTEL_SERVICE_NAME"))) /* wins over the attribute, as specified */
		snprintf(s->service_name, sizeof(s->service_name), "%s", v);
	if (!ret && f->interval_ms)
		s->interval_ms = f->interval_ms;
	if (!ret && f->temporality)
		ret = parse_temporality(f->temporality, &s->temporality, err, errlen);
	if (!ret)
		ret = apply_flags(s, f, err, errlen);
	return ret;
}

int export_start(struct exporter_state *s, char *err, size_t errlen)
{
	if (!s->enabled)
		return 0;
	pr_info("exporting OTLP metrics to %s every %u ms (%s)\n",
		s->cfg.endpoint[OTLP_SIGNAL_METRICS], s->interval_ms,
		s->cfg.json ? "http/json" : "http/protobuf");
	return otlp_exporter_start(&s->cfg, &s->exp, err, errlen);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void export_metrics(struct exporter_state *s, struct aggregator *a, struct naming *n,
		    const char *version)
{
	uint64_t now_unix = clock_ns(CLOCK_REALTIME);
	struct otlp_metrics_opts o = {
	    .temporality = s->temporality,
	    .now_unix_ns = now_unix,
	    .mono_to_unix_ns = now_unix - clock_ns(CLOCK_MONOTONIC),
	    .last_export_unix_ns = s->last_export_unix_ns,
	    .agent_service_name = s->service_name,
	    .agent_attrs = s->attrs,
	    .nagent_attrs = s->nattrs,
	    .host_name = s->host_name,
	    .scope_version = version,
	    .json = s->cfg.json,
	};
	struct otlp_buf body = {0};
	uint64_t points = 0;

	if (!s->exp)
		return;
	if (otlp_build_metrics(a, n, &o, &body, &points)) {
		s->build_failures++;
		otlp_buf_free(&body);
		return;
	}
	s->last_export_unix_ns = now_unix;
	otlp_exporter_submit(s->exp, OTLP_SIGNAL_METRICS, body.data, body.len, points);
}

static void prom_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_stats(const struct otlp_export_stats *st_, FILE *out)
{
	const int m = OTLP_SIGNAL_METRICS;
	const struct otlp_export_stats st = *st_;
	const struct {
		const char *metric, *outcome;
		uint64_t value;
	} rows[] = {
	    {"meshsight_otlp_batches_total", "sent", st.batches_sent[m]},
	    {"meshsight_otlp_batches_total", "failed", st.batches_failed[m]},
	    {"meshsight_otlp_batches_total", "dropped", st.batches_dropped[m]},
	    {"meshsight_otlp_items_total", "sent", st.items_sent[m]},
	    {"meshsight_otlp_items_total", "rejected", st.items_rejected[m]},
	    {"meshsight_otlp_items_total", "dropped", st.items_dropped[m]},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (i == 0)
			prom_family(out, rows[i].metric, "counter", "OTLP batches by outcome.");
		if (i == 3)
			prom_family(out, rows[i].metric, "counter",
				    "OTLP data points by outcome; rejected is the collector's "
				    "partial-success count.");
		fprintf(out, "%s{signal=\"metrics\",outcome=\"%s\"} %llu\n", rows[i].metric,
			rows[i].outcome, (unsigned long long)rows[i].value);
	}
	prom_family(out, "meshsight_otlp_retries_total", "counter", "OTLP requests retried.");
	fprintf(out, "meshsight_otlp_retries_total{signal=\"metrics\"} %llu\n",
		(unsigned long long)st.retries[m]);
	prom_family(out, "meshsight_otlp_queued_batches", "gauge", "Batches waiting to be sent.");
	fprintf(out, "meshsight_otlp_queued_batches{signal=\"metrics\"} %u\n", st.queued[m]);
}

void export_render_prom(struct exporter_state *s, FILE *out)
{
	struct otlp_export_stats st;

	if (!s->exp)
		return;
	otlp_exporter_stats(s->exp, &st);
	render_stats(&st, out);
}

void export_stop(struct exporter_state *s)
{
	if (s->exp)
		otlp_exporter_stop(s->exp, 2000);
	s->exp = NULL;
}

// SPDX-License-Identifier: BSD-2-Clause
/*
 * See otlp/exporter.h. Environment first (the OpenTelemetry SDK variables), then
 * flags on top, so a DaemonSet can set everything through env as any other
 * OpenTelemetry component, and a person on the node can override one thing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otlp/exporter.h"
#include "lib/url.h"
#include "lib/env.h"
#include "lib/log.h"
#include "otlp/metrics.h"
#include "serve/render.h"
#include "lib/clock.h"
#include "lib/str.h"

#define DEFAULT_INTERVAL_MS 60000 /* OTEL_METRIC_EXPORT_INTERVAL's default */

static const char *env(const char *name)
{
	return env_value(NULL, name);
}

static int parse_ms(const char *what, const char *s, uint32_t *out, char *err, size_t errlen)
{
	if (parse_u32_range(s, 1, 86400000, out)) {
		snprintf(err, errlen, "%s '%s': expected milliseconds, 1..86400000", what, s);
		return -EINVAL;
	}
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
		if (str_percent_decode(p, eq - p, s->attr_buf[k][0], sizeof(s->attr_buf[k][0])) ||
		    str_percent_decode(eq + 1, len - (eq + 1 - p), s->attr_buf[k][1],
				       sizeof(s->attr_buf[k][1]))) {
			snprintf(err, errlen,
				 "OTEL_RESOURCE_ATTRIBUTES '%s': pair %zu is too long (%zu bytes "
				 "a key or value) or not percent-encoded (%%XX, no CR, LF or NUL)",
				 list, k + 1, sizeof(s->attr_buf[k][0]) - 1);
			return -EINVAL;
		}
		s->attrs[k].key = s->attr_buf[k][0];
		s->attrs[k].type = OTLP_STR;
		s->attrs[k].s = s->attr_buf[k][1];
		if (!strcmp(s->attrs[k].key, "service.name"))
			snprintf(s->service_name, sizeof(s->service_name), "%s", s->attrs[k].s);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/*
 * Which signals are exported. --otlp, --otlp-endpoint and
 * OTEL_EXPORTER_OTLP_ENDPOINT turn on both; a signal's own endpoint variable
 * (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, ..._TRACES_ENDPOINT, ..._LOGS_ENDPOINT)
 * turns on that signal; OTEL_METRICS_EXPORTER=none, OTEL_TRACES_EXPORTER=none
 * and OTEL_LOGS_EXPORTER=none turn one off whatever else says.
 */
static void signals_by(struct exporter_state *s, const struct export_flags *f)
{
	bool all = f->enable || f->endpoint || env("OTEL_EXPORTER_OTLP_ENDPOINT");
	const char *off;

	s->metrics_on = all || env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
	s->traces_on = all || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	s->logs_on = all || env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
	off = env("OTEL_METRICS_EXPORTER");
	if (off && !strcmp(off, "none"))
		s->metrics_on = false;
	off = env("OTEL_TRACES_EXPORTER");
	if (off && !strcmp(off, "none"))
		s->traces_on = false;
	off = env("OTEL_LOGS_EXPORTER");
	if (off && !strcmp(off, "none"))
		s->logs_on = false;
	s->enabled = s->metrics_on || s->traces_on || s->logs_on;
}

static int apply_flags(struct exporter_state *s, const struct export_flags *f, char *err,
		       size_t errlen)
{
	size_t i;

	if (f->endpoint) {
		const char *slash = f->endpoint[strlen(f->endpoint) - 1] == '/' ? "" : "/";
		int ret = otlp_check_url("--otlp-endpoint", f->endpoint, err, errlen);

		if (ret)
			return ret;

		snprintf(s->cfg.endpoint[OTLP_SIGNAL_METRICS], sizeof(s->cfg.endpoint[0]),
			 "%s%sv1/metrics", f->endpoint, slash);
		snprintf(s->cfg.endpoint[OTLP_SIGNAL_TRACES], sizeof(s->cfg.endpoint[0]),
			 "%s%sv1/traces", f->endpoint, slash);
		snprintf(s->cfg.endpoint[OTLP_SIGNAL_LOGS], sizeof(s->cfg.endpoint[0]),
			 "%s%sv1/logs", f->endpoint, slash);
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
	if (f->queue_batches)
		s->cfg.queue_batches = f->queue_batches;
	for (i = 0; i < f->nheaders; i++) {
		const char *eq = strchr(f->headers[i], '=');

		if (!eq || eq == f->headers[i] || strpbrk(f->headers[i], "\r\n")) {
			snprintf(err, errlen, "--otlp-header '%s': expected key=value on one line",
				 f->headers[i]);
			return -EINVAL;
		}
		if (s->cfg.nheaders == OTLP_MAX_HEADERS) {
			snprintf(err, errlen,
				 "--otlp-header '%s': at most %d headers with those of "
				 "OTEL_EXPORTER_OTLP_HEADERS",
				 f->headers[i], OTLP_MAX_HEADERS);
			return -EINVAL;
		}
		snprintf(s->cfg.headers[s->cfg.nheaders++], sizeof(s->cfg.headers[0]), "%.*s: %s",
			 (int)(eq - f->headers[i]), f->headers[i], eq + 1);
	}
	return 0;
}

static int configure_spans(struct exporter_state *s, const struct export_flags *f, char *err,
			   size_t errlen)
{
	struct span_config sc;
	int ret = span_config_from_env(&sc, NULL, err, errlen);

	if (ret || !s->traces_on)
		return ret;
	if (f->max_spans_per_second != UINT32_MAX)
		sc.max_per_second = f->max_spans_per_second;
	if (spans_init(&s->spans, &sc)) {
		snprintf(err, errlen, "out of memory for a span queue of %u", sc.max_queue);
		return -ENOMEM;
	}
	return 0;
}

static int configure_logs(struct exporter_state *s, char *err, size_t errlen)
{
	struct log_config lc;
	int ret = log_config_from_env(&lc, NULL, err, errlen);

	if (!ret && s->logs_on)
		logs_init(&s->logs, &lc);
	return ret;
}

int export_configure(struct exporter_state *s, const struct export_flags *f, char *err,
		     size_t errlen)
{
	const char *v;
	int ret;

	memset(s, 0, sizeof(*s));
	s->start_unix_ns = clock_unix_ns();
	signals_by(s, f);
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
	if (!ret)
		ret = configure_spans(s, f, err, errlen);
	if (!ret)
		ret = configure_logs(s, err, errlen);
	return ret;
}

int export_start(struct exporter_state *s, char *err, size_t errlen)
{
	char shown[sizeof(s->cfg.endpoint[0])];

	if (!s->enabled)
		return 0;
	if (s->temporality == OTLP_TEMPORALITY_DELTA && !(s->delta = otlp_delta_new())) {
		snprintf(err, errlen, "out of memory for the delta temporality table");
		return -ENOMEM;
	}
	/* Never the password of a http://user:password@ endpoint. */
	if (s->metrics_on) {
		url_redact(s->cfg.endpoint[OTLP_SIGNAL_METRICS], shown, sizeof(shown));
		pr_info("exporting OTLP metrics to %s every %u ms (%s)\n", shown, s->interval_ms,
			s->cfg.json ? "http/json" : "http/protobuf");
	}
	if (s->traces_on) {
		url_redact(s->cfg.endpoint[OTLP_SIGNAL_TRACES], shown, sizeof(shown));
		pr_info("exporting OTLP traces to %s (%s)\n", shown,
			s->cfg.json ? "http/json" : "http/protobuf");
	}
	if (s->logs_on) {
		url_redact(s->cfg.endpoint[OTLP_SIGNAL_LOGS], shown, sizeof(shown));
		pr_info("exporting OTLP logs (events, access log) to %s (%s)\n", shown,
			s->cfg.json ? "http/json" : "http/protobuf");
	}
	return otlp_exporter_start(&s->cfg, &s->exp, err, errlen);
}

/* The agent's own counters (core/self_stats.h) as OTLP samples, under their OTLP names. */
static size_t self_metrics(const struct self_stat *st, size_t n, struct otlp_self_metric *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (struct otlp_self_metric){
		    .name = st[i].otlp,
		    .unit = st[i].unit,
		    .attr_key = st[i].otlp_attr_key,
		    .attr_val = st[i].otlp_attr_val,
		    .value = self_stat_value(&st[i]),
		    .gauge = st[i].gauge,
		};
	return n;
}

void export_metrics(struct exporter_state *s, const struct aggregator *a, struct naming *n,
		    const char *version, const struct self_stat *st, size_t nst)
{
	struct otlp_self_metric self[SELF_STATS_MAX];
	size_t nself = self_metrics(st, nst < SELF_STATS_MAX ? nst : SELF_STATS_MAX, self);
	uint64_t now_unix = clock_unix_ns();
	struct otlp_metrics_opts o = {
	    .temporality = s->temporality,
	    .now_unix_ns = now_unix,
	    .mono_to_unix_ns = now_unix - clock_mono_ns(),
	    .last_export_unix_ns = s->last_export_unix_ns,
	    .agent_service_name = s->service_name,
	    .agent_attrs = s->attrs,
	    .nagent_attrs = s->nattrs,
	    .host_name = s->host_name,
	    .scope_version = version,
	    .self = self,
	    .nself = nself,
	    .start_unix_ns = s->start_unix_ns,
	    .json = s->cfg.json,
	};
	struct otlp_buf body = {0};
	uint64_t points = 0;

	if (!s->exp || !s->metrics_on)
		return;
	if (otlp_build_metrics(a, n, &o, s->delta, &body, &points)) {
		s->build_failures++;
		otlp_buf_free(&body);
		return;
	}
	s->last_export_unix_ns = now_unix;
	otlp_exporter_submit(s->exp, OTLP_SIGNAL_METRICS, body.data, body.len, points);
}

void export_traces(struct exporter_state *s, struct naming *n, const char *version, bool flush)
{
	uint64_t now_unix = clock_unix_ns(), now = clock_mono_ns();
	struct spans_opts o = {
	    .mono_to_unix_ns = now_unix - now,
	    .host_name = s->host_name,
	    .scope_version = version,
	    .json = s->cfg.json,
	};
	int batches = 0;

	if (!s->exp || !s->spans.recs)
		return;
	if (!flush && now < s->next_traces_ns && s->spans.count < s->spans.cfg.max_batch)
		return;
	s->next_traces_ns = now + (uint64_t)s->spans.cfg.schedule_delay_ms * 1000000ULL;
	/* A few batches per call at most: the datapath lock is held meanwhile. */
	while (s->spans.count && batches++ < 4) {
		struct otlp_buf body = {0};
		uint64_t nspans = 0;

		if (spans_build(&s->spans, n, &o, &body, &nspans)) {
			s->build_failures++;
			otlp_buf_free(&body);
			return;
		}
		otlp_exporter_submit(s->exp, OTLP_SIGNAL_TRACES, body.data, body.len, nspans);
		if (!flush && s->spans.count < s->spans.cfg.max_batch)
			break;
	}
}

void export_logs(struct exporter_state *s, struct analysis *an, struct access_log *al,
		 struct naming *n, const char *version, bool flush)
{
	uint64_t now = clock_mono_ns();
	struct logs_opts o = {
	    .now_unix_ns = clock_unix_ns(),
	    .agent_service_name = s->service_name,
	    .agent_attrs = s->attrs,
	    .nagent_attrs = s->nattrs,
	    .host_name = s->host_name,
	    .scope_version = version,
	    .json = s->cfg.json,
	};
	int batches = 0;

	if (!s->exp || !s->logs_on || (!flush && now < s->logs.next_ns))
		return;
	s->logs.next_ns = now + (uint64_t)s->logs.cfg.schedule_delay_ms * 1000000ULL;
	/* A few batches per call at most: the agent's lock is held meanwhile. */
	while (batches++ < 4) {
		struct otlp_buf body = {0};
		uint64_t nrecs = 0;

		if (logs_build(&s->logs, an, al, n, &o, &body, &nrecs)) {
			s->build_failures++;
			otlp_buf_free(&body);
			return;
		}
		if (!nrecs) {
			otlp_buf_free(&body);
			return;
		}
		otlp_exporter_submit(s->exp, OTLP_SIGNAL_LOGS, body.data, body.len, nrecs);
		if (nrecs < s->logs.cfg.max_batch)
			return;
	}
}

static const char *const signal_names[OTLP_SIGNAL__MAX] = {"metrics", "traces", "logs"};

/* One family, one sample per signal and outcome. */
static void prom_outcomes(FILE *out, const char *name, const char *help, const char *outcomes[],
			  const uint64_t *values[], size_t n)
{
	size_t i;
	int sig;

	prom_family(out, name, "counter", help);
	for (sig = 0; sig < OTLP_SIGNAL__MAX; sig++)
		for (i = 0; i < n; i++)
			fprintf(out, "%s{signal=\"%s\",outcome=\"%s\"} %llu\n", name,
				signal_names[sig], outcomes[i], (unsigned long long)values[i][sig]);
}

static void render_spans(const struct span_buffer *b, FILE *out)
{
	const struct span_stats *st = &b->stats;

	prom_family(out, "meshsight_spans_total", "counter",
		    "Spans produced by the traffic, by what became of them.");
	prom_sample(out, "meshsight_spans_total", "outcome=\"queued\"", st->queued);
	prom_sample(out, "meshsight_spans_total", "outcome=\"sampled_out\"", st->sampled_out);
	prom_sample(out, "meshsight_spans_total", "outcome=\"ceiling_dropped\"",
		    st->ceiling_dropped);
	prom_sample(out, "meshsight_spans_total", "outcome=\"queue_full\"", st->queue_dropped);
	prom_family(out, "meshsight_spans_sampling_ratio", "gauge",
		    "Spans kept over spans produced since start: the effective sampling rate.");
	fprintf(out, "meshsight_spans_sampling_ratio %.6f\n", spans_effective_rate(b));
}

void export_render_prom(struct exporter_state *s, FILE *out)
{
	const char *batch_outcomes[] = {"sent", "failed", "dropped"};
	const char *item_outcomes[] = {"sent", "rejected", "dropped"};
	struct otlp_export_stats st;
	int sig;

	if (!s->exp)
		return;
	otlp_exporter_stats(s->exp, &st);
	prom_outcomes(
	    out, "meshsight_otlp_batches_total", "OTLP batches by outcome.", batch_outcomes,
	    (const uint64_t *[]){st.batches_sent, st.batches_failed, st.batches_dropped}, 3);
	prom_outcomes(out, "meshsight_otlp_items_total",
		      "OTLP data points or spans by outcome; rejected is the collector's "
		      "partial-success count.",
		      item_outcomes,
		      (const uint64_t *[]){st.items_sent, st.items_rejected, st.items_dropped}, 3);
	prom_family(out, "meshsight_otlp_retries_total", "counter", "OTLP requests retried.");
	for (sig = 0; sig < OTLP_SIGNAL__MAX; sig++)
		fprintf(out, "meshsight_otlp_retries_total{signal=\"%s\"} %llu\n",
			signal_names[sig], (unsigned long long)st.retries[sig]);
	prom_family(out, "meshsight_otlp_queued_batches", "gauge", "Batches waiting to be sent.");
	for (sig = 0; sig < OTLP_SIGNAL__MAX; sig++)
		fprintf(out, "meshsight_otlp_queued_batches{signal=\"%s\"} %u\n", signal_names[sig],
			st.queued[sig]);
	if (s->spans.recs)
		render_spans(&s->spans, out);
}

#define EXPORT_WARN_INTERVAL_NS (60ULL * 1000000000ULL)

void export_warn_failures(struct exporter_state *s, uint64_t now_ns)
{
	static const char *const names[OTLP_SIGNAL__MAX] = {"metrics", "traces", "logs"};
	struct otlp_export_stats st;
	uint64_t lost;
	int sig;

	if (!s->exp)
		return;
	otlp_exporter_stats(s->exp, &st);
	for (sig = 0; sig < OTLP_SIGNAL__MAX; sig++) {
		lost = st.retries[sig] + st.batches_failed[sig] + st.batches_dropped[sig];
		if (lost == s->warned_failed[sig] || now_ns < s->warned_next_ns[sig])
			continue;
		pr_warn(
		    "OTLP %s export is failing: %llu attempt(s) failed, retried or dropped since "
		    "the last warning, last error: %s; check that the collector is up and "
		    "reachable (counts in meshsight_otlp_*)\n",
		    names[sig], (unsigned long long)(lost - s->warned_failed[sig]),
		    st.last_error[sig][0] ? st.last_error[sig] : "none recorded");
		s->warned_failed[sig] = lost;
		s->warned_next_ns[sig] = now_ns + EXPORT_WARN_INTERVAL_NS;
	}
}

void export_stop(struct exporter_state *s)
{
	if (s->exp)
		otlp_exporter_stop(s->exp, 2000);
	s->exp = NULL;
	spans_free(&s->spans);
	otlp_delta_free(s->delta);
	s->delta = NULL;
}

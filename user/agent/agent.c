// SPDX-License-Identifier: BSD-2-Clause
/*
 * See agent.h. Threads: the main loop drains the ring buffer and runs
 * housekeeping; libmicrohttpd's thread renders responses. One mutex guards
 * the flow table and aggregator; the main loop takes it per batch of events,
 * never while it sleeps in epoll, so a scrape waits at most one batch.
 *
 * The lock's cost: one lock for everything keeps the model consistent with
 * no ordering rules, and it is held only for a batch of events (~1 us per
 * event) or one snapshot slice (SNAPSHOT_SLICE_BUCKETS, 10-50 us); every
 * render and encode runs on the copy, outside it. consumer_max_wait_ns in
 * /api/v1/stats shows the worst wait the ring-buffer consumer saw; if it
 * grows past a few ms, shrink the slice before splitting the lock.
 *
 * The kernel wakes us only when a lot is pending (see bpf/maps/events.h); the
 * short poll timeout bounds how stale the endpoint can be.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "meshsight_events.h"

#include "agent/agent.h"
#include "core/aggregator.h"
#include "answers/analysis.h"
#include "naming/cgroups.h"
#include "core/flows.h"
#include "serve/endpoints.h"
#include "naming/identity.h"
#include "lib/log.h"
#include "naming/end_rules.h"
#include "naming/naming.h"
#include "lib/nat.h"
#include "serve/render.h"
#include "core/self_stats.h"
#include "lib/clock.h"
#include "agent/tls_probe.h"
#include "agent/self_ids.h"

#define POLL_TIMEOUT_MS 50
#define HOUSEKEEPING_MS 1000
#define SCAN_BATCH	1024

static volatile sig_atomic_t stop_requested;

struct agent {
	const struct agent_config *cfg;
	struct loader loader;
	struct ring_buffer *rb;
	struct endpoints endpoints;
	struct identity_table *ids;
	struct cgroup_cache *cgroups;
	struct naming naming;
	struct k8s_source k8s;
	struct nat_lookup *nat; /* only with Kubernetes: ClusterIP connections */
	struct end_rules rules; /* tunnels, exclusions, owners (naming/end_rules.h) */
	struct aggregator agg;
	struct flowtab flows;
	struct analysis analysis;      /* window, graph, events: a lock of its own */
	struct access_log *access_log; /* failed requests: a lock of its own */
	struct tls_probe *tls;	       /* --tls on, where the probes loaded; else NULL */
	pthread_mutex_t lock;
	uint64_t start_ns;
	uint64_t kernel_counters[MS_CNT__MAX];
	uint64_t kernel_conns;
	uint64_t kernel_conns_expired;
	struct exporter_state export;
	int ncpus;
	uint32_t self_pid;	       /* as the kernel's helpers see it (learn_self) */
	uint64_t self_cgroup_id;       /* 0: unknown */
	uint64_t consumer_max_wait_ns; /* written by the consumer under the lock */
};

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct ms_event_hdr *hdr = data;
	struct ms_conn_open_event open;
	struct agent *a = ctx;

	/* The ring buffer is read-only: rewrite a copy. */
	if (a->nat && size == sizeof(open) && hdr->type == MS_EV_CONN_OPEN) {
		memcpy(&open, data, sizeof(open));
		if (end_rules_translate_cluster_ip(a->nat, a->k8s.idx, &open)) {
			flowtab_handle_event(&a->flows, &open, sizeof(open));
			return 0;
		}
	}
	flowtab_handle_event(&a->flows, data, size);
	return 0;
}

/*
 * Hash buckets copied per hold of the lock: about 64 edges, 10-50 us, so the
 * event loop waits at most that long for a scrape or an export (a 10,000-
 * edge scrape takes ~160 holds). Raise it only if scrapes of huge tables
 * take too long; the cost is the event loop's worst wait.
 */
#define SNAPSHOT_SLICE_BUCKETS 64

/*
 * What renderers and the metrics exporter read: a copy of the edges and of
 * the counters, taken a slice at a time under the lock. Everything after
 * runs without the lock: naming (cgroup cache and Kubernetes index have
 * locks of their own), rendering and encoding.
 */
struct snapshot {
	struct aggregator agg;
	struct flowtab flows; /* a shallow copy: only its counters are read */
	struct nat_stats nat;
	bool has_nat;
	struct log_export_stats logs;
	bool has_logs;
	struct answers_stats answers; /* from their own locks, before the agent's */
	uint64_t kernel_counters[MS_CNT__MAX];
	uint64_t kernel_conns, kernel_conns_expired;
	uint64_t consumer_max_wait_ns;
};

static int snapshot_take(struct agent *a, struct snapshot *s)
{
	size_t cursor = 0;
	bool done;

	memset(s, 0, sizeof(*s));
	if (agg_init(&s->agg, UINT32_MAX, 0))
		return -ENOMEM;
	analysis_get_stats(&a->analysis, &s->answers);
	access_log_get_stats(a->access_log, &s->answers);
	pthread_mutex_lock(&a->lock);
	agg_snapshot_begin(&a->agg);
	s->flows = a->flows;
	memcpy(s->kernel_counters, a->kernel_counters, sizeof(s->kernel_counters));
	s->kernel_conns = a->kernel_conns;
	s->kernel_conns_expired = a->kernel_conns_expired;
	s->consumer_max_wait_ns = a->consumer_max_wait_ns;
	if (a->nat) {
		nat_get_stats(a->nat, &s->nat);
		s->has_nat = true;
	}
	s->has_logs = a->export.logs_on; /* written by the main loop under the lock */
	s->logs = a->export.logs.stats;
	pthread_mutex_unlock(&a->lock);
	do {
		pthread_mutex_lock(&a->lock);
		done = agg_snapshot_slice(&a->agg, &cursor, SNAPSHOT_SLICE_BUCKETS, &s->agg);
		pthread_mutex_unlock(&a->lock);
	} while (!done);
	pthread_mutex_lock(&a->lock);
	agg_snapshot_end(&a->agg);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static void snapshot_free(struct snapshot *s)
{
	agg_free(&s->agg);
}

/* What renderers read, from a snapshot (serve/endpoints.c adds its own counters). */
static void snapshot_input(struct agent *a, const struct snapshot *s, struct render_input *in)
{
	memset(in, 0, sizeof(*in));
	in->naming = &a->naming;
	in->version = MESHSIGHT_VERSION;
	in->metrics_labels = a->cfg->metrics_labels;
	in->agg = &s->agg;
	in->flows = &s->flows;
	in->nat = s->has_nat ? &s->nat : NULL;
	in->logs = s->has_logs ? &s->logs : NULL;
	in->answers = &s->answers;
	memcpy(in->kernel_counters, s->kernel_counters, sizeof(in->kernel_counters));
	in->kernel_conns = s->kernel_conns;
	in->kernel_conns_expired = s->kernel_conns_expired;
	in->consumer_max_wait_ns = s->consumer_max_wait_ns;
	in->uptime_s = (clock_mono_ns() - a->start_ns) / 1e9;
}

/* serve/endpoints.h's snapshot: the copy is taken a slice at a time under the lock. */
static int endpoint_snapshot(void *ctx, void **out, struct render_input *in)
{
	struct snapshot *snap = malloc(sizeof(*snap));
	struct agent *a = ctx;

	if (!snap || snapshot_take(a, snap)) {
		free(snap);
		return -ENOMEM;
	}
	snapshot_input(a, snap, in);
	*out = snap;
	return 0;
}

static void endpoint_release(void *ctx, void *snap)
{
	(void)ctx;
	snapshot_free(snap);
	free(snap);
}

static void write_export_families(void *ctx, FILE *out)
{
	export_render_prom(ctx, out);
}

static void write_k8s_families(void *ctx, FILE *out)
{
	k8s_source_render_prom(ctx, out);
}

static json_t *stats_kubernetes(void *ctx)
{
	return k8s_source_stats_json(ctx);
}

/* /metrics after the snapshot's families: each module's own, in this order. */
static int start_endpoints(struct agent *a, char *err, size_t errlen)
{
	struct endpoints *e = &a->endpoints;

	e->snapshot = endpoint_snapshot;
	e->release = endpoint_release;
	e->ctx = a;
	e->naming = &a->naming;
	e->analysis = &a->analysis;
	e->access_log = a->access_log;
	e->stats_kubernetes = stats_kubernetes;
	e->stats_kubernetes_ctx = &a->k8s;
	endpoints_add_writer(e, write_export_families, &a->export);
	endpoints_add_writer(e, write_k8s_families, &a->k8s);
	return endpoints_start(e, a->cfg->listen, a->cfg->health_listen, err, errlen);
}

static void read_kernel_counters(struct agent *a)
{
	uint64_t values[a->ncpus];
	uint32_t key;
	int cpu, fd = loader_counters_fd(&a->loader);

	for (key = 0; key < MS_CNT__MAX; key++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &key, values))
			continue;
		for (cpu = 0; cpu < a->ncpus; cpu++)
			sum += values[cpu];
		a->kernel_counters[key] = sum;
	}
}

/*
 * Live byte counters of open connections and the kernel's protocol verdicts,
 * read in batches; idle entries the kernel never closed (first seen
 * mid-stream, or whose close event was lost) are deleted here.
 */
static void scan_kernel_conns(struct agent *a)
{
	static uint64_t keys[SCAN_BATCH];
	static struct ms_conn vals[SCAN_BATCH];
	int fd = loader_conns_fd(&a->loader);
	uint64_t batch = 0, total = 0, now = clock_mono_ns();
	bool first = true, more = true;
	uint32_t i, n;
	int err;

	while (more) {
		n = SCAN_BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, vals, &n, NULL);
		first = false;
		if (err && errno != ENOENT) {
			pr_warn("reading the kernel connection table failed: %s\n",
				strerror(errno));
			return;
		}
		more = !err;
		pthread_mutex_lock(&a->lock);
		for (i = 0; i < n; i++) {
			if (flowtab_sync_kernel(&a->flows, keys[i], &vals[i], now) &&
			    !bpf_map_delete_elem(fd, &keys[i]))
				a->kernel_conns_expired++;
		}
		pthread_mutex_unlock(&a->lock);
		total += n;
	}
	a->kernel_conns = total;
}

static void housekeeping(struct agent *a)
{
	uint64_t now = clock_mono_ns();

	pthread_mutex_lock(&a->lock);
	read_kernel_counters(a);
	agg_expire(&a->agg, now);
	k8s_retire_renamed_edges(&a->naming, &a->agg);
	flowtab_expire(&a->flows, now);
	pthread_mutex_unlock(&a->lock);
	tls_probe_scan(a->tls); /* new processes' libssl; no flow state, so no lock */
}

/* Optional: without the TLS probes HTTPS is reported as tcp, and the agent runs on. */
static void start_tls(struct agent *a)
{
	char why[512] = "";
	size_t root_len;

	if (!a->cfg->bpf.http) {
		pr_warn("--tls on is ignored with --no-http: nothing is parsed\n");
		return;
	}
	if (tls_probe_start(&a->tls, loader_ringbuf_fd(&a->loader), loader_counters_fd(&a->loader),
			    a->cfg->bpf.capture_bytes, a->self_pid, why, sizeof(why))) {
		pr_warn("HTTPS through OpenSSL is not observed: %s\n", why);
		return;
	}
	/* The watched subtree, as /proc/PID/cgroup names it: below the cgroup2 mount. */
	root_len = strlen(a->loader.cgroup_root);
	if (!strncmp(a->loader.cgroup_path, a->loader.cgroup_root, root_len) &&
	    tls_probe_watch(a->tls, a->loader.cgroup_path + root_len))
		pr_warn("TLS probes: out of memory: looking at every process\n");
	a->flows.tls_grace_ns = FLOW_TLS_GRACE_NS;
	tls_probe_scan(a->tls);
}

/* Sleep without the lock, then drain everything pending under it. */
static int drain_events(struct agent *a, int epfd)
{
	struct epoll_event ev;
	int n;

	uint64_t t0, waited;

	n = epoll_wait(epfd, &ev, 1, POLL_TIMEOUT_MS);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	t0 = clock_mono_ns();
	pthread_mutex_lock(&a->lock);
	waited = clock_mono_ns() - t0;
	if (waited > a->consumer_max_wait_ns)
		a->consumer_max_wait_ns = waited;
	n = ring_buffer__consume(a->rb);
	pthread_mutex_unlock(&a->lock);
	return n < 0 && n != -EINTR ? n : 0;
}

/*
 * Built from a snapshot, so the event loop waits for one slice at a time,
 * not the encode; the agent's own counters are the table /metrics reads.
 */
static void export_tick(struct agent *a)
{
	struct self_stat st[SELF_STATS_MAX];
	struct render_input in;
	struct snapshot snap;
	size_t n;

	if (snapshot_take(a, &snap))
		return;
	snapshot_input(a, &snap, &in);
	n = render_self_stats(&in, st);
	export_metrics(&a->export, &snap.agg, &a->naming, MESHSIGHT_VERSION, st, n);
	snapshot_free(&snap);
}

/* The sliding window and the events, from a snapshot (see analysis.h). */
static void analysis_tick_snapshot(struct agent *a)
{
	struct snapshot snap;

	if (snapshot_take(a, &snap))
		return;
	analysis_tick(&a->analysis, &snap.agg, &a->naming, clock_mono_ns());
	snapshot_free(&snap);
}

static void traces_tick(struct agent *a, bool flush)
{
	pthread_mutex_lock(&a->lock);
	export_traces(&a->export, &a->naming, MESHSIGHT_VERSION, flush);
	pthread_mutex_unlock(&a->lock);
}

/* Events and access-log records to OTLP logs, every OTEL_BLRP_SCHEDULE_DELAY. */
static void logs_tick(struct agent *a, bool flush)
{
	pthread_mutex_lock(&a->lock);
	export_logs(&a->export, &a->analysis, a->access_log, &a->naming, MESHSIGHT_VERSION, flush);
	pthread_mutex_unlock(&a->lock);
}

static int main_loop(struct agent *a)
{
	uint64_t next_scan = 0, next_house = 0, next_export, next_window, now;
	int epfd = ring_buffer__epoll_fd(a->rb);
	int ret;

	next_export = clock_mono_ns() + (uint64_t)a->export.interval_ms * NS_PER_MS;
	next_window = clock_mono_ns() + analysis_tick_ns(&a->analysis);
	while (!stop_requested) {
		ret = drain_events(a, epfd);
		if (ret) {
			pr_warn("reading the ring buffer failed: %s\n", strerror(-ret));
			return ret;
		}
		now = clock_mono_ns();
		if (now >= next_house) {
			housekeeping(a);
			export_warn_failures(&a->export, now);
			next_house = now + HOUSEKEEPING_MS * NS_PER_MS;
		}
		if (now >= next_scan) {
			scan_kernel_conns(a);
			next_scan = now + (uint64_t)a->cfg->scan_interval_ms * NS_PER_MS;
		}
		if (now >= next_window) {
			analysis_tick_snapshot(a);
			next_window += analysis_tick_ns(&a->analysis);
			if (next_window < now)
				next_window = now + analysis_tick_ns(&a->analysis);
		}
		if (a->export.enabled)
			traces_tick(a, false);
		if (a->export.logs_on)
			logs_tick(a, false);
		if (a->export.enabled && now >= next_export) {
			scan_kernel_conns(a); /* fresh byte counters in what is exported */
			export_tick(a);
			next_export = now + (uint64_t)a->export.interval_ms * NS_PER_MS;
		}
	}
	/* Ship what was seen since the last export before going away. */
	if (a->export.logs_on)
		logs_tick(a, true);
	if (a->export.enabled) {
		traces_tick(a, true);
		export_tick(a);
	}
	return 0;
}

static int setup_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int setup_naming(struct agent *a, char *err, size_t errlen)
{
	int ret;

	if (a->cfg->identities) {
		ret =
		    identity_load_cancel(a->cfg->identities, &a->ids, err, errlen, &stop_requested);
		if (ret)
			return ret;
		pr_info("loaded %zu identities from %s\n", identity_count(a->ids),
			a->cfg->identities);
	}
	ret = cgroup_cache_open(a->loader.cgroup_root, &a->cgroups);
	if (ret)
		pr_warn("cannot index cgroups under %s (%s): cgroup paths and process names "
			"of local ends will be missing\n",
			a->loader.cgroup_root, strerror(-ret));
	a->naming.ids = a->ids;
	a->naming.cgroups = a->cgroups;
	ret = k8s_source_start(&a->k8s, &a->cfg->k8s, err, errlen);
	if (ret)
		return ret;
	a->naming.k8s = a->k8s.idx;
	if (a->k8s.enabled) {
		ret = nat_open(&a->nat);
		if (ret)
			pr_warn("cannot query connection tracking (%s): connections to a ClusterIP "
				"are reported with the Service's address, not the backend pod; "
				"grant CAP_NET_ADMIN and load nf_conntrack\n",
				strerror(-ret));
	}
	/* Istio's default cluster id when a cluster is there but not named. */
	a->naming.cluster = a->cfg->k8s.cluster_name ?: (a->k8s.enabled ? "Kubernetes" : NULL);
	a->naming.cluster_domain = a->cfg->k8s.cluster_domain;
	a->naming.trust_domain = a->cfg->trust_domain;
	return 0;
}

/*
 * The agent's own pid and cgroup as the kernel sees them (agent/self_ids.h,
 * read by the start-up probe): what its sockets are told apart by. Without
 * the kernel's answer, getpid() stands in, which is right only in the host's
 * pid namespace.
 */
static void learn_self(struct agent *a)
{
	const struct self_ids *ids = &a->loader.caps.self;
	int ret = a->loader.caps.self_err;

	if (ret) {
		if (!a->loader.caps.sockops_task)
			pr_warn("cannot learn the agent's own cgroup id (%s): with no process ids "
				"on this kernel, the agent's own connections may show as edges; "
				"grant CAP_PERFMON, or --exclude-cgroup the agent's cgroup\n",
				strerror(-ret));
		else
			pr_warn("cannot learn the agent's own pid from the kernel (%s): outside "
				"the host's pid namespace its own connections may show as edges; "
				"grant CAP_PERFMON, or run with hostPID\n",
				strerror(-ret));
		return;
	}
	if (ids->tgid != a->self_pid)
		pr_debug("the kernel knows the agent as pid %u (%u in its own namespace)\n",
			 ids->tgid, a->self_pid);
	a->self_pid = ids->tgid;
	a->self_cgroup_id = ids->cgroup_id;
	if (!a->loader.caps.sockops_task)
		pr_info("sockets carry no process id on this kernel: every socket in the agent's "
			"own cgroup (id %llu) is taken for the agent's and left out\n",
			(unsigned long long)ids->cgroup_id);
}

static int setup_tables(struct agent *a)
{
	const struct agent_config *c = a->cfg;
	struct flow_limits lim = {
	    .max_flows = c->bpf.max_conns,
	    .max_http = c->max_http,
	    .reasm_budget = (size_t)c->reasm_budget_mb << 20,
	    .idle_ns = (uint64_t)c->conn_idle_s * NS_PER_S,
	};
	int ret;

	ret = agg_init(&a->agg, c->max_edges, (uint64_t)c->edge_idle_s * NS_PER_S);
	if (ret)
		return ret;
	ret = flowtab_init(&a->flows, &a->agg, &lim);
	if (ret)
		return ret;
	a->rules = (struct end_rules){
	    .tunnel_cgroups = c->mesh_tunnel_cgroups,
	    .ntunnel_cgroups = c->nmesh_tunnel_cgroups,
	    .exclude_processes = c->exclude_processes,
	    .nexclude_processes = c->nexclude_processes,
	    .exclude_cgroups = c->exclude_cgroups,
	    .nexclude_cgroups = c->nexclude_cgroups,
	    .self_pid = a->self_pid,
	    .self_cgroup_id = a->self_cgroup_id,
	    .cgroups = a->cgroups,
	    .k8s = a->k8s.enabled ? a->k8s.idx : NULL,
	    .naming = &a->naming,
	};
	end_rules_install(&a->rules, &a->flows);
	return 0;
}

/* The flow table's one transaction hook, for the spans and the access log. */
static void on_txn(void *ctx, const struct flow_txn_info *info, const struct http1_txn *t)
{
	struct agent *a = ctx;

	if (a->export.spans.recs)
		spans_on_txn(&a->export.spans, info, t);
	access_log_on_txn(a->access_log, info, t);
}

static int setup_access_log(struct agent *a)
{
	a->access_log = calloc(1, sizeof(*a->access_log));
	if (!a->access_log)
		return -ENOMEM;
	access_log_init(a->access_log, a->cfg->access_log, a->cfg->access_log_rate,
			clock_unix_ns() - clock_mono_ns());
	return 0;
}

static int agent_start(struct agent *a, char *err, size_t errlen)
{
	char why[256];
	int ret;

	ret = export_configure(&a->export, &a->cfg->export, err, errlen);
	if (ret)
		return ret;
	ret = loader_check_host(&a->loader, &a->cfg->bpf, err, errlen);
	if (ret)
		return ret;
	learn_self(a);
	ret = setup_naming(a, err, errlen);
	if (ret)
		return ret;
	ret = setup_tables(a);
	if (!ret)
		ret = analysis_init(&a->analysis, &a->cfg->analysis, a->cfg->max_edges,
				    clock_mono_ns());
	if (!ret)
		ret = setup_access_log(a);
	if (!ret && (a->export.spans.recs || a->cfg->access_log != ACCESS_LOG_OFF)) {
		a->flows.txn_hook = on_txn;
		a->flows.txn_hook_ctx = a;
	}
	if (ret) {
		snprintf(err, errlen, "out of memory setting up tables");
		return ret;
	}
	ret = flowtab_set_tunnel_ports(&a->flows, a->cfg->mesh_tunnel_ports, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "--mesh-tunnel-ports: %s", why);
		return ret;
	}
	ret = loader_start(&a->loader, &a->cfg->bpf, err, errlen);
	if (ret)
		return ret;
	a->rb = ring_buffer__new(loader_ringbuf_fd(&a->loader), on_event, a, NULL);
	if (!a->rb) {
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		return -errno;
	}
	if (a->cfg->tls)
		start_tls(a);
	ret = start_endpoints(a, err, errlen);
	if (ret)
		return ret;
	return export_start(&a->export, err, errlen);
}

static void agent_stop(struct agent *a)
{
	export_stop(&a->export);
	endpoints_stop(&a->endpoints);
	tls_probe_stop(a->tls);
	ring_buffer__free(a->rb);
	if (a->loader.skel)
		loader_stop(&a->loader);
	flowtab_free(&a->flows);
	agg_free(&a->agg);
	analysis_free(&a->analysis);
	if (a->access_log)
		access_log_free(a->access_log);
	free(a->access_log);
	nat_close(a->nat);
	k8s_source_stop(&a->k8s);
	cgroup_cache_free(a->cgroups);
	identity_free(a->ids);
}

int agent_run(const struct agent_config *cfg)
{
	struct agent a = {.cfg = cfg};
	char err[512] = "";
	int ret;

	a.start_ns = clock_mono_ns();
	a.self_pid = (uint32_t)getpid();
	a.ncpus = libbpf_num_possible_cpus();
	pthread_mutex_init(&a.lock, NULL);
	ret = a.ncpus > 0 ? setup_signals() : -EINVAL;
	if (!ret)
		ret = agent_start(&a, err, sizeof(err));
	if (ret) {
		pr_err("%s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	pr_info("meshsight %s watching %s, serving http://%s/metrics and /api/v1/edges%s%s\n",
		MESHSIGHT_VERSION, a.loader.cgroup_path, cfg->listen,
		cfg->health_listen ? ", /healthz also on " : "",
		cfg->health_listen ? cfg->health_listen : "");
	ret = main_loop(&a);
	pr_info("stopping: detaching programs\n");
out:
	agent_stop(&a);
	pthread_mutex_destroy(&a.lock);
	return ret;
}

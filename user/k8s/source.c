// SPDX-License-Identifier: BSD-2-Clause
/* See k8s/source.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/source.h"
#include "lib/log.h"
#include "lib/prom_text.h"
#include "lib/url.h"
#include "lib/str.h"

/* Which credentials to use: an explicit kubeconfig, else the pod's service
 * account. -ENOENT (not an error in auto mode) when neither exists. */
static int load_api_config(struct k8s_source *s, const struct k8s_flags *f, char *err,
			   size_t errlen)
{
	/* "" (a flag given empty) is none; $KUBECONFIG was read under the flag. */
	const char *kubeconfig = str_or(f->kubeconfig, NULL);

	if (kubeconfig)
		return k8s_config_kubeconfig(kubeconfig, f->context, &s->api, err, errlen);
	return k8s_config_in_cluster(f->serviceaccount, &s->api, err, errlen);
}

static int check_watch_flags(struct k8s_source *s, const struct k8s_flags *f,
			     struct k8s_watch_opts *o, char *err, size_t errlen)
{
	const char *node = str_or(f->node_name, NULL);

	if (node)
		snprintf(s->node_name, sizeof(s->node_name), "%s", node);
	o->node_scoped = f->watch && !strcmp(f->watch, "node");
	o->node_name = node;
	if (f->watch && !o->node_scoped && strcmp(f->watch, "cluster")) {
		snprintf(err, errlen, "--k8s-watch '%s': expected cluster or node", f->watch);
		return -EINVAL;
	}
	if (o->node_scoped && !node) {
		snprintf(
		    err, errlen,
		    "--k8s-watch node needs the node's name: pass --node-name or set NODE_NAME "
		    "(in a DaemonSet, from the downward API field spec.nodeName)");
		return -EINVAL;
	}
	return 0;
}

/* --k8s-virtualservices: the last kind, listed (stats, /metrics) only when watched. */
static int check_vs_flag(struct k8s_source *s, const struct k8s_flags *f, struct k8s_watch_opts *o,
			 char *err, size_t errlen)
{
	const char *v = f->virtual_services ? f->virtual_services : "off";

	if (strcmp(v, "off") && strcmp(v, "v1") && strcmp(v, "v1beta1")) {
		snprintf(err, errlen,
			 "--k8s-virtualservices '%s': expected off, v1 (Istio 1.22 and later) or "
			 "v1beta1",
			 v);
		return -EINVAL;
	}
	o->virtual_services = v;
	s->nkinds = strcmp(v, "off") ? K8S_KIND__MAX : K8S_KIND_VIRTUALSERVICE;
	return 0;
}

int k8s_source_start(struct k8s_source *s, const struct k8s_flags *f, char *err, size_t errlen)
{
	struct k8s_watch_opts opts = {0};
	char shown[K8S_SERVER_MAX];
	int ret;

	memset(s, 0, sizeof(*s));
	if (f->mode && !strcmp(f->mode, "off"))
		return 0;
	if (f->mode && strcmp(f->mode, "auto")) {
		snprintf(err, errlen, "--k8s '%s': expected auto or off", f->mode);
		return -EINVAL;
	}
	ret = check_watch_flags(s, f, &opts, err, errlen);
	if (ret)
		return ret;
	ret = check_vs_flag(s, f, &opts, err, errlen);
	if (ret)
		return ret;
	ret = load_api_config(s, f, err, errlen);
	if (ret == -ENOENT && !str_or(f->kubeconfig, NULL)) {
		pr_info("not in a Kubernetes pod and no kubeconfig given: names come from the "
			"identity file and cgroups only\n");
		err[0] = '\0';
		return 0;
	}
	if (ret)
		return ret;
	s->idx = k8s_index_new(f->cluster_domain);
	if (!s->idx) {
		snprintf(err, errlen, "out of memory creating the Kubernetes index");
		ret = -ENOMEM;
		goto out_config;
	}
	ret = k8s_watcher_start(&s->api, &opts, s->idx, &s->watcher);
	if (ret) {
		url_redact(s->api.server, shown, sizeof(shown));
		snprintf(err, errlen, "cannot start watching the Kubernetes API at %s: %s", shown,
			 strerror(-ret));
		goto out_index;
	}
	s->enabled = true;
	url_redact(s->api.server, shown, sizeof(shown));
	pr_info("watching pods%s, services, endpointslices%s at %s (%s)\n",
		opts.node_scoped ? " of this node" : "",
		s->nkinds == K8S_KIND__MAX ? ", virtualservices" : "", shown, s->api.source);
	if (f->sync_timeout_s && !k8s_watcher_wait_synced(s->watcher, f->sync_timeout_s * 1000))
		pr_warn("the Kubernetes API has not answered every list within %us; edges are "
			"named as objects arrive (see /api/v1/stats \"kubernetes\")\n",
			f->sync_timeout_s);
	return 0;

out_index:
	k8s_index_free(s->idx);
	s->idx = NULL;
out_config:
	k8s_config_free(&s->api);
	return ret;
}

void k8s_source_stop(struct k8s_source *s)
{
	if (!s->enabled)
		return;
	k8s_watcher_stop(s->watcher);
	k8s_index_free(s->idx);
	k8s_config_free(&s->api);
	s->enabled = false;
}

/*
 * True when the end was named as a pod and now names another (or none).
 * Names only change when the index does, so an end already checked against
 * this generation is skipped: the pass costs nothing while the cluster is
 * quiet, and new edges are still stamped within a second.
 */
static bool end_renamed(struct naming *n, const uint8_t addr[16], struct edge_end *end,
			uint64_t gen)
{
	char uid[K8S_UID_MAX];

	if (end->named_gen == gen)
		return false;
	end->named_gen = gen;
	if (!naming_pod_uid(n, addr, end, uid))
		return end->pod_uid[0] != '\0' && end->cgroup_id == 0;
	if (!end->pod_uid[0]) {
		snprintf(end->pod_uid, sizeof(end->pod_uid), "%s", uid);
		return false;
	}
	return strcmp(end->pod_uid, uid) != 0;
}

static uint64_t index_generation(struct k8s_index *idx)
{
	struct k8s_index_stats is;

	k8s_index_get_stats(idx, &is);
	return is.changes + 1; /* new ends start at 0: never equal */
}

void k8s_retire_renamed_edges(struct naming *n, struct aggregator *agg)
{
	struct edge *e, *next;
	uint64_t gen;

	if (!n->k8s)
		return;
	gen = index_generation(n->k8s);
	for (e = agg->lru_head; e; e = next) {
		next = e->lru_next;
		if (end_renamed(n, e->key.src_addr, &e->src, gen) ||
		    end_renamed(n, e->key.dst_addr, &e->dst, gen))
			agg_retire(agg, e);
	}
}

static json_t *kind_json(const struct k8s_kind_stats *ks, uint64_t objects)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "synced", ks->synced,
			 "objects", (json_int_t)objects, "lists", (json_int_t)ks->lists, "watches",
			 (json_int_t)ks->watches, "events", (json_int_t)ks->events, "bookmarks",
			 (json_int_t)ks->bookmarks, "gone", (json_int_t)ks->gone, "errors",
			 (json_int_t)ks->errors, "bytes", (json_int_t)ks->bytes, "last_error",
			 ks->last_error);
}

json_t *k8s_source_stats_json(struct k8s_source *s)
{
	struct k8s_kind_stats ks[K8S_KIND__MAX];
	struct k8s_index_stats is;
	char shown[K8S_SERVER_MAX];
	json_t *root = json_pack("{s:b}", "enabled", s->enabled);
	int k;

	if (!root || !s->enabled)
		return root;
	k8s_watcher_get_stats(s->watcher, ks);
	k8s_index_get_stats(s->idx, &is);
	url_redact(s->api.server, shown, sizeof(shown));
	json_object_set_new(root, "server", json_string(shown));
	json_object_set_new(root, "pod_ips", json_integer((json_int_t)is.pod_ips));
	json_object_set_new(root, "service_addresses", json_integer((json_int_t)is.service_addrs));
	json_object_set_new(root, "rejected_objects", json_integer((json_int_t)is.rejected));
	for (k = 0; k < s->nkinds; k++)
		json_object_set_new(root, k8s_kind_name(k), kind_json(&ks[k], is.objects[k]));
	return root;
}

/* The per-resource counters of /metrics, read from struct k8s_kind_stats. */
static const struct {
	const char *name, *type, *help;
	size_t offset; /* of a uint64_t in struct k8s_kind_stats */
} kind_counters[] = {
    {"meshsight_k8s_watch_events_total", "counter",
     "Watch events applied (ADDED, MODIFIED, DELETED).", offsetof(struct k8s_kind_stats, events)},
    {"meshsight_k8s_relists_total", "counter",
     "Relists after 410 Gone (the watch fell behind the API server's history).",
     offsetof(struct k8s_kind_stats, gone)},
    {"meshsight_k8s_errors_total", "counter", "Failed API requests and undecodable watch events.",
     offsetof(struct k8s_kind_stats, errors)},
    {"meshsight_k8s_received_bytes_total", "counter",
     "Response bytes received from the API server (lists and watches).",
     offsetof(struct k8s_kind_stats, bytes)},
};

static void prom_kinds(FILE *out, int nkinds, const char *name, const char *type, const char *help,
		       const uint64_t v[K8S_KIND__MAX])
{
	char labels[64];
	int k;

	prom_family(out, name, type, help);
	for (k = 0; k < nkinds; k++) {
		snprintf(labels, sizeof(labels), "resource=\"%s\"", k8s_kind_name(k));
		prom_sample(out, name, labels, v[k]);
	}
}

void k8s_source_render_prom(struct k8s_source *s, FILE *out)
{
	struct k8s_kind_stats ks[K8S_KIND__MAX];
	struct k8s_index_stats is;
	uint64_t v[K8S_KIND__MAX];
	size_t c;
	int k;

	if (!s->enabled)
		return;
	k8s_watcher_get_stats(s->watcher, ks);
	k8s_index_get_stats(s->idx, &is);
	prom_kinds(out, s->nkinds, "meshsight_k8s_objects", "gauge",
		   "Kubernetes objects held in the agent's index.", is.objects);
	for (k = 0; k < K8S_KIND__MAX; k++)
		v[k] = ks[k].synced;
	prom_kinds(out, s->nkinds, "meshsight_k8s_synced", "gauge",
		   "1 when the resource's list completed and its watch is running.", v);
	for (c = 0; c < sizeof(kind_counters) / sizeof(kind_counters[0]); c++) {
		for (k = 0; k < K8S_KIND__MAX; k++)
			memcpy(&v[k], (const char *)&ks[k] + kind_counters[c].offset, sizeof(v[k]));
		prom_kinds(out, s->nkinds, kind_counters[c].name, kind_counters[c].type,
			   kind_counters[c].help, v);
	}
	prom_family(out, "meshsight_k8s_rejected_objects_total", "counter",
		    "Objects the index could not use (missing name, namespace or uid).");
	prom_sample(out, "meshsight_k8s_rejected_objects_total", NULL, is.rejected);
}

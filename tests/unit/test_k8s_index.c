// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/k8s/index.c, driven by the JSON in tests/k8s/fixtures/
 * (a PodList, ServiceList and EndpointSliceList as `kubectl get -A -o json`
 * prints them). Expected names are those a user reads off the fixture's
 * labels, annotations and owners; container ids and uids are read from the
 * fixtures, never typed twice. Events that the fixtures do not hold (IP
 * reuse, MODIFIED, malformed objects) are made by editing copies of their
 * items the way the API server would change them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "k8s/index.h"
#include "test_util.h"

#define NODE_A_IP "192.168.49.2"

static json_t *fx_pods, *fx_services, *fx_slices;

/* tests/k8s/fixtures, found from this file's path or $MESHSIGHT_K8S_FIXTURES. */
static json_t *load_fixture(const char *name)
{
	const char *dir = getenv("MESHSIGHT_K8S_FIXTURES");
	char path[512], here[256], *slash;
	json_error_t err;
	json_t *j;

	if (!dir) {
		snprintf(here, sizeof(here), "%s", __FILE__);
		slash = strrchr(here, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../k8s/fixtures/%s", slash ? here : ".", name);
	} else {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	}
	j = json_load_file(path, 0, &err);
	if (!j)
		fprintf(stderr,
			"cannot load fixture %s: %s line %d; run from the repository root "
			"or set MESHSIGHT_K8S_FIXTURES\n",
			path, err.text, err.line);
	return j;
}

static int load_fixtures(void **state)
{
	(void)state;
	fx_pods = load_fixture("pods.json");
	fx_services = load_fixture("services.json");
	fx_slices = load_fixture("endpointslices.json");
	return fx_pods && fx_services && fx_slices ? 0 : -1;
}

static int free_fixtures(void **state)
{
	(void)state;
	json_decref(fx_pods);
	json_decref(fx_services);
	json_decref(fx_slices);
	return 0;
}

/* The list item named name (metadata.name). */
static json_t *item(json_t *list, const char *name)
{
	json_t *items = json_object_get(list, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
	{
		const char *n =
		    json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
		if (n && !strcmp(n, name))
			return it;
	}
	fail_msg("fixture has no item %s", name);
	return NULL;
}

static const char *uid_of(json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
}

/* Container id of container cname, without the "containerd://" prefix. */
static const char *container_id_of(json_t *pod, const char *cname)
{
	json_t *st = json_object_get(json_object_get(pod, "status"), "containerStatuses"), *c;
	const char *id;
	size_t i;

	json_array_foreach(st, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")), cname))
			continue;
		id = json_string_value(json_object_get(c, "containerID"));
		return strstr(id, "://") + 3;
	}
	fail_msg("no container %s", cname);
	return NULL;
}

static size_t apply_list(struct k8s_index *idx, enum k8s_kind kind, json_t *list)
{
	json_t *items = json_object_get(list, "items"), *it;
	size_t i;

	json_array_foreach(items, i, it)
	    assert_int_equal(k8s_index_apply(idx, kind, K8S_EVENT_ADDED, it), 0);
	return json_array_size(items);
}

static struct k8s_index *full_index(void)
{
	struct k8s_index *idx = k8s_index_new(NULL);

	assert_non_null(idx);
	apply_list(idx, K8S_KIND_POD, fx_pods);
	apply_list(idx, K8S_KIND_SERVICE, fx_services);
	apply_list(idx, K8S_KIND_ENDPOINTSLICE, fx_slices);
	return idx;
}

static bool pod_at(struct k8s_index *idx, const char *ip, uint16_t port, struct k8s_pod_ref *ref)
{
	uint8_t a[16];

	to_addr(ip, a);
	memset(ref, 0x55, sizeof(*ref)); /* a stale byte would show in a string compare */
	return k8s_index_pod_by_ip(idx, a, port, ref);
}

/* Name of the pod at ip:port, or "" when none. */
static const char *pod_name_at(struct k8s_index *idx, const char *ip, uint16_t port)
{
	static struct k8s_pod_ref ref;

	return pod_at(idx, ip, port, &ref) ? ref.name : "";
}

static bool svc_at(struct k8s_index *idx, const char *ip, uint16_t port,
		   struct k8s_service_ref *ref)
{
	uint8_t a[16];

	to_addr(ip, a);
	return k8s_index_service_by_addr(idx, a, port, ref);
}

static const char *svc_name_at(struct k8s_index *idx, const char *ip, uint16_t port)
{
	static struct k8s_service_ref ref;

	return svc_at(idx, ip, port, &ref) ? ref.name : "";
}

/* A copy of a fixture item with one string member replaced or removed. */
static json_t *edited(json_t *obj, const char *section, const char *key, const char *value)
{
	json_t *c = json_deep_copy(obj), *sec = json_object_get(c, section);

	if (value)
		json_object_set_new(sec, key, json_string(value));
	else
		json_object_del(sec, key);
	return c;
}

/* A pod copy now on ip (status.podIP and podIPs). */
static json_t *pod_on_ip(json_t *pod, const char *ip)
{
	json_t *c = edited(pod, "status", "podIP", ip);

	json_object_set_new(json_object_get(c, "status"), "podIPs", json_pack("[{s:s}]", "ip", ip));
	return c;
}

static void apply_owned(struct k8s_index *idx, enum k8s_kind kind, enum k8s_event_type type,
			json_t *obj, int expect)
{
	assert_int_equal(k8s_index_apply(idx, kind, type, obj), expect);
	json_decref(obj);
}

/* --- tests ----------------------------------------------------------------- */

static void test_fixtures_load(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	struct k8s_index_stats st;
	size_t np, ns, ne;

	(void)state;
	np = apply_list(idx, K8S_KIND_POD, fx_pods);
	ns = apply_list(idx, K8S_KIND_SERVICE, fx_services);
	ne = apply_list(idx, K8S_KIND_ENDPOINTSLICE, fx_slices);
	k8s_index_get_stats(idx, &st);
	assert_int_equal(st.objects[K8S_KIND_POD], np);
	assert_int_equal(st.objects[K8S_KIND_SERVICE], ns);
	assert_int_equal(st.objects[K8S_KIND_ENDPOINTSLICE], ne);
	assert_int_equal(st.applied[K8S_KIND_POD], np);
	assert_int_equal(st.rejected, 0);
	/* Own IPs of pods that run: 10.200.{1.2,2.2,3.2,1.5,1.7,1.10,1.20,1.30,1.40,4.2}
	 * and fd00:10:200:1::30; not the finished Job's, the pending pod's or the
	 * node IP of hostNetwork pods. */
	assert_int_equal(st.pod_ips, 11);
	/* ClusterIPs 10.96.0.{1,10,20,30,40,50}, fd00:10:96::32 (headless has none)
	 * and endpoint addresses node IP, 10.200.{1.2,2.2,3.2,3.3,3.4,1.30,1.20},
	 * fd00:10:200:1::30. */
	assert_int_equal(st.service_addrs, 7 + 9);
	k8s_index_free(idx);
}

static void test_deployment_pod(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	assert_true(pod_at(idx, "10.200.1.2", 8080, &r));
	assert_string_equal(r.name, "frontend-7c9f8d6b5-x2m4q");
	assert_string_equal(r.namespace_, "shop");
	assert_string_equal(r.uid, uid_of(item(fx_pods, r.name)));
	assert_string_equal(r.node, "node-a");
	assert_string_equal(r.service_account, "shop-frontend");
	assert_string_equal(r.workload, "frontend");
	assert_string_equal(r.workload_kind, "Deployment");
	assert_string_equal(r.app, "frontend");
	assert_string_equal(r.version, "v1");
	assert_string_equal(r.canonical_service, "frontend");
	assert_string_equal(r.canonical_revision, "v1");
	/* No OTel annotation or app.kubernetes.io label: the Deployment's name,
	 * and the version from the one container's image tag. */
	assert_string_equal(r.service_name, "frontend");
	assert_string_equal(r.service_version, "1.4.2");
	assert_string_equal(r.container, "");
	assert_false(r.host_network);
	k8s_index_free(idx);
}

static void test_recommended_labels(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	assert_true(pod_at(idx, "10.200.2.2", 0, &r));
	assert_string_equal(r.name, "checkout-6b8d4f5c9d-q7wzn");
	assert_string_equal(r.workload, "checkout");
	assert_string_equal(r.workload_kind, "Deployment");
	/* app.kubernetes.io/instance comes before app.kubernetes.io/name. */
	assert_string_equal(r.service_name, "checkout-prod");
	assert_string_equal(r.service_version, "2.1.0");
	/* Istio uses the name, not the instance. */
	assert_string_equal(r.canonical_service, "checkout");
	assert_string_equal(r.canonical_revision, "2.1.0");
	assert_string_equal(r.app, "checkout");
	assert_string_equal(r.version, "2.1.0");

	/* fluent-bit: a DaemonSet whose app.kubernetes.io/name names it. */
	assert_true(pod_at(idx, "10.200.1.5", 0, &r));
	assert_string_equal(r.workload, "fluent-bit");
	assert_string_equal(r.workload_kind, "DaemonSet");
	assert_string_equal(r.service_name, "fluent-bit");
	assert_string_equal(r.canonical_revision, "latest");
	k8s_index_free(idx);
}

static void test_otel_annotations_and_istio_labels(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	assert_true(pod_at(idx, "10.200.3.2", 9090, &r));
	assert_string_equal(r.name, "payments-0");
	assert_string_equal(r.workload, "payments");
	assert_string_equal(r.workload_kind, "StatefulSet");
	assert_string_equal(r.service_name, "payments-api");
	assert_string_equal(r.service_version, "3.0.1-otel");
	assert_string_equal(r.canonical_service, "payments-core");
	assert_string_equal(r.canonical_revision, "v3-stable");
	assert_string_equal(r.app, "payments");
	assert_string_equal(r.version, "v3");
	k8s_index_free(idx);
}

static void test_service_name_order(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	json_t *pod = item(fx_pods, "checkout-6b8d4f5c9d-q7wzn"), *c, *labels;
	struct k8s_pod_ref r;

	(void)state;
	/* annotation > app.kubernetes.io/instance > app.kubernetes.io/name > workload */
	c = json_deep_copy(pod);
	json_object_set_new(json_object_get(c, "metadata"), "annotations",
			    json_pack("{s:s}", "resource.opentelemetry.io/service.name", "co"));
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c, 0);
	assert_true(pod_at(idx, "10.200.2.2", 0, &r));
	assert_string_equal(r.service_name, "co");

	c = json_deep_copy(pod);
	labels = json_object_get(json_object_get(c, "metadata"), "labels");
	json_object_del(labels, "app.kubernetes.io/instance");
	json_object_set_new(labels, "app.kubernetes.io/name", json_string("checkout-svc"));
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c, 0);
	assert_true(pod_at(idx, "10.200.2.2", 0, &r));
	assert_string_equal(r.service_name, "checkout-svc");

	c = json_deep_copy(pod);
	labels = json_object_get(json_object_get(c, "metadata"), "labels");
	json_object_del(labels, "app.kubernetes.io/instance");
	json_object_set_new(labels, "app.kubernetes.io/name", json_string(""));
	json_object_del(labels, "app.kubernetes.io/version");
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c, 0);
	assert_true(pod_at(idx, "10.200.2.2", 0, &r));
	assert_string_equal(r.service_name, "checkout"); /* the Deployment */
	assert_string_equal(r.canonical_service, "checkout");
	assert_string_equal(r.canonical_revision, "latest");
	k8s_index_free(idx);
}

static void test_workload_kinds(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	/* Job "report-28613520" (scheduled minute) belongs to CronJob "report". */
	assert_true(pod_at(idx, "10.200.1.7", 0, &r));
	assert_string_equal(r.workload, "report");
	assert_string_equal(r.workload_kind, "CronJob");
	assert_string_equal(r.service_name, "report");
	assert_string_equal(r.canonical_service, "report");

	/* A bare pod is its own workload. */
	assert_true(pod_at(idx, "10.200.1.10", 0, &r));
	assert_string_equal(r.workload, "debug-shell");
	assert_string_equal(r.workload_kind, "Pod");
	assert_string_equal(r.service_name, "debug-shell");
	assert_string_equal(r.canonical_service, "debug-shell");

	/* A ReplicaSet without pod-template-hash stays a ReplicaSet; the OTel
	 * name is its name (label app is not in the OTel list), Istio's is app. */
	assert_true(pod_at(idx, "10.200.1.40", 0, &r));
	assert_string_equal(r.workload, "legacy-rs");
	assert_string_equal(r.workload_kind, "ReplicaSet");
	assert_string_equal(r.service_name, "legacy-rs");
	assert_string_equal(r.canonical_service, "legacy");

	/* A Job without the timestamp suffix, found by uid (it finished). */
	assert_true(k8s_index_pod_by_uid(idx, uid_of(item(fx_pods, "db-migrate-x7k2p")), NULL, &r));
	assert_string_equal(r.workload, "db-migrate");
	assert_string_equal(r.workload_kind, "Job");

	/* A static pod's mirror is owned by its Node: the pod is the workload. */
	assert_true(pod_at(idx, NODE_A_IP, 6443, &r));
	assert_string_equal(r.name, "kube-apiserver-node-a");
	assert_string_equal(r.workload, "kube-apiserver-node-a");
	assert_string_equal(r.workload_kind, "Pod");

	/* A pod on another node keeps its node name. */
	assert_true(pod_at(idx, "10.200.4.2", 9080, &r));
	assert_string_equal(r.workload, "reviews-v2");
	assert_string_equal(r.node, "node-b");
	k8s_index_free(idx);
}

static void test_cronjob_suffix_rules(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	json_t *pod = item(fx_pods, "report-28613520-q4x9z"), *c, *owner;
	static const struct {
		const char *job, *workload, *kind;
	} cases[] = {
	    {"report-28613520", "report", "CronJob"},
	    {"nightly-backup-2861352000", "nightly-backup", "CronJob"},
	    {"migrate-2", "migrate-2", "Job"},			   /* too short to be a minute */
	    {"report-286135200000", "report-286135200000", "Job"}, /* too long */
	    {"28613520", "28613520", "Job"},			   /* nothing before the dash */
	};
	struct k8s_pod_ref r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = json_deep_copy(pod);
		owner = json_array_get(
		    json_object_get(json_object_get(c, "metadata"), "ownerReferences"), 0);
		json_object_set_new(owner, "name", json_string(cases[i].job));
		apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c, 0);
		assert_true(pod_at(idx, "10.200.1.7", 0, &r));
		assert_string_equal(r.workload, cases[i].workload);
		assert_string_equal(r.workload_kind, cases[i].kind);
	}
	k8s_index_free(idx);
}

static void test_finished_pod_owns_no_ip(void **state)
{
	struct k8s_index *idx = full_index();

	(void)state;
	assert_string_equal(pod_name_at(idx, "10.200.1.9", 0), "");
	/* A new pod on the finished pod's IP is named at once. */
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_ADDED,
		    pod_on_ip(item(fx_pods, "debug-shell"), "10.200.1.9"), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.9", 0), "debug-shell");
	k8s_index_free(idx);
}

static void test_ip_reuse_fixture(void **state)
{
	struct k8s_index *idx = full_index();
	json_t *old = item(fx_pods, "cart-6f7d9b8c5-bx4lp");

	(void)state;
	/* The list has the new pod first, then the terminating one. */
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 8080), "cart-5b9c7d6f4-zt8mq");
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_DELETED, old), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 8080), "cart-5b9c7d6f4-zt8mq");
	k8s_index_free(idx);
}

/* Old pod on the IP, then in every event order a new pod takes it. */
static void test_ip_reuse_orders(void **state)
{
	json_t *old = item(fx_pods, "cart-6f7d9b8c5-bx4lp"),
	       *new = item(fx_pods, "cart-5b9c7d6f4-zt8mq");
	json_t *old_running = edited(old, "metadata", "deletionTimestamp", NULL);
	const char *new_name = "cart-5b9c7d6f4-zt8mq", *old_name = "cart-6f7d9b8c5-bx4lp";
	struct k8s_index *idx;

	(void)state;
	/* 1: old runs, old is being deleted, new arrives, old is deleted. */
	idx = k8s_index_new(NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, old_running), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), old_name);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, old), 0);
	/* Alone, a terminating pod still answers for its IP. */
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), old_name);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, new), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_DELETED, old), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	k8s_index_free(idx);

	/* 2: new arrives before the old one's deletion shows (both running):
	 * the newer creationTimestamp wins, and a late MODIFIED of the old pod
	 * does not take the IP back. */
	idx = k8s_index_new(NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, new), 0);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, old_running), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, old_running), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_DELETED, old), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	k8s_index_free(idx);

	/* 3: old deleted first, then new: nothing in between, then new. */
	idx = k8s_index_new(NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, old_running), 0);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_DELETED, old), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), "");
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, new), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), new_name);
	/* Deleting the winner leaves no one: the loser was already gone. */
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_DELETED, new), 0);
	assert_string_equal(pod_name_at(idx, "10.200.1.20", 0), "");
	k8s_index_free(idx);
	json_decref(old_running);
}

static void test_modified_moves_ip(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	json_t *pod = item(fx_pods, "frontend-7c9f8d6b5-x2m4q");
	struct k8s_index_stats before, after;

	(void)state;
	/* Pods only: the frontend slice would still name its old address. */
	apply_list(idx, K8S_KIND_POD, fx_pods);
	k8s_index_get_stats(idx, &before);
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, pod_on_ip(pod, "10.200.1.99"), 0);
	k8s_index_get_stats(idx, &after);
	assert_string_equal(pod_name_at(idx, "10.200.1.2", 0), "");
	assert_string_equal(pod_name_at(idx, "10.200.1.99", 0), "frontend-7c9f8d6b5-x2m4q");
	assert_int_equal(after.pod_ips, before.pod_ips);
	assert_int_equal(after.objects[K8S_KIND_POD], before.objects[K8S_KIND_POD]);
	k8s_index_free(idx);
}

static void test_dual_stack_pod(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	assert_true(pod_at(idx, "fd00:10:200:1::30", 8080, &r));
	assert_string_equal(r.name, "inventory-84d9c6b7f5-m2kq8");
	assert_string_equal(r.workload, "inventory");
	assert_string_equal(r.service_version, "1.0.0");
	assert_string_equal(pod_name_at(idx, "10.200.1.30", 8080), "inventory-84d9c6b7f5-m2kq8");
	k8s_index_free(idx);
}

static void test_host_network(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_pod_ref r;

	(void)state;
	/* Three hostNetwork pods share node-a's IP: the port picks one. */
	assert_true(pod_at(idx, NODE_A_IP, 9100, &r));
	assert_string_equal(r.name, "node-exporter-k9x2p");
	assert_string_equal(r.workload, "node-exporter");
	assert_string_equal(r.workload_kind, "DaemonSet");
	assert_true(r.host_network);
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 10256), "kube-proxy-8w5xz");
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 10249), "kube-proxy-8w5xz");
	/* No port, or a port none declares: the node IP is nobody's. */
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 0), "");
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 22), "");
	k8s_index_free(idx);

	/* A node running one hostNetwork pod: port 0 names it. */
	idx = k8s_index_new(NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED,
					 item(fx_pods, "node-exporter-k9x2p")),
			 0);
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 0), "node-exporter-k9x2p");
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 22), "");
	k8s_index_free(idx);
}

static void test_pod_by_uid(void **state)
{
	struct k8s_index *idx = full_index();
	json_t *pay = item(fx_pods, "payments-0"), *co = item(fx_pods, "checkout-6b8d4f5c9d-q7wzn");
	json_t *rev = item(fx_pods, "reviews-v2-5d7c9f8b6-h8r2t");
	char shortid[13];
	struct k8s_pod_ref r;

	(void)state;
	assert_true(k8s_index_pod_by_uid(idx, uid_of(co), container_id_of(co, "checkout"), &r));
	assert_string_equal(r.name, "checkout-6b8d4f5c9d-q7wzn");
	assert_string_equal(r.container, "checkout");

	assert_true(
	    k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(pay, "log-shipper"), &r));
	assert_string_equal(r.container, "log-shipper");
	assert_string_equal(r.service_version, "3.0.1-otel"); /* annotation beats image */

	/* cri-o ids too, and the 12-character short form. */
	snprintf(shortid, sizeof(shortid), "%s", container_id_of(rev, "reviews"));
	assert_true(k8s_index_pod_by_uid(idx, uid_of(rev), shortid, &r));
	assert_string_equal(r.container, "reviews");

	/* The pod's own cgroup, or an id the pod does not have. */
	assert_true(k8s_index_pod_by_uid(idx, uid_of(pay), NULL, &r));
	assert_string_equal(r.container, "");
	assert_true(k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(co, "checkout"), &r));
	assert_string_equal(r.container, "");

	/* A static pod by the uid kubelet puts in its cgroup path. */
	assert_true(k8s_index_pod_by_uid(idx, "3f8a7c2e9b1d4e6f8a0c2b4d6e8f0a1c", NULL, &r));
	assert_string_equal(r.name, "kube-apiserver-node-a");

	assert_false(k8s_index_pod_by_uid(idx, "00000000-0000-4000-8000-000000000000", NULL, &r));
	assert_false(k8s_index_pod_by_uid(idx, "", NULL, &r));
	k8s_index_free(idx);
}

/* Without annotation or label, service.version comes from the container's image. */
static void test_version_from_image(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	json_t *pay = item(fx_pods, "payments-0"), *c = json_deep_copy(pay), *cont;
	struct k8s_pod_ref r;

	(void)state;
	json_object_del(json_object_get(c, "metadata"), "annotations");
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, c), 0);
	/* Two containers: no one version for the pod... */
	assert_true(pod_at(idx, "10.200.3.2", 0, &r));
	assert_string_equal(r.service_version, "");
	/* ...but each container has its own. */
	assert_true(
	    k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(pay, "log-shipper"), &r));
	assert_string_equal(r.service_version, "3.0.4");
	assert_true(k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(pay, "payments"), &r));
	assert_string_equal(r.service_version, "3.0.1");

	/* tag@digest, and a registry port that is not a tag. */
	cont = json_array_get(json_object_get(json_object_get(c, "spec"), "containers"), 0);
	json_object_set_new(cont, "image", json_string("reg.local:5000/pay@sha256:0123abcd"));
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c), 0);
	assert_true(k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(pay, "payments"), &r));
	assert_string_equal(r.service_version, "sha256:0123abcd");
	json_object_set_new(cont, "image", json_string("reg.local:5000/pay:3.1@sha256:0123abcd"));
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, c), 0);
	assert_true(k8s_index_pod_by_uid(idx, uid_of(pay), container_id_of(pay, "payments"), &r));
	assert_string_equal(r.service_version, "3.1@sha256:0123abcd");
	json_decref(c);
	k8s_index_free(idx);
}

static void test_services(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_service_ref s;
	uint8_t a[16];

	(void)state;
	assert_true(svc_at(idx, "10.96.0.20", 8080, &s));
	assert_string_equal(s.name, "checkout");
	assert_string_equal(s.namespace_, "shop");
	assert_string_equal(s.fqdn, "checkout.shop.svc.cluster.local");
	assert_string_equal(svc_name_at(idx, "10.96.0.20", 0), "checkout");
	assert_string_equal(svc_name_at(idx, "10.96.0.20", 9999), "");
	assert_string_equal(svc_name_at(idx, "10.96.0.30", 9090), "payments");
	assert_string_equal(svc_name_at(idx, "10.96.0.10", 80), "frontend");
	/* Both families of a dual-stack Service. */
	assert_string_equal(svc_name_at(idx, "fd00:10:96::32", 8080), "inventory");
	assert_string_equal(svc_name_at(idx, "10.96.0.50", 8080), "inventory");

	to_addr("10.96.0.20", a);
	assert_true(k8s_index_is_cluster_ip(idx, a));
	to_addr("fd00:10:96::32", a);
	assert_true(k8s_index_is_cluster_ip(idx, a));
	to_addr("10.200.2.2", a);
	assert_false(k8s_index_is_cluster_ip(idx, a));
	k8s_index_free(idx);

	idx = k8s_index_new("corp.example");
	apply_list(idx, K8S_KIND_SERVICE, fx_services);
	assert_true(svc_at(idx, "10.96.0.20", 8080, &s));
	assert_string_equal(s.fqdn, "checkout.shop.svc.corp.example");
	k8s_index_free(idx);
}

static void test_endpoint_fallback(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_service_ref s;
	struct k8s_pod_ref r;

	(void)state;
	/* A pod address:targetPort belongs to the Service its slice names. */
	assert_true(svc_at(idx, "10.200.2.2", 8080, &s));
	assert_string_equal(s.name, "checkout");
	assert_string_equal(s.fqdn, "checkout.shop.svc.cluster.local");
	assert_string_equal(svc_name_at(idx, "10.200.2.2", 9999), "");
	assert_string_equal(svc_name_at(idx, "fd00:10:200:1::30", 8080), "inventory");
	assert_string_equal(svc_name_at(idx, NODE_A_IP, 6443), "kubernetes");
	assert_string_equal(svc_name_at(idx, "10.200.3.3", 9090), "payments");
	/* payments-2 is not ready. */
	assert_string_equal(svc_name_at(idx, "10.200.3.4", 9090), "");

	/* A pod on another node, not in the pod list, named by targetRef. */
	assert_true(pod_at(idx, "10.200.3.3", 9090, &r));
	assert_string_equal(r.name, "payments-1");
	assert_string_equal(r.namespace_, "shop");
	assert_string_equal(r.node, "node-b");
	assert_string_equal(r.uid, "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4b03");
	assert_string_equal(r.workload, "");
	k8s_index_free(idx);
}

static void test_slice_addresses_change(void **state)
{
	struct k8s_index *idx = full_index();
	json_t *sl = json_deep_copy(item(fx_slices, "checkout-7xk2p")), *ep;
	struct k8s_index_stats before, after;

	(void)state;
	k8s_index_get_stats(idx, &before);
	ep = json_array_get(json_object_get(sl, "endpoints"), 0);
	json_object_set_new(ep, "addresses", json_pack("[s]", "10.200.2.9"));
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_MODIFIED, sl), 0);
	assert_string_equal(svc_name_at(idx, "10.200.2.2", 8080), "");
	assert_string_equal(svc_name_at(idx, "10.200.2.9", 8080), "checkout");
	k8s_index_get_stats(idx, &after);
	assert_int_equal(after.service_addrs, before.service_addrs);

	/* Readiness changes are applied too. */
	json_object_set_new(json_object_get(ep, "conditions"), "ready", json_false());
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_MODIFIED, sl), 0);
	assert_string_equal(svc_name_at(idx, "10.200.2.9", 8080), "");

	assert_int_equal(k8s_index_apply(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_DELETED, sl), 0);
	k8s_index_get_stats(idx, &after);
	assert_int_equal(after.service_addrs, before.service_addrs - 1);
	assert_int_equal(after.objects[K8S_KIND_ENDPOINTSLICE],
			 before.objects[K8S_KIND_ENDPOINTSLICE] - 1);
	/* The ClusterIP is the Service's, not the slice's. */
	assert_string_equal(svc_name_at(idx, "10.96.0.20", 8080), "checkout");
	json_decref(sl);
	k8s_index_free(idx);
}

static void test_resync(void **state)
{
	struct k8s_index *idx = full_index();
	struct k8s_index_stats st;
	struct k8s_pod_ref r;

	(void)state;
	/* Without begin, end deletes nothing. */
	k8s_index_resync_end(idx, K8S_KIND_POD);
	assert_string_equal(pod_name_at(idx, "10.200.3.2", 0), "payments-0");

	/* The relist holds two pods: the others' DELETED events were missed. */
	k8s_index_resync_begin(idx, K8S_KIND_POD);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED,
					 item(fx_pods, "frontend-7c9f8d6b5-x2m4q")),
			 0);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED,
					 item(fx_pods, "checkout-6b8d4f5c9d-q7wzn")),
			 0);
	/* Until the list ends, lookups still see the old state. */
	assert_string_equal(pod_name_at(idx, "10.200.3.2", 0), "payments-0");
	k8s_index_resync_end(idx, K8S_KIND_POD);

	k8s_index_get_stats(idx, &st);
	assert_int_equal(st.objects[K8S_KIND_POD], 2);
	assert_int_equal(st.pod_ips, 2);
	assert_string_equal(pod_name_at(idx, "10.200.1.2", 0), "frontend-7c9f8d6b5-x2m4q");
	assert_false(k8s_index_pod_by_uid(idx, uid_of(item(fx_pods, "payments-0")), NULL, &r));
	assert_string_equal(pod_name_at(idx, NODE_A_IP, 9100), "");
	/* payments-0 is now known only as its slice's targetRef: no workload. */
	assert_true(pod_at(idx, "10.200.3.2", 9090, &r));
	assert_string_equal(r.name, "payments-0");
	assert_string_equal(r.workload, "");
	/* Other kinds are untouched. */
	assert_int_equal(st.objects[K8S_KIND_SERVICE],
			 json_array_size(json_object_get(fx_services, "items")));
	assert_string_equal(svc_name_at(idx, "10.96.0.30", 9090), "payments");

	/* An empty relist of Services empties them. */
	k8s_index_resync_begin(idx, K8S_KIND_SERVICE);
	k8s_index_resync_end(idx, K8S_KIND_SERVICE);
	assert_string_equal(svc_name_at(idx, "10.96.0.30", 9090), "");
	/* The slices still name their endpoints. */
	assert_string_equal(svc_name_at(idx, "10.200.3.2", 9090), "payments");
	k8s_index_get_stats(idx, &st);
	assert_int_equal(st.objects[K8S_KIND_SERVICE], 0);
	k8s_index_free(idx);
}

static void check_cgroup(const char *path, int ret, const char *uid, const char *cid)
{
	char u[K8S_UID_MAX], c[80];

	memset(u, 'x', sizeof(u));
	memset(c, 'x', sizeof(c));
	assert_int_equal(k8s_cgroup_pod(path, u, c, sizeof(c)), ret);
	if (ret)
		return;
	assert_string_equal(u, uid);
	assert_string_equal(c, cid);
}

#define UID  "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a02"
#define UIDU "6f1c2a7e_3b4d_4e5f_8a9b_0c1d2e3f4a02"
#define CID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cgroup_paths(void **state)
{
	struct k8s_index *idx;
	struct k8s_pod_ref r;
	char u[K8S_UID_MAX], c[80];
	const char *path;

	(void)state;
	/* systemd driver: burstable, besteffort, guaranteed (no qos level). */
	check_cgroup("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU
		     ".slice/cri-containerd-" CID ".scope",
		     0, UID, CID);
	check_cgroup("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU
		     ".slice/crio-" CID ".scope",
		     0, UID, CID);
	check_cgroup("/kubepods.slice/kubepods-pod" UIDU ".slice/docker-" CID ".scope", 0, UID,
		     CID);
	/* kind and other nested kubelets. */
	check_cgroup("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		     "kubelet-kubepods-besteffort-pod" UIDU ".slice/cri-containerd-" CID ".scope",
		     0, UID, CID);
	/* The pod's own cgroup, and crio's conmon beside the container. */
	check_cgroup("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU
		     ".slice",
		     0, UID, "");
	check_cgroup("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU
		     ".slice/crio-conmon-" CID ".scope",
		     0, UID, "");
	/* cgroupfs driver, with and without a qos level, and a nested cgroup. */
	check_cgroup("/kubepods/burstable/pod" UID "/" CID, 0, UID, CID);
	check_cgroup("/kubepods/besteffort/pod" UID "/" CID "/init", 0, UID, CID);
	check_cgroup("/kubepods/pod" UID "/" CID, 0, UID, CID);
	check_cgroup("/kubepods/pod" UID, 0, UID, "");
	/* Static pods: kubelet's 32-hex uid. */
	check_cgroup("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		     "3f8a7c2e9b1d4e6f8a0c2b4d6e8f0a1c.slice/cri-containerd-" CID ".scope",
		     0, "3f8a7c2e9b1d4e6f8a0c2b4d6e8f0a1c", CID);

	/* Not pods. */
	check_cgroup("/", -ENOENT, NULL, NULL);
	check_cgroup("", -ENOENT, NULL, NULL);
	check_cgroup("/system.slice/containerd.service", -ENOENT, NULL, NULL);
	check_cgroup("/user.slice/user-1000.slice/session-2.scope", -ENOENT, NULL, NULL);
	check_cgroup("/kubepods.slice/kubepods-burstable.slice", -ENOENT, NULL, NULL);
	check_cgroup("/kubepods/burstable", -ENOENT, NULL, NULL);
	check_cgroup("/system.slice/pod" UID "/" CID, -ENOENT, NULL, NULL);
	check_cgroup("/kubepods/burstable/podnot-a-uid/" CID, -ENOENT, NULL, NULL);
	check_cgroup("/kubepods/burstable/pod" UID "zz/" CID, -ENOENT, NULL, NULL);

	/* A short container id is not one. */
	check_cgroup("/kubepods/burstable/pod" UID "/0123abcd", 0, UID, "");

	/* Round trip: the cgroup of a fixture container names it. */
	idx = full_index();
	path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
	       "6f1c2a7e_3b4d_4e5f_8a9b_0c1d2e3f4a03.slice/cri-containerd-%s.scope";
	{
		char full[512];

		snprintf(full, sizeof(full), path,
			 container_id_of(item(fx_pods, "payments-0"), "log-shipper"));
		assert_int_equal(k8s_cgroup_pod(full, u, c, sizeof(c)), 0);
	}
	assert_true(k8s_index_pod_by_uid(idx, u, c, &r));
	assert_string_equal(r.name, "payments-0");
	assert_string_equal(r.container, "log-shipper");
	k8s_index_free(idx);
}

/* Each malformed object is refused, counted, and leaves the index as it was. */
static void test_malformed(void **state)
{
	struct k8s_index *idx = full_index();
	json_t *pod = item(fx_pods, "frontend-7c9f8d6b5-x2m4q");
	json_t *svc = item(fx_services, "checkout"), *sl = item(fx_slices, "checkout-7xk2p");
	struct k8s_index_stats before, after;
	json_t *c, *bad_pods[9], *j;
	char longuid[64];
	size_t i, n = 0;

	(void)state;
	k8s_index_get_stats(idx, &before);
	bad_pods[n++] = json_string("not an object");
	bad_pods[n++] = edited(pod, "metadata", "uid", NULL);
	bad_pods[n++] = edited(pod, "metadata", "namespace", "");
	c = json_deep_copy(pod);
	json_object_set_new(json_object_get(c, "metadata"), "uid", json_integer(7));
	bad_pods[n++] = c;
	memset(longuid, 'a', sizeof(longuid) - 1);
	longuid[sizeof(longuid) - 1] = '\0';
	bad_pods[n++] = edited(pod, "metadata", "uid", longuid);
	c = json_deep_copy(pod);
	json_object_set_new(json_object_get(c, "status"), "podIPs", json_string("10.200.1.77"));
	bad_pods[n++] = c;
	bad_pods[n++] = pod_on_ip(pod, "10.200.1.300");
	c = json_deep_copy(pod);
	json_object_set_new(json_object_get(c, "metadata"), "ownerReferences",
			    json_pack("{s:s}", "kind", "ReplicaSet"));
	bad_pods[n++] = c;
	bad_pods[n++] = edited(pod, "status", "podIP", NULL);		      /* fine so far... */
	json_object_set_new(bad_pods[n - 1], "kind", json_string("Service")); /* ...wrong kind */

	for (i = 0; i < n; i++)
		apply_owned(idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, bad_pods[i], -EINVAL);
	/* The earlier good version of the pod is still there, on its IP. */
	assert_string_equal(pod_name_at(idx, "10.200.1.2", 0), "frontend-7c9f8d6b5-x2m4q");
	assert_string_equal(pod_name_at(idx, "10.200.1.77", 0), "");

	/* Services: a port by name, a bad ClusterIP. */
	c = json_deep_copy(svc);
	j = json_array_get(json_object_get(json_object_get(c, "spec"), "ports"), 0);
	json_object_set_new(j, "port", json_string("http"));
	apply_owned(idx, K8S_KIND_SERVICE, K8S_EVENT_MODIFIED, c, -EINVAL);
	apply_owned(idx, K8S_KIND_SERVICE, K8S_EVENT_MODIFIED,
		    edited(svc, "spec", "clusterIP", "10.96.0.x"), -EINVAL);
	c = json_deep_copy(svc);
	j = json_array_get(json_object_get(json_object_get(c, "spec"), "ports"), 0);
	json_object_set_new(j, "port", json_integer(70000));
	apply_owned(idx, K8S_KIND_SERVICE, K8S_EVENT_MODIFIED, c, -EINVAL);
	assert_string_equal(svc_name_at(idx, "10.96.0.20", 8080), "checkout");

	/* Slices: addresses not a list, an address that is not one. */
	c = json_deep_copy(sl);
	json_object_set_new(json_array_get(json_object_get(c, "endpoints"), 0), "addresses",
			    json_string("10.200.2.2"));
	apply_owned(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_MODIFIED, c, -EINVAL);
	c = json_deep_copy(sl);
	json_object_set_new(json_array_get(json_object_get(c, "endpoints"), 0), "addresses",
			    json_pack("[s]", "checkout.example"));
	apply_owned(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_MODIFIED, c, -EINVAL);
	c = json_deep_copy(sl);
	json_object_set_new(c, "endpoints", json_pack("{}"));
	apply_owned(idx, K8S_KIND_ENDPOINTSLICE, K8S_EVENT_MODIFIED, c, -EINVAL);
	assert_string_equal(svc_name_at(idx, "10.200.2.2", 8080), "checkout");

	/* A DELETED without a uid cannot say what to delete. */
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_DELETED, edited(pod, "metadata", "uid", NULL),
		    -EINVAL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_POD, K8S_EVENT_ADDED, NULL), -EINVAL);

	k8s_index_get_stats(idx, &after);
	assert_int_equal(after.rejected, before.rejected + n + 3 + 3 + 2);
	assert_int_equal(after.applied[K8S_KIND_POD], before.applied[K8S_KIND_POD]);
	assert_int_equal(after.objects[K8S_KIND_POD], before.objects[K8S_KIND_POD]);
	assert_int_equal(after.pod_ips, before.pod_ips);
	k8s_index_free(idx);
}

/* Long and multi-byte values are cut to the buffer, never mid-character. */
static void test_truncation(void **state)
{
	struct k8s_index *idx = k8s_index_new(NULL);
	json_t *c = json_deep_copy(item(fx_pods, "debug-shell"));
	char name[2 * 200 + 1];
	struct k8s_pod_ref r;
	size_t i;

	(void)state;
	/* "é" is two bytes; 200 of them do not fit in service_name. */
	for (i = 0; i < 200; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[2 * 200] = '\0';
	json_object_set_new(json_object_get(c, "metadata"), "annotations",
			    json_pack("{s:s}", "resource.opentelemetry.io/service.name", name));
	json_object_set_new(json_object_get(c, "metadata"), "labels",
			    json_pack("{s:s}", "app",
				      "abcdefghijklmnopqrstuvwxyz0123456789"
				      "abcdefghijklmnopqrstuvwxyz0123456789"));
	apply_owned(idx, K8S_KIND_POD, K8S_EVENT_ADDED, c, 0);
	assert_true(pod_at(idx, "10.200.1.10", 0, &r));
	assert_int_equal(strlen(r.service_name), K8S_NAME_MAX - 2); /* 126 whole characters */
	assert_memory_equal(r.service_name, name, K8S_NAME_MAX - 2);
	assert_int_equal(strlen(r.app), K8S_LABEL_MAX - 1);
	k8s_index_free(idx);
}

/*
 * Every member of every fixture object, replaced in turn by each JSON type:
 * applied or rejected, never a crash (this suite runs under ASan/UBSan).
 */
static void confuse(struct k8s_index *idx, enum k8s_kind kind, json_t *root, json_t *node,
		    size_t *tries);

/* Tries each substitute for node[key], then puts the original back. */
static void confuse_member(struct k8s_index *idx, enum k8s_kind kind, json_t *root, json_t *node,
			   const char *key, size_t *tries)
{
	json_t *subs[] = {json_null(), json_integer(-1), json_string("::x"),
			  json_true(), json_array(),	 json_object()};
	json_t *saved = json_incref(json_object_get(node, key));
	size_t j;
	int ret;

	for (j = 0; j < sizeof(subs) / sizeof(subs[0]); j++) {
		json_object_set_new(node, key, subs[j]);
		ret = k8s_index_apply(idx, kind, K8S_EVENT_MODIFIED, root);
		assert_true(ret == 0 || ret == -EINVAL);
		(*tries)++;
	}
	json_object_set_new(node, key, saved);
	confuse(idx, kind, root, saved, tries);
}

static void confuse(struct k8s_index *idx, enum k8s_kind kind, json_t *root, json_t *node,
		    size_t *tries)
{
	const char *key;
	void *tmp;
	json_t *v;
	size_t i;

	if (json_is_array(node)) {
		json_array_foreach(node, i, v) confuse(idx, kind, root, v, tries);
		return;
	}
	json_object_foreach_safe(node, tmp, key, v)
	    confuse_member(idx, kind, root, node, key, tries);
}

static void test_type_confusion(void **state)
{
	struct k8s_index *idx = full_index();
	json_t *lists[] = {fx_pods, fx_services, fx_slices}, *c, *it;
	struct k8s_index_stats st;
	size_t k, i, tries = 0;

	(void)state;
	for (k = 0; k < 3; k++) {
		c = json_deep_copy(lists[k]);
		json_array_foreach(json_object_get(c, "items"), i, it)
		    confuse(idx, (enum k8s_kind)k, it, it, &tries);
		json_decref(c);
	}
	k8s_index_get_stats(idx, &st);
	assert_true(st.rejected > 0 && st.rejected < tries);
	/* Every object is back to its fixture version (the last apply of each). */
	assert_string_equal(pod_name_at(idx, "10.200.2.2", 0), "checkout-6b8d4f5c9d-q7wzn");
	assert_string_equal(svc_name_at(idx, "10.96.0.20", 8080), "checkout");
	k8s_index_free(idx);
}

struct race {
	struct k8s_index *idx;
	json_t *a, *b;
	volatile int stop;
};

static void *race_writer(void *arg)
{
	struct race *rc = arg;
	int i;

	for (i = 0; i < 2000; i++)
		k8s_index_apply(rc->idx, K8S_KIND_POD, K8S_EVENT_MODIFIED, i % 2 ? rc->a : rc->b);
	rc->stop = 1;
	return NULL;
}

/* Lookups during updates see one version or the other, never a torn one. */
static void test_concurrent_updates(void **state)
{
	json_t *pod = item(fx_pods, "frontend-7c9f8d6b5-x2m4q");
	struct race rc = {.idx = k8s_index_new(NULL)};
	struct k8s_pod_ref r;
	pthread_t t;

	(void)state;
	rc.a = pod_on_ip(pod, "10.200.1.2");
	rc.b = pod_on_ip(pod, "10.200.1.3");
	assert_int_equal(pthread_create(&t, NULL, race_writer, &rc), 0);
	while (!rc.stop) {
		if (pod_at(rc.idx, "10.200.1.2", 0, &r) || pod_at(rc.idx, "10.200.1.3", 0, &r)) {
			assert_string_equal(r.name, "frontend-7c9f8d6b5-x2m4q");
			assert_string_equal(r.workload, "frontend");
		}
	}
	pthread_join(t, NULL);
	/* The last write (i = 1999) put the pod back on 10.200.1.2. */
	assert_true(pod_at(rc.idx, "10.200.1.2", 0, &r));
	assert_false(pod_at(rc.idx, "10.200.1.3", 0, &r));
	json_decref(rc.a);
	json_decref(rc.b);
	k8s_index_free(rc.idx);
}

/* A VirtualService's default route (the first rule without match), hosts completed. */
static void test_virtual_service_routes(void **state)
{
	static const char vs[] =
	    "{\"kind\":\"VirtualService\",\"metadata\":{\"name\":\"reviews\",\"namespace\":"
	    "\"shop\",\"uid\":\"vs-1\"},\"spec\":{\"hosts\":[\"reviews\"],\"http\":["
	    "{\"match\":[{\"uri\":{\"prefix\":\"/beta\"}}],\"route\":[{\"destination\":"
	    "{\"host\":\"reviews\",\"subset\":\"v3\"}}]},"
	    "{\"route\":[{\"destination\":{\"host\":\"reviews\",\"subset\":\"v1\"},\"weight\":75},"
	    "{\"destination\":{\"host\":\"reviews.shop\",\"subset\":\"v2\"},\"weight\":25},"
	    "{\"destination\":{\"host\":\"ratings.other.svc.cluster.local\"},\"weight\":0}]}]}}";
	static const char lone[] =
	    "{\"metadata\":{\"name\":\"a-ratings\",\"namespace\":\"other\",\"uid\":\"vs-2\"},"
	    "\"spec\":{\"http\":[{\"route\":[{\"destination\":{\"host\":\"ratings\"}}]}]}}";
	static const char bad[] =
	    "{\"metadata\":{\"name\":\"x\",\"namespace\":\"shop\",\"uid\":\"vs-3\"},"
	    "\"spec\":{\"http\":[{\"route\":[{\"destination\":{\"host\":\"x\"},\"weight\":101}]}]}"
	    "}";
	struct k8s_index *idx = k8s_index_new(NULL);
	struct k8s_route r;
	json_t *j;

	(void)state;
	assert_false(k8s_index_has_routes(idx));
	j = json_loads(vs, 0, NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_VIRTUALSERVICE, K8S_EVENT_ADDED, j), 0);
	json_decref(j);
	assert_true(k8s_index_has_routes(idx));
	assert_true(k8s_index_route_for(idx, "reviews.shop.svc.cluster.local", &r));
	assert_string_equal(r.virtual_service, "shop/reviews");
	assert_int_equal(r.ndests, 2); /* the matched rule's v3 is not the default route */
	assert_string_equal(r.dests[0].subset, "v1");
	assert_int_equal(r.dests[0].weight, 75);
	assert_string_equal(r.dests[1].host, "reviews.shop.svc.cluster.local");
	assert_int_equal(r.dests[1].weight, 25);
	assert_false(k8s_index_route_for(idx, "details.shop.svc.cluster.local", &r));
	/* ratings: routed by two; the first by namespace/name wins, a lone destination is 100 */
	j = json_loads(lone, 0, NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_VIRTUALSERVICE, K8S_EVENT_ADDED, j), 0);
	json_decref(j);
	assert_true(k8s_index_route_for(idx, "ratings.other.svc.cluster.local", &r));
	assert_string_equal(r.virtual_service, "other/a-ratings");
	assert_int_equal(r.dests[0].weight, 100);
	assert_string_equal(r.dests[0].subset, "");
	j = json_loads(bad, 0, NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_VIRTUALSERVICE, K8S_EVENT_ADDED, j),
			 -EINVAL);
	json_decref(j);
	j = json_loads(vs, 0, NULL);
	assert_int_equal(k8s_index_apply(idx, K8S_KIND_VIRTUALSERVICE, K8S_EVENT_DELETED, j), 0);
	json_decref(j);
	assert_false(k8s_index_route_for(idx, "reviews.shop.svc.cluster.local", &r));
	k8s_index_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_virtual_service_routes),
	    cmocka_unit_test(test_fixtures_load),
	    cmocka_unit_test(test_deployment_pod),
	    cmocka_unit_test(test_recommended_labels),
	    cmocka_unit_test(test_otel_annotations_and_istio_labels),
	    cmocka_unit_test(test_service_name_order),
	    cmocka_unit_test(test_workload_kinds),
	    cmocka_unit_test(test_cronjob_suffix_rules),
	    cmocka_unit_test(test_finished_pod_owns_no_ip),
	    cmocka_unit_test(test_ip_reuse_fixture),
	    cmocka_unit_test(test_ip_reuse_orders),
	    cmocka_unit_test(test_modified_moves_ip),
	    cmocka_unit_test(test_dual_stack_pod),
	    cmocka_unit_test(test_host_network),
	    cmocka_unit_test(test_pod_by_uid),
	    cmocka_unit_test(test_version_from_image),
	    cmocka_unit_test(test_services),
	    cmocka_unit_test(test_endpoint_fallback),
	    cmocka_unit_test(test_slice_addresses_change),
	    cmocka_unit_test(test_resync),
	    cmocka_unit_test(test_cgroup_paths),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_type_confusion),
	    cmocka_unit_test(test_concurrent_updates),
	};

	return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}

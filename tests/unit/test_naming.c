// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for user/naming/naming.c: how an edge's end is named from its address,
 * its cgroup and its process. A temp identities file and a temp directory
 * tree standing in for the cgroup2 mount (cgroup ids are directory inode
 * numbers) make the inputs; nothing here needs root or a real cgroup.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "naming/naming.h"
#include "test_util.h"
#include "lib/addr.h"

static const char identities[] =
    "# test identities\n"
    "10.0.0.1        workload=api namespace=prod service=api-svc\n"
    "10.0.0.0/24     workload=lan-host namespace=lan\n"
    "fd00::5         workload=v6-app namespace=prod\n"
    "cgroup:/kubepods/pod1 workload=web namespace=shop service=web-svc\n";

/* A kubelet's systemd-driver cgroup for container "app" of pod uid POD_A_UID. */
#define POD_A_UID "5b3c2a10-8d4e-4f6a-9b1c-2d3e4f5a6b7c"
#define CTR_ID	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K8S_SLICE "/kubepods.slice"
#define K8S_POD	  "/kubepods-pod5b3c2a10_8d4e_4f6a_9b1c_2d3e4f5a6b7c.slice"
#define K8S_CTR	  "/cri-containerd-" CTR_ID ".scope"

struct fixture {
	char root[64]; /* stands in for the cgroup2 mount */
	char ids_path[64];
	struct identity_table *ids;
	struct cgroup_cache *cgroups;
	struct naming n;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static const char *under(const struct fixture *fx, const char *rel)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s%s", fx->root, rel);
	return buf;
}

static uint64_t cgroup_id_of(const struct fixture *fx, const char *rel)
{
	struct stat st;

	assert_int_equal(stat(under(fx, rel), &st), 0);
	return st.st_ino;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int setup(void **state)
{
	static const char *const dirs[] = {
	    "/kubepods",     "/kubepods/pod1", "/kubepods/pod1/ctr", "/kubepods/pod2",
	    "/system.slice", K8S_SLICE,	       K8S_SLICE K8S_POD,    K8S_SLICE K8S_POD K8S_CTR};
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256];
	size_t i;

	if (!fx)
		return -1;
	strcpy(fx->root, "/tmp/test_naming.XXXXXX");
	strcpy(fx->ids_path, "/tmp/test_naming_ids.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(under(fx, dirs[i]), 0755))
			return -1;
	if (write_tmp(fx->ids_path, identities))
		return -1;
	if (identity_load(fx->ids_path, &fx->ids, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (cgroup_cache_open(fx->root, &fx->cgroups))
		return -1;
	fx->n.ids = fx->ids;
	fx->n.cgroups = fx->cgroups;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	cgroup_cache_free(fx->cgroups);
	identity_free(fx->ids);
	nftw(fx->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unlink(fx->ids_path);
	free(fx);
	return 0;
}

static struct edge_end end_of(uint64_t cgroup_id, const char *comm)
{
	struct edge_end e;

	memset(&e, 0, sizeof(e));
	e.cgroup_id = cgroup_id;
	strncpy(e.comm, comm, sizeof(e.comm));
	return e;
}

static void test_format_addr(void **state)
{
	char buf[NAMING_ADDR_LEN];
	uint8_t a[16];

	(void)state;
	to_addr("10.1.2.3", a);
	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.2.3");
	to_addr("255.255.255.255", a);
	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, "255.255.255.255");
	to_addr("2001:db8::1", a);
	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	to_addr("::1", a);
	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, "::1");
	/* The longest IPv6 text fits the buffer. */
	to_addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a);
	addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_names_by_address(void **state)
{
	struct fixture *fx = *state;
	struct endpoint_names out;
	struct edge_end end = end_of(0, "");
	uint8_t a[16];

	/* An exact address rule beats the /24 around it. */
	to_addr("10.0.0.1", a);
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.address, "10.0.0.1");
	assert_string_equal(out.workload, "api");
	assert_string_equal(out.namespace_, "prod");
	assert_string_equal(out.service, "api-svc");
	assert_null(out.process);
	assert_null(out.cgroup);

	/* The CIDR rule has no service: it stays unknown. */
	to_addr("10.0.0.77", a);
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.address, "10.0.0.77");
	assert_string_equal(out.workload, "lan-host");
	assert_string_equal(out.namespace_, "lan");
	assert_null(out.service);

	to_addr("fd00::5", a);
	naming_resolve(&fx->n, a, NULL, &out);
	assert_string_equal(out.address, "fd00::5");
	assert_string_equal(out.workload, "v6-app");
	assert_null(out.service);
	assert_null(out.process);
}

static void test_cgroup_rule_beats_address_rule(void **state)
{
	struct fixture *fx = *state;
	struct endpoint_names out;
	struct edge_end end = end_of(cgroup_id_of(fx, "/kubepods/pod1/ctr"), "nginx");
	uint8_t a[16];

	/* 10.0.0.1 is "api" by address, but its socket lives under pod1. */
	to_addr("10.0.0.1", a);
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.address, "10.0.0.1");
	assert_string_equal(out.workload, "web");
	assert_string_equal(out.namespace_, "shop");
	assert_string_equal(out.service, "web-svc");
	assert_string_equal(out.cgroup, "/kubepods/pod1/ctr");
	assert_string_equal(out.process, "nginx");

	/* A known cgroup with no rule falls back to the address rule. */
	end = end_of(cgroup_id_of(fx, "/kubepods/pod2"), "curl");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.workload, "api");
	assert_string_equal(out.namespace_, "prod");
	assert_string_equal(out.cgroup, "/kubepods/pod2");
	assert_string_equal(out.process, "curl");
}

static void test_process_from_comm(void **state)
{
	struct fixture *fx = *state;
	struct endpoint_names out;
	struct edge_end end;
	char pid[32];
	uint8_t a[16];

	to_addr("192.168.1.1", a);
	/* A full 16-byte comm with no terminator is cut, not read past. */
	end = end_of(0, "");
	memcpy(end.comm, "abcdefghijklmnop", sizeof(end.comm));
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.process, "abcdefghijklmno");

	/* Without a comm, the first process listed in the cgroup names it: us. */
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	assert_int_equal(write_file(under(fx, "/system.slice/cgroup.procs"), pid), 0);
	end = end_of(cgroup_id_of(fx, "/system.slice"), "");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.cgroup, "/system.slice");
	assert_string_equal(out.process, "test_naming");
}

static void test_unknown_is_null(void **state)
{
	struct fixture *fx = *state;
	struct naming bare = {0};
	struct endpoint_names out;
	struct edge_end end;
	uint8_t a[16];

	/* No rule for the address, no comm, a cgroup id nobody has. */
	to_addr("192.168.9.9", a);
	end = end_of(0xfffffffffff0ULL, "");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.address, "192.168.9.9");
	assert_null(out.workload);
	assert_null(out.namespace_);
	assert_null(out.service);
	assert_null(out.process);
	assert_null(out.cgroup);

	/* A known cgroup with no process in it names no process. */
	end = end_of(cgroup_id_of(fx, "/kubepods/pod2"), "");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.cgroup, "/kubepods/pod2");
	assert_null(out.process);
	assert_null(out.workload);

	/* No identities, no cgroup cache: only the address. */
	to_addr("2001:db8::7", a);
	end = end_of(cgroup_id_of(fx, "/kubepods/pod1"), "");
	naming_resolve(&bare, a, &end, &out);
	assert_string_equal(out.address, "2001:db8::7");
	assert_null(out.workload);
	assert_null(out.namespace_);
	assert_null(out.service);
	assert_null(out.process);
	assert_null(out.cgroup);
	naming_resolve(&bare, a, NULL, &out);
	assert_null(out.process);
}

/* A pod as the API server lists it: name, uid, IP, app label, owning ReplicaSet. */
static json_t *pod_json(const char *name, const char *uid, const char *ip, const char *app,
			const char *rs, const char *hash)
{
	json_error_t jerr;
	json_t *p =
	    json_pack_ex(&jerr, 0,
			 "{s:s,s:s,s:{s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s,s:b}]},"
			 "s:{s:s,s:[{s:s}]},s:{s:s,s:s,s:[{s:s}],s:[{s:s,s:s}]}}",
			 "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace",
			 "shop", "uid", uid, "labels", "app", app, "pod-template-hash", hash,
			 "ownerReferences", "apiVersion", "apps/v1", "kind", "ReplicaSet", "name",
			 rs, "controller", 1, "spec", "nodeName", "node-a", "containers", "name",
			 "app", "status", "phase", "Running", "podIP", ip, "podIPs", "ip", ip,
			 "containerStatuses", "name", "app", "containerID", "containerd://" CTR_ID);

	if (!p)
		fail_msg("pod JSON: %s", jerr.text);
	return p;
}

static void k8s_add(struct k8s_index *idx, enum k8s_kind kind, json_t *obj)
{
	assert_int_equal(k8s_index_apply(idx, kind, K8S_EVENT_ADDED, obj), 0);
	json_decref(obj);
}

static void load_cluster(struct k8s_index *idx)
{
	json_error_t jerr;
	json_t *svc = json_loads(
	    "{\"metadata\":{\"name\":\"checkout\",\"namespace\":\"shop\",\"uid\":\"s1\"},"
	    "\"spec\":{\"clusterIP\":\"10.96.0.20\",\"clusterIPs\":[\"10.96.0.20\"],"
	    "\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}}",
	    0, &jerr);

	assert_non_null(svc);
	/* Pod A owns the cgroup; pod B owns the address the test gives A's socket. */
	k8s_add(idx, K8S_KIND_POD,
		pod_json("frontend-6c9f8d7b5-x2x7q", POD_A_UID, "10.9.0.4", "frontend",
			 "frontend-6c9f8d7b5", "6c9f8d7b5"));
	k8s_add(idx, K8S_KIND_POD,
		pod_json("checkout-7f5d9c8b4-k9zvw", "0c1d2e3f-0000-4000-8000-000000000002",
			 "10.9.0.5", "checkout", "checkout-7f5d9c8b4", "7f5d9c8b4"));
	k8s_add(idx, K8S_KIND_SERVICE, svc);
}

static void test_names_from_kubernetes(void **state)
{
	struct fixture *fx = *state;
	struct k8s_index *idx = k8s_index_new(NULL);
	struct endpoint_names out;
	char uid[K8S_UID_MAX];
	struct edge_end end;
	uint8_t a[16];

	assert_non_null(idx);
	load_cluster(idx);
	fx->n.k8s = idx;
	fx->n.cluster = "east";

	/* A local socket is named by its cgroup's pod, not by its address. */
	to_addr("10.9.0.5", a);
	end = end_of(cgroup_id_of(fx, K8S_SLICE K8S_POD K8S_CTR), "node");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.pod, "frontend-6c9f8d7b5-x2x7q");
	assert_string_equal(out.workload, "frontend");
	assert_string_equal(out.workload_kind, "Deployment");
	assert_string_equal(out.container, "app");
	assert_string_equal(out.namespace_, "shop");
	assert_string_equal(out.cluster, "east");
	assert_false(out.external);
	assert_true(naming_pod_uid(&fx->n, a, &end, uid));
	assert_string_equal(uid, POD_A_UID);

	/* A remote end by its address. */
	end = end_of(0, "");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.pod, "checkout-7f5d9c8b4-k9zvw");
	assert_string_equal(out.canonical_service, "checkout");
	assert_null(out.service); /* port 0: a source end has no Service */

	/* A ClusterIP called on its port names the Service, and no pod. */
	to_addr("10.96.0.20", a);
	end.port = 8080;
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.service, "checkout");
	assert_string_equal(out.service_namespace, "shop");
	assert_string_equal(out.service_fqdn, "checkout.shop.svc.cluster.local");
	assert_null(out.pod);
	assert_false(out.external);

	/* The identity file still wins over the cluster. */
	to_addr("10.0.0.1", a);
	end = end_of(0, "");
	naming_resolve(&fx->n, a, &end, &out);
	assert_string_equal(out.workload, "api");
	assert_null(out.pod);

	/* Nobody's address: external. */
	to_addr("203.0.113.9", a);
	naming_resolve(&fx->n, a, &end, &out);
	assert_true(out.external);
	assert_false(naming_pod_uid(&fx->n, a, &end, uid));

	fx->n.k8s = NULL;
	k8s_index_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_addr),
	    cmocka_unit_test_setup_teardown(test_names_by_address, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cgroup_rule_beats_address_rule, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_process_from_comm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_is_null, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_names_from_kubernetes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

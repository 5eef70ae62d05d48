#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Every connection to a Service's ClusterIP, DNATed on the node as
# kube-proxy does, lands on the backend pod's edge in both views (the
# client's socket only ever knows the ClusterIP), exactly as a direct
# connection does, however short it is:
#   - 30 connections of one request each, then close (a fresh curl each);
#   - 5 connections that send bytes that are not HTTP, then close;
#   - 1 keep-alive connection of 10 requests;
#   - the same shapes straight to the backend, for the same counts.
# No edge names the ClusterIP, and no lookup is left unresolved.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq openssl nft "$MS_PYTHON"

pod_create fe 1
pod_create co 2

k8s_fake_start
k8s_apply "$(k8s_pod frontend-6c9f8d7b5-x2x7q 10.200.1.2 ReplicaSet frontend-6c9f8d7b5 \
	'{"app":"frontend","pod-template-hash":"6c9f8d7b5"}')"
k8s_apply "$(k8s_pod checkout-7f5d9c8b4-k9zvw 10.200.2.2 ReplicaSet checkout-7f5d9c8b4 \
	'{"app":"checkout","pod-template-hash":"7f5d9c8b4"}')"
k8s_service checkout 10.96.0.20 8080 10.200.2.2 checkout-7f5d9c8b4-k9zvw
k8s_dnat 10.96.0.20 8080 10.200.2.2

pod_spawn co "$MS_STATE_DIR/httpd-co.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen co 8080 || ms_die "checkout server did not start"
agent_start --kubeconfig "$MS_STATE_DIR/kubeconfig" --k8s-sync-timeout 10
wait_until 10 k8s_synced || ms_fail "the agent did not sync pods, services and endpointslices"

# traffic ADDR: the three shapes to ADDR:8080.
traffic() {
	local i urls=()
	for ((i = 0; i < 30; i++)); do
		pod_exec fe curl -s -o /dev/null --max-time 10 "http://$1:8080/status/200" ||
			ms_fail "curl $i to $1 failed"
	done
	for ((i = 0; i < 5; i++)); do
		pod_exec fe "$MS_PYTHON" "$MS_E2E_DIR/client.py" garbage "$1" 8080 >/dev/null 2>&1 ||
			ms_fail "garbage connection $i to $1 failed"
	done
	for ((i = 0; i < 10; i++)); do urls+=("http://$1:8080/status/503"); done
	pod_exec fe curl -s -o /dev/null --max-time 30 "${urls[@]}" ||
		ms_fail "keep-alive curl to $1 failed"
}

# check WHAT HTTP_REQUESTS HTTP_CONNECTIONS TCP_CONNECTIONS: both views of the backend's edges.
check() {
	local e t
	wait_edge_field 10.200.1.2 10.200.2.2 8080 http .views.source.requests "$2" 10 >/dev/null
	wait_edge_field 10.200.1.2 10.200.2.2 8080 http .views.destination.requests "$2" 10 >/dev/null
	wait_edge_field 10.200.1.2 10.200.2.2 8080 tcp .views.source.connections_opened "$4" 10 >/dev/null
	e=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
	t=$(edge_get 10.200.1.2 10.200.2.2 8080 tcp)
	assert_eq "$1: requests, client's view" "$2" "$(jq -r .views.source.requests <<<"$e")"
	assert_eq "$1: requests, server's view" "$2" "$(jq -r .views.destination.requests <<<"$e")"
	assert_eq "$1: connections, client's view" "$3" \
		"$(jq -r .views.source.connections_opened <<<"$e")"
	assert_eq "$1: connections, server's view" "$3" \
		"$(jq -r .views.destination.connections_opened <<<"$e")"
	assert_eq "$1: 503s, client's view" "$(($2 / 4))" \
		"$(jq -r '.views.source.status_codes["503"]' <<<"$e")"
	assert_eq "$1: non-HTTP connections, client's view" "$4" \
		"$(jq -r .views.source.connections_opened <<<"$t")"
	assert_eq "$1: non-HTTP connections, server's view" "$4" \
		"$(jq -r .views.destination.connections_opened <<<"$t")"
	assert_eq "$1: no edge to the ClusterIP" 0 \
		"$(edges_json | jq '[.edges[] | select(.destination.address == "10.96.0.20")] | length')"
	assert_eq "$1: destination named" checkout "$(jq -r .destination.service <<<"$e")"
}

echo "1. straight to the backend"
traffic 10.200.2.2
check "direct" 40 31 5

echo "2. the same through the ClusterIP"
traffic 10.96.0.20
check "via the ClusterIP" 80 62 10
assert_eq "ClusterIP lookups that failed" 0 \
	"$(stats_json | jq '.clusterip_lookups.not_found + .clusterip_lookups.errors')"
assert_true "ClusterIP connections rewritten" \
	test "$(stats_json | jq .clusterip_lookups.rewritten)" -ge 36

agent_stop
ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Kubernetes names on both ends of every edge, driven by a test API server
# (tests/k8s/fake_apiserver.py: real list/watch JSON over TLS with a bearer
# token) that the agent reaches through a kubeconfig, as it would reach a
# real cluster. Each step changes the cluster and checks the names a user
# would see:
#   1. Deployment pods named by workload (ReplicaSet hash stripped), the
#      Service found from its EndpointSlice;
#   2. a connection to the Service's ClusterIP, rewritten by a kube-proxy
#      style DNAT on the node, lands on the same edge as the backend pod;
#   3. a pod deleted and its IP given to a CronJob's pod: new traffic is named
#      after the new pod and the old pod's counts are not relabelled;
#   4. the API server goes away, the history is compacted while it is away
#      (410 Gone on return), a pod is deleted meanwhile: after the relist the
#      deleted pod's name is gone.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq openssl nft "$MS_PYTHON"

pod_create fe 1
pod_create co 2
pod_create rp 3

k8s_fake_start
control() { k8s_control "$@"; }
apply() { k8s_apply "$1"; }
pod() { k8s_pod "$@"; }

apply "$(pod frontend-6c9f8d7b5-x2x7q 10.200.1.2 ReplicaSet frontend-6c9f8d7b5 \
	'{"app":"frontend","version":"v1","pod-template-hash":"6c9f8d7b5"}')"
apply "$(pod checkout-7f5d9c8b4-k9zvw 10.200.2.2 ReplicaSet checkout-7f5d9c8b4 \
	'{"app":"checkout","version":"v2","pod-template-hash":"7f5d9c8b4"}')"
k8s_service checkout 10.96.0.20 8080 10.200.2.2 checkout-7f5d9c8b4-k9zvw

pod_spawn co "$MS_STATE_DIR/httpd-co.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen co 8080 || ms_die "checkout server did not start"
agent_start --kubeconfig "$MS_STATE_DIR/kubeconfig" --k8s-sync-timeout 10 --cluster-name e2e

wait_until 10 k8s_synced || ms_fail "the agent did not sync pods, services and endpointslices"
assert_eq "the watch's start is said once" 1 "$(grep -c 'watching pods' "$MS_AGENT_LOG")"

# requests POD URL N: N sequential requests on one connection.
requests() {
	local urls=() i
	for ((i = 0; i < $3; i++)); do urls+=("$2"); done
	pod_exec "$1" curl -s --max-time 30 "${urls[@]}" >/dev/null || ms_fail "curl from $1 to $2 failed"
}

echo "1. workloads and Service by name"
requests fe http://10.200.2.2:8080/status/200 5
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 5 >/dev/null
e=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
assert_eq "source workload" frontend "$(jq -r .source.workload <<<"$e")"
assert_eq "source namespace" shop "$(jq -r .source.namespace <<<"$e")"
assert_eq "source pod" frontend-6c9f8d7b5-x2x7q "$(jq -r .source.pod <<<"$e")"
assert_eq "source workload kind" Deployment "$(jq -r .source.workload_kind <<<"$e")"
assert_eq "destination workload" checkout "$(jq -r .destination.workload <<<"$e")"
assert_eq "destination service" checkout "$(jq -r .destination.service <<<"$e")"
assert_eq "destination service fqdn" checkout.shop.svc.cluster.local \
	"$(jq -r .destination.service_fqdn <<<"$e")"
assert_eq "requests" 5 "$(jq -r .requests <<<"$e")"
m=$(ms_get /metrics)
assert_true "istio_requests_total names both workloads" grep -q \
	'istio_requests_total{[^}]*source_workload="frontend"[^}]*destination_workload="checkout"' \
	<<<"$m"

echo "2. a ClusterIP connection, DNATed on the node, is the backend's edge"
k8s_dnat 10.96.0.20 8080 10.200.2.2
requests fe http://10.96.0.20:8080/status/503 3
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 8 >/dev/null
e=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
assert_eq "requests after the ClusterIP calls" 8 "$(jq -r .requests <<<"$e")"
assert_eq "503s via the ClusterIP" 3 "$(jq -r '.status_codes["503"]' <<<"$e")"
assert_eq "both reporters on the one edge" '["destination","source"]' \
	"$(jq -c '.reporters | sort' <<<"$e")"
assert_eq "no edge to the ClusterIP" 0 \
	"$(edges_json | jq '[.edges[] | select(.destination.address == "10.96.0.20")] | length')"

echo "3. a pod's IP given to another pod"
pod_events() { stats_json | jq .kubernetes.pods.events; }
events_before=$(pod_events)
control delete '{"kind":"Pod","namespace":"shop","name":"frontend-6c9f8d7b5-x2x7q"}'
apply "$(pod report-29345678-p8d2m 10.200.1.2 Job report-29345678 \
	'{"app.kubernetes.io/name":"report","batch.kubernetes.io/job-name":"report-29345678"}')"
# Both watch events applied (the delete and the new pod), then within the
# agent's one-second rename check the frontend edge must end, not be shown
# under the new pod's name with the old pod's counts.
applied() { [ "$(pod_events)" -ge $((events_before + 2)) ]; }
wait_until 10 applied || ms_fail "the agent did not apply the pod delete and add"
old_gone() { [ "$(edge_get 10.200.1.2 10.200.2.2 8080 http)" = null ]; }
wait_until 5 old_gone || ms_fail "the frontend edge was not retired when its IP changed pods"
assert_eq "retirement counted" true "$(stats_json | jq '.evictions.edges_renamed >= 1')"
requests fe http://10.200.2.2:8080/status/200 2
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 2 >/dev/null
e=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
assert_eq "new pod's workload (CronJob from its Job)" report "$(jq -r .source.workload <<<"$e")"
assert_eq "new pod's workload kind" CronJob "$(jq -r .source.workload_kind <<<"$e")"
assert_eq "only the new pod's requests" 2 "$(jq -r .requests <<<"$e")"

echo "4. the API server away, its history compacted, a pod deleted meanwhile"
control away
control delete '{"kind":"Pod","namespace":"shop","name":"checkout-7f5d9c8b4-k9zvw"}'
control compact
sleep 2
control back
# The watch resumes from a compacted resourceVersion: 410 Gone, then a relist
# whose sweep drops the pod deleted meanwhile (one pod left: report). The
# watcher may be in a backoff of several seconds when the server returns.
relisted() {
	[ "$(stats_json | jq '.kubernetes.pods | .gone + .lists >= 2 and .objects == 1')" = true ]
}
wait_until 40 relisted || ms_fail "the agent did not relist pods after the API server returned"
wait_until 10 k8s_synced || ms_fail "the agent did not resync"
gone() { [ "$(edge_field 10.200.1.2 10.200.2.2 8080 http .destination.workload)" = null ]; }
wait_until 5 gone || ms_fail "the deleted checkout pod is still named after the relist"
e=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
assert_eq "the Service is still known from its EndpointSlice" checkout \
	"$(jq -r .destination.service <<<"$e")"
assert_eq "k8s errors counted while away" true \
	"$(stats_json | jq '.kubernetes.pods.errors > 0 or .kubernetes.pods.gone > 0')"

agent_stop
ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# VirtualService weights beside the observed split, and split_drift. The test
# API server holds Service reviews with backends reviews-v1 (version=v1) and
# reviews-v2 (version=v2) and an Istio VirtualService reviews routing 90% to
# subset v1 and 10% to v2 (a subset is read as the version label it
# selects). productpage calls each backend 25 times: /api/v1/splits shows
# shares 0.5/0.5 beside weights 0.9/0.1, drift 0.4, and a split_drift event
# fires (--event-split-drift 10, --event-split-min-requests 20). The
# VirtualService is then changed to 50/50 and the event resolves. Without
# --k8s-virtualservices the API server is never asked for VirtualServices.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq openssl "$MS_PYTHON"

pod_create pp 1
pod_create rv1 2
pod_create rv2 3

k8s_fake_start
k8s_apply "$(k8s_pod productpage-5d8f-aaaaa 10.200.1.2 ReplicaSet productpage-5d8f '{"app":"productpage"}')"
k8s_apply "$(k8s_pod reviews-v1-6c9f-bbbbb 10.200.2.2 ReplicaSet reviews-v1-6c9f '{"app":"reviews","version":"v1"}')"
k8s_apply "$(k8s_pod reviews-v2-7f5d-ccccc 10.200.3.2 ReplicaSet reviews-v2-7f5d '{"app":"reviews","version":"v2"}')"
k8s_service reviews 10.96.0.30 8080 10.200.2.2 reviews-v1-6c9f-bbbbb
k8s_apply "$(jq -nc '{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", addressType: "IPv4",
  metadata: {name: "reviews-fghij", namespace: "shop", uid: "eps-reviews-2-uid",
    labels: {"kubernetes.io/service-name": "reviews"}},
  endpoints: [{addresses: ["10.200.3.2"], conditions: {ready: true}, nodeName: "node-a",
    targetRef: {kind: "Pod", namespace: "shop", name: "reviews-v2-7f5d-ccccc", uid: "reviews-v2-7f5d-ccccc-uid"}}],
  ports: [{name: "http", port: 8080, protocol: "TCP"}]}')"
# vs V1 V2: VirtualService reviews with those weights (and a header-matched rule
# first, which is not the default route and must be skipped).
vs() {
	k8s_apply "$(jq -nc --argjson a "$1" --argjson b "$2" '{apiVersion: "networking.istio.io/v1",
	  kind: "VirtualService", metadata: {name: "reviews", namespace: "shop", uid: "vs-reviews-uid"},
	  spec: {hosts: ["reviews"], http: [
	    {match: [{headers: {"end-user": {exact: "jason"}}}], route: [{destination: {host: "reviews", subset: "v2"}}]},
	    {route: [{destination: {host: "reviews", subset: "v1"}, weight: $a},
	             {destination: {host: "reviews.shop.svc.cluster.local", subset: "v2"}, weight: $b}]}]}}')"
}
vs 90 10

for p in rv1 rv2; do
	pod_spawn "$p" "$MS_STATE_DIR/httpd-$p.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
	wait_listen "$p" 8080 || ms_die "httpd in $p did not start"
done
calls() {
	local args=() i
	for ((i = 0; i < $2; i++)); do args+=(-o /dev/null "http://$1:8080/"); done
	pod_exec pp curl -sS --max-time 30 "${args[@]}" || ms_fail "curl -> $1 failed"
}
splits= events=
reviews() { jq -c '.services[] | select(.service == "shop/reviews")' <<<"$splits"; }
ready() { splits=$(ms_get /api/v1/splits) && [ "$(reviews | jq .requests)" = 50 ]; }
count() { jq --arg k "$1" '[.events[] | select(.kind == $k and .destination == "shop/reviews"
	and ($k != "resolved" or .resolves == "split_drift"))] | length' <<<"$events"; }
has() { events=$(ms_get /api/v1/events) && [ "$(count "$1")" -ge 1 ]; }

echo "1. without --k8s-virtualservices: no VirtualService request, no weights"
agent_start --kubeconfig "$MS_STATE_DIR/kubeconfig" --k8s-sync-timeout 10 --window 6
calls 10.200.2.2 5
wait_until 15 bash -c "curl -fsS '$MS_AGENT_URL/api/v1/splits' | jq -e '.services[] | select(.service == \"shop/reviews\")' >/dev/null" ||
	ms_fail "no split for reviews"
splits=$(ms_get /api/v1/splits)
assert_eq "no configured weights" null "$(reviews | jq .virtual_service)"
assert_eq "the API server was never asked for virtualservices" 0 \
	"$(curl -fsS -m 5 --cacert "$MS_STATE_DIR/api.crt" "$MS_K8S_API/_control/stats" |
		jq '.resources.virtualservices.list.requests + .resources.virtualservices.watch.requests')"
assert_eq "no virtualservices resource in /metrics" 0 \
	"$(ms_get /metrics | grep -c 'resource="virtualservices"')"
agent_stop

echo "2. --k8s-virtualservices v1: weights 90/10, observed 50/50"
agent_start --kubeconfig "$MS_STATE_DIR/kubeconfig" --k8s-sync-timeout 10 --window 6 \
	--k8s-virtualservices v1 --event-split-drift 10 --event-split-min-requests 20
calls 10.200.2.2 25
calls 10.200.3.2 25
wait_until 20 ready || ms_fail "splits never showed the 50 requests to reviews: $splits"
echo "  splits: $splits"
assert_eq "versions: requests, share, configured weight" '[["v1",25,0.5,0.9],["v2",25,0.5,0.1]]' \
	"$(reviews | jq -c '[.versions[] | [.version, .requests, .share, .configured_weight]] | sort')"
assert_eq "the VirtualService" '"shop/reviews"' "$(reviews | jq .virtual_service)"
assert_true "drift 0.4" jq -e '(.drift - 0.4 | fabs) < 1e-9' <<<"$(reviews)"
assert_eq "meshsight_k8s_objects{resource=\"virtualservices\"}" 1 \
	"$(ms_get /metrics | awk '$1 == "meshsight_k8s_objects{resource=\"virtualservices\"}" { print $2 }')"
wait_until 10 has split_drift || ms_fail "no split_drift event: $events"
e=$(jq -c '[.events[] | select(.kind == "split_drift")][0]' <<<"$events")
echo "  event: $e"
# It fires at the first tick past the threshold with 20 requests, which may
# be mid-traffic: the value is the drift then, above 0.1 and at most 0.4.
assert_true "split_drift: a value over threshold 0.1 (at most 0.4), warning" \
	jq -e '.value > 0.1 and .value <= 0.4 + 1e-9 and (.threshold - 0.1 | fabs) < 1e-9 and .severity == "warning"' <<<"$e"
assert_true "the detail names the version, its share, the requests and the VirtualService" \
	jq -e '.detail | test("^v[12] got [0-9]+% of [0-9]+ requests, shop/reviews says (90|10)%$")' <<<"$e"
assert_eq "thresholds as set" '[0.1,20]' \
	"$(jq -c '.thresholds | [.split_drift, .split_min_requests]' <<<"$events")"
assert_eq "meshsight_analysis_events_total{kind=\"split_drift\"}" 1 \
	"$(ms_get /metrics | awk '$1 == "meshsight_analysis_events_total{kind=\"split_drift\"}" { print $2 }')"

echo "3. the VirtualService says 50/50 now: resolved"
vs 50 50
wait_until 10 has resolved || ms_fail "split_drift did not resolve: $events"
splits=$(ms_get /api/v1/splits)
assert_true "drift 0 against the new weights" jq -e '.drift < 1e-9' <<<"$(reviews)"
assert_eq "one split_drift, one resolved" "1 1" "$(count split_drift) $(count resolved)"
agent_stop
ms_finish

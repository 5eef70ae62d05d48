#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# GET /api/v1/splits: a canary split by version labels. Service reviews has
# two backends in the test API server, reviews-v1 (10.200.2.2, version=v1)
# and reviews-v2 (10.200.3.2, version=v2, with Istio's canonical-revision
# label canary); productpage calls v1 40 times and v2 10 times, so the
# observed shares must be exactly 0.8 and 0.2, with those counts. A second
# Service with one unlabelled backend is one version, "latest", share 1.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq openssl "$MS_PYTHON"

pod_create pp 1
pod_create rv1 2
pod_create rv2 3
pod_create rt 4

k8s_fake_start
k8s_apply "$(k8s_pod productpage-5d8f-aaaaa 10.200.1.2 ReplicaSet productpage-5d8f '{"app":"productpage"}')"
k8s_apply "$(k8s_pod reviews-v1-6c9f-bbbbb 10.200.2.2 ReplicaSet reviews-v1-6c9f '{"app":"reviews","version":"v1"}')"
k8s_apply "$(k8s_pod reviews-v2-7f5d-ccccc 10.200.3.2 ReplicaSet reviews-v2-7f5d \
	'{"app":"reviews","version":"v2","service.istio.io/canonical-revision":"canary"}')"
k8s_apply "$(k8s_pod ratings-4b2a-ddddd 10.200.4.2 ReplicaSet ratings-4b2a '{"app":"ratings"}')"
# reviews: one Service, an EndpointSlice for each version's backend.
k8s_service reviews 10.96.0.30 8080 10.200.2.2 reviews-v1-6c9f-bbbbb
k8s_apply "$(jq -nc '{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", addressType: "IPv4",
  metadata: {name: "reviews-fghij", namespace: "shop", uid: "eps-reviews-2-uid",
    labels: {"kubernetes.io/service-name": "reviews"}},
  endpoints: [{addresses: ["10.200.3.2"], conditions: {ready: true}, nodeName: "node-a",
    targetRef: {kind: "Pod", namespace: "shop", name: "reviews-v2-7f5d-ccccc", uid: "reviews-v2-7f5d-ccccc-uid"}}],
  ports: [{name: "http", port: 8080, protocol: "TCP"}]}')"
k8s_service ratings 10.96.0.40 8080 10.200.4.2 ratings-4b2a-ddddd

for p in rv1 rv2 rt; do
	pod_spawn "$p" "$MS_STATE_DIR/httpd-$p.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
	wait_listen "$p" 8080 || ms_die "httpd in $p did not start"
done
agent_start --kubeconfig "$MS_STATE_DIR/kubeconfig" --k8s-sync-timeout 10 --window 60

calls() {
	local args=() i
	for ((i = 0; i < $2; i++)); do args+=(-o /dev/null "http://$1:8080/"); done
	pod_exec pp curl -sS --max-time 30 "${args[@]}" || ms_fail "curl -> $1 failed"
}
echo "traffic: productpage -> reviews v1 x 40, v2 x 10, ratings x 5"
calls 10.200.2.2 40
calls 10.200.3.2 10
calls 10.200.4.2 5

splits=
ready() {
	splits=$(ms_get /api/v1/splits) &&
		jq -e '[.services[].requests] | add == 55' <<<"$splits" >/dev/null
}
wait_until 25 ready || ms_fail "splits never showed the 55 requests: $splits"
echo "  splits: $splits"
s() { jq -c "$1" <<<"$splits"; }
assert_eq "services" '["shop/ratings","shop/reviews"]' "$(s '[.services[].service] | sort')"
assert_eq "reviews: versions, requests and shares" \
	'[["canary",10,0.2],["v1",40,0.8]]' \
	"$(s '.services[] | select(.service == "shop/reviews") | [.versions[] | [.version, .requests, .share]] | sort')"
assert_eq "reviews: total" 40 "$(s '.services[] | select(.service == "shop/reviews") | .requests - 10')"
assert_eq "ratings: one version, all of it" '[["latest",5,1]]' \
	"$(s '.services[] | select(.service == "shop/ratings") | [.versions[] | [.version, .requests, .share]]')"
assert_eq "window" 60 "$(s .window_seconds)"
assert_eq "not truncated" false "$(s .truncated)"

agent_stop
ms_finish

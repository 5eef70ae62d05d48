#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# GET /api/v1/graph answers what an SRE asks of the node's service graph.
# Four pods: frontend -> api -> db -> cache (a chain of depth 3) and
# cache -> api (which closes the cycle api -> db -> cache -> api). api has
# two callers (the fan-in hot spot), db -> cache answers 500 to half its
# calls (the error hot spot), frontend -> api waits 200 ms (the p95 hot
# spot), and frontend is the only entry point. Every number checked is
# what the clients made, over a 30 s window.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq "$MS_PYTHON"

P=8080
pod_create frontend 1
pod_create api 2
pod_create db 3
pod_create cache 4

ids=$MS_STATE_DIR/identities
cat >"$ids" <<EOF2
10.200.1.2 workload=frontend namespace=shop
10.200.2.2 workload=api namespace=shop service=api
10.200.3.2 workload=db namespace=shop service=db
10.200.4.2 workload=cache namespace=shop service=cache
EOF2

agent_start --identities "$ids" --window 30
for p in api db cache; do
	pod_spawn "$p" "$MS_STATE_DIR/httpd-$p.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
	wait_listen "$p" "$P" || ms_die "httpd in $p did not start: $(cat "$MS_STATE_DIR/httpd-$p.log")"
done

# calls FROM TO N PATH: N requests on one connection; fails the test when one is not answered.
calls() {
	local args=() i
	for ((i = 0; i < $3; i++)); do args+=(-o /dev/null "http://$2:$P$4"); done
	pod_exec "$1" curl -sS --max-time 30 -w '%{http_code}\n' "${args[@]}" >/dev/null ||
		ms_fail "curl $1 -> $2 $4 failed"
}

echo "traffic: frontend->api 10 x /delay/200, api->db 20, db->cache 10 ok + 10 x 500, cache->api 5"
calls frontend 10.200.2.2 10 /delay/200
calls api 10.200.3.2 20 /
calls db 10.200.4.2 10 /
calls db 10.200.4.2 10 /status/500
calls cache 10.200.2.2 5 /

# The window is sampled every 5 s: wait for a graph with every edge's requests.
graph=
full() {
	graph=$(ms_get /api/v1/graph) &&
		jq -e '[.edges[] | select(.protocol == "http") | .requests] | add == 55' <<<"$graph" >/dev/null
}
wait_until 10 full || ms_fail "graph never showed the 55 requests: $graph"
echo "  graph: $graph"
g() { jq -c "$1" <<<"$graph"; }
edge() { g "[.edges[] | select(.source == \"$1\" and .destination == \"$2\" and .protocol == \"http\")][0]$3"; }

assert_eq "window_seconds" 30 "$(g .window_seconds)"
assert_eq "nodes" '["shop/api","shop/cache","shop/db","shop/frontend"]' "$(g '[.nodes[].id] | sort')"
assert_eq "node kind" '"workload"' "$(g '.nodes[] | select(.id == "shop/api") | .kind')"
assert_eq "frontend->api requests" 10 "$(edge shop/frontend shop/api .requests)"
assert_eq "api->db requests" 20 "$(edge shop/api shop/db .requests)"
assert_eq "db->cache requests" 20 "$(edge shop/db shop/cache .requests)"
assert_eq "db->cache errors" 10 "$(edge shop/db shop/cache .errors)"
assert_eq "db->cache error_rate" 0.5 "$(edge shop/db shop/cache .error_rate)"
assert_eq "cache->api requests" 5 "$(edge shop/cache shop/api .requests)"
assert_true "frontend->api p95 within 200..300 ms (bucketed)" \
	jq -e '[.edges[] | select(.source == "shop/frontend")][0].p95_ms | . >= 200 and . <= 300' <<<"$graph"
assert_true "api->db rate = requests / seconds covered" \
	jq -e '[.edges[] | select(.source == "shop/api" and .protocol == "http")][0]
		| (.request_rate - .requests / .seconds | fabs) < 1e-6 and .seconds > 0 and .seconds <= 30' <<<"$graph"

assert_eq "longest chain depth" 3 "$(g .analysis.longest_chain.depth)"
assert_eq "longest chain path" '["shop/frontend","shop/api","shop/db","shop/cache"]' \
	"$(g .analysis.longest_chain.path)"
assert_eq "one cycle" 1 "$(g '.analysis.cycles | length')"
assert_eq "the cycle, as a set" '["shop/api","shop/cache","shop/db"]' "$(g '.analysis.cycles[0] | sort')"
assert_eq "fan-in hot spot" '{"node":"shop/api","value":2}' "$(g .analysis.hot_spots.fan_in)"
assert_eq "error hot spot" '["shop/db","shop/cache",0.5]' \
	"$(g '.analysis.hot_spots.error_rate | [.source, .destination, .value]')"
assert_eq "p95 hot spot" '["shop/frontend","shop/api"]' \
	"$(g '.analysis.hot_spots.p95_ms | [.source, .destination]')"
assert_eq "entry points" '["shop/frontend"]' "$(g .analysis.entry_points)"
assert_eq "search exact" true "$(g .analysis.exact)"

echo "meshsight edges: the same numbers as a table"
table() { "$MESHSIGHT_BIN" edges --endpoint "127.0.0.1:$MS_PORT" "$@"; }
out=$(table --sort errors) || ms_fail "meshsight edges failed"
echo "$out" | sed 's/^/    /'
assert_eq "header" "SOURCE DESTINATION PROTO REQUESTS RATE/S ERRORS P95_MS" "$(head -1 <<<"$out" | tr -s ' ')"
assert_eq "--sort errors: db -> cache first, 20 requests, 50% errors" "shop/db shop/cache http 20 50.0%" \
	"$(sed -n 2p <<<"$out" | awk '{ print $1, $2, $3, $4, $6 }')"
assert_eq "one row per edge" 4 "$(tail -n +2 <<<"$out" | grep -c http)"
out=$(table --sort p95)
assert_eq "--sort p95: frontend -> api first" "shop/frontend shop/api" \
	"$(sed -n 2p <<<"$out" | awk '{ print $1, $2 }')"
assert_eq "--sort p95: its p95 as in the API" \
	"$(jq -r '[.edges[] | select(.source == "shop/frontend")][0].p95_ms * 10 | round / 10' <<<"$graph")" \
	"$(sed -n 2p <<<"$out" | awk '{ print $7 + 0 }')"
out=$(table --sort nope 2>&1)
assert_eq "a bad --sort is a usage error (status 2)" 2 "$?"
assert_true "and says what to pass" grep -q "expected rate, errors or p95" <<<"$out"

echo "the window slides: with no traffic the requests leave it"
empty() {
	graph=$(ms_get /api/v1/graph) &&
		jq -e '[.edges[].requests] | add == 0' <<<"$graph" >/dev/null
}
wait_until 40 empty || ms_fail "requests still in the 30 s window after 40 s: $graph"
assert_eq "edges stay (the aggregator still holds them)" 4 \
	"$(g '[.edges[] | select(.protocol == "http")] | length')"
assert_eq "an empty window has no p95" null "$(edge shop/frontend shop/api .p95_ms)"

agent_stop
ms_finish

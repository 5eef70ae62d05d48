#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The agent's main promise, end to end: pod "client" (10.200.1.2) talks
# HTTP/1.1 to pod "server" (10.200.2.2:8080) through the node, both pods in
# the watched cgroup subtree, and /api/v1/edges must report exactly the
# requests, status codes, latency, bytes and connections that were made,
# named from the identity file, each request counted once although both
# ends see it. Then hostile traffic (garbage, a half-sent request, a reset
# mid-request) must not disturb the agent or invent requests, and a reset
# request counts as status "0" and an error.
#
# Every expected number is derived from what the clients themselves report
# (curl -w, client.py's byte counts), and every wait is a bounded poll.

# shellcheck disable=SC2016 # single-quoted jq programs use jq's own $variables
set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq ss "$MS_PYTHON"

C=10.200.1.2
S=10.200.2.2
P=8080
url=http://$S:$P
client=("$MS_PYTHON" "$MS_E2E_DIR/client.py")
settle=5 # seconds the agent gets to report what already happened

pod_create client 1
pod_create server 2

ids=$MS_STATE_DIR/identities
cat >"$ids" <<EOF
# e2e identities: one namespace, two workloads, one service
$C workload=client namespace=demo
$S workload=server namespace=demo service=server
EOF

agent_start --identities "$ids"
if command -v bpftool >/dev/null; then
	assert_true "agent attached programs to $MS_CG_ROOT" \
		bash -c "bpftool cgroup show '$MS_CG_ROOT' | grep -q ."
fi

pod_spawn server "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
wait_listen server "$P" || ms_die "httpd did not start: $(cat "$MS_STATE_DIR/httpd.log")"
# For the pipelining part: one segment per response, so that 100 answers do
# not merge into segments longer than the capture limit, which would hide some.
PP=8081
pod_spawn server "$MS_STATE_DIR/httpd-paced.log" env MS_HTTPD_PACE_MS=2 \
	"$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$PP" >/dev/null
wait_listen server "$PP" || ms_die "paced httpd did not start: $(cat "$MS_STATE_DIR/httpd-paced.log")"

# ------------------------------------------------------------ traffic, part 1

# Expected totals for the client->server edge, summed from what the clients
# report. The helpers run in this shell (no $(...)) so the sums stick; they
# leave the status codes they got in $got.
exp_conns=0 exp_sent=0 exp_recv=0 got=

# curl_batch N PATH: one curl, N URLs, so one keep-alive connection.
curl_batch() {
	local n=$1 path=$2 args=() i out code conns sent hdr body
	for ((i = 0; i < n; i++)); do args+=(-o /dev/null "$url$path"); done
	out=$(pod_exec client curl -sS --max-time 30 \
		-w '%{http_code} %{num_connects} %{size_request} %{size_header} %{size_download}\n' \
		"${args[@]}") || ms_fail "curl $n x $path failed"
	got=
	while read -r code conns sent hdr body; do
		exp_conns=$((exp_conns + conns))
		exp_sent=$((exp_sent + sent))
		exp_recv=$((exp_recv + hdr + body))
		got="$got$code "
	done <<<"$out"
	got=${got% }
}

# client_py ARGS...: client.py from pod client (one connection).
client_py() {
	local err
	got=$(pod_exec client "${client[@]}" "$@" 2>"$MS_STATE_DIR/client.err") ||
		ms_fail "client.py $* failed: $(cat "$MS_STATE_DIR/client.err")"
	err=$(grep -m1 '^sent=' "$MS_STATE_DIR/client.err")
	if [[ $err =~ ^sent=([0-9]+)\ received=([0-9]+)$ ]]; then
		exp_sent=$((exp_sent + BASH_REMATCH[1]))
		exp_recv=$((exp_recv + BASH_REMATCH[2]))
	fi
	exp_conns=$((exp_conns + 1))
}

# repeat WORD N: "WORD WORD ..." (N times)
repeat() { local i r=; for ((i = 0; i < $2; i++)); do r="$r$1 "; done; echo "${r% }"; }

# edge JQ: a field of the client->server http edge from the last snapshot.
snap=null
snapshot() { snap=$(edge_get "$C" "$S" "$P" http); }
edge() { jq -c "$1" <<<"$snap"; }

echo "traffic: 20 keep-alive /delay/50, 7 x 503, 3 x 404, 3 pipelined, 1 split"
curl_batch 20 /delay/50
assert_eq "20 x /delay/50 answers" "$(repeat 200 20)" "$got"
assert_eq "curl kept one connection for the 20" 1 "$exp_conns"
curl_batch 7 /status/503
assert_eq "7 x /status/503 answers" "$(repeat 503 7)" "$got"
curl_batch 3 /status/404
assert_eq "3 x /status/404 answers" "$(repeat 404 3)" "$got"
client_py pipeline "$S" "$P" 3 /
assert_eq "pipelined answers" "200 200 200" "$got"
client_py split "$S" "$P" /
assert_eq "split request answer" 200 "$got"
echo "clients made $exp_conns connections, sent $exp_sent bytes, received $exp_recv"

# ------------------------------------------------------------ checks, part 1

echo "edge $C -> $S:$P http after part 1"
n=$(wait_edge_field "$C" "$S" "$P" http .requests 34 "$settle")
assert_eq "requests (20+7+3+3+1)" 34 "$n"
n=$(wait_edge_field "$C" "$S" "$P" http .connections_closed "$exp_conns" "$settle")
snapshot
echo "  edge: $snap"
assert_eq "edges with this key" 1 "$(edge_count "$C" "$S" "$P" http)"
assert_eq "requests" 34 "$(edge .requests)"
assert_eq "status 200 (20 delay + 3 pipelined + 1 split)" 24 "$(edge '.status_codes["200"]')"
assert_eq "status 503" 7 "$(edge '.status_codes["503"]')"
assert_eq "status 404" 3 "$(edge '.status_codes["404"]')"
assert_eq "no other status codes" '["200","404","503"]' \
	"$(edge '.status_codes | with_entries(select(.value > 0)) | keys')"
assert_eq "errors (the 503s; 4xx are not errors)" 7 "$(edge .errors)"
# 34 requests, 20 of them take >= 50 ms and 14 a few ms: sorted, the 17th
# and 18th values (the median, by any interpolation) are both /delay/50
# ones, so p50 is 50 ms plus the server's overhead.
assert_within_pct "latency p50 ms" 50 "$(edge .latency_ms.p50)" 10
assert_within_pct "latency p95 ms" 50 "$(edge .latency_ms.p95)" 20
assert_true "latency max >= 50 ms and p99 <= max" \
	jq -e '.latency_ms | .max >= 50 and .p99 <= .max and .p50 <= .p95 and .p95 <= .p99' <<<"$snap"
assert_eq "source workload" '"client"' "$(edge .source.workload)"
assert_eq "source namespace" '"demo"' "$(edge .source.namespace)"
assert_eq "destination workload" '"server"' "$(edge .destination.workload)"
assert_eq "destination namespace" '"demo"' "$(edge .destination.namespace)"
assert_eq "destination service" '"server"' "$(edge .destination.service)"
assert_eq "source cgroup is pod client's" "\"$(pod_cg_rel client)\"" "$(edge .source.cgroup)"
assert_eq "destination cgroup is pod server's" "\"$(pod_cg_rel server)\"" \
	"$(edge .destination.cgroup)"
assert_true "source process is curl/python (or null)" \
	jq -e '.source.process == null or (.source.process | test("^(curl|python)"))' <<<"$snap"
assert_true "destination process is python (or null)" \
	jq -e '.destination.process == null or (.destination.process | test("^python"))' <<<"$snap"
assert_true "reporter is source or destination" \
	jq -e '.reporter == "source" or .reporter == "destination"' <<<"$snap"
assert_eq "connections_opened (one per curl and per client.py)" "$exp_conns" "$(edge .connections_opened)"
assert_eq "connections_closed" "$exp_conns" "$(edge .connections_closed)"
assert_gt "bytes_sent" 0 "$(edge .bytes_sent)"
assert_eq "bytes_sent (client request bytes)" "$exp_sent" "$(edge .bytes_sent)"
assert_eq "bytes_received (server response bytes)" "$exp_recv" "$(edge .bytes_received)"

# ------------------------------------------------------------ traffic, part 2

echo "hostile traffic: garbage, a half-sent request held 2 s, a reset mid-request"
conns_before=$exp_conns
client_py garbage "$S" "$P"
pod_spawn client "$MS_STATE_DIR/halfopen.log" "${client[@]}" halfopen "$S" "$P" 2 >/dev/null
exp_conns=$((exp_conns + 1))
sleep 0.5
assert_true "agent healthy while a half-sent request is open" ms_agent_healthy
wait_until 5 bash -c "! grep -q . '$(pod_cg client)/cgroup.procs'" ||
	ms_fail "halfopen client still running after 5 s"
snapshot
assert_eq "requests unchanged by garbage and halfopen (early look)" 34 "$(edge .requests)"
client_py reset "$S" "$P" /delay/500
n=$(wait_edge_field "$C" "$S" "$P" http '.status_codes["0"]' 1 "$settle")
assert_eq "reset request reported with status 0" 1 "$n"
# A last ordinary request: once it shows, everything before it has been
# processed, so the totals below are final.
client_py keepalive "$S" "$P" 1 /
assert_eq "final request answer" 200 "$got"
n=$(wait_edge_field "$C" "$S" "$P" http .requests 36 "$settle")

# ------------------------------------------------------------ checks, part 2

echo "edge $C -> $S:$P http after part 2"
snapshot
echo "  edge: $snap"
assert_true "agent still healthy" ms_agent_healthy
assert_eq "requests (34 + reset + final; none from garbage/halfopen)" 36 "$(edge .requests)"
assert_eq "errors (7 x 503 + the reset)" 8 "$(edge .errors)"
assert_eq "status 0" 1 "$(edge '.status_codes["0"]')"
assert_eq "status 200" 25 "$(edge '.status_codes["200"]')"
assert_eq "status codes (no 400 from garbage/halfopen)" '["0","200","404","503"]' \
	"$(edge '.status_codes | with_entries(select(.value > 0)) | keys')"
echo "  $((exp_conns - conns_before)) more connections; each ends up on the http or a tcp edge"
all_conns() {
	edges_json | jq -r --arg s "$C" --arg d "$S" --argjson p "$P" '[.edges[]
		| select(.source.address == $s and .destination.address == $d and .destination.port == $p)
		| [.connections_opened, .connections_closed]] | transpose | map(add | tostring) | join(" ")'
}
deadline=$((SECONDS + settle))
until [ "$(all_conns)" = "$exp_conns $exp_conns" ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.1
done
assert_eq "connections opened/closed over all edges $C -> $S:$P" "$exp_conns $exp_conns" "$(all_conns)"

# ------------------------------------------------------------ traffic, part 3

# The 100 requests leave in one ~6 KB segment, of which the kernel captures
# the first 1 KB: the requests after it are counted from their responses.
echo "100 requests pipelined on one connection (to :$PP): every answered one is counted"
client_py pipeline "$S" "$PP" 100 /
assert_eq "100 pipelined answers" "$(repeat 200 100)" "$got"
n=$(wait_edge_field "$C" "$S" "$PP" http .requests 100 "$settle")
assert_eq "requests on $C -> $S:$PP" 100 "$n"
wait_edge_field "$C" "$S" "$PP" http .views.source.requests 100 "$settle" >/dev/null
pp=$(edge_get "$C" "$S" "$PP" http)
assert_eq "status 200 x 100, from both ends" "100 100 100" \
	"$(jq -r '"\(.status_codes["200"]) \(.views.source.requests) \(.views.destination.requests)"' <<<"$pp")"
assert_eq "errors" 0 "$(jq .errors <<<"$pp")"
assert_true "latency p50 > 0 (requests past the capture start with their segment)" \
	jq -e '.latency_ms.p50 > 0' <<<"$pp"

# ------------------------------------------------------------ the rest of the API

echo "stats and metrics"
stats=$(stats_json)
echo "  stats: $stats"
assert_true "stats: uptime_seconds > 0" jq -e '.uptime_seconds > 0' <<<"$stats"
assert_true "stats: conn_open events >= connections made" \
	jq -e --argjson n "$exp_conns" '.events_seen.conn_open >= $n' <<<"$stats"
assert_true "stats: data events seen" jq -e '.events_seen.data > 0' <<<"$stats"
assert_eq "stats: nothing dropped" 0 "$(jq '[.events_dropped[] | numbers] | add // 0' <<<"$stats")"
assert_true "stats: tracked_edges >= 1" jq -e '.tracked_edges >= 1' <<<"$stats"
metrics=$(curl -fsS "$MS_AGENT_URL/metrics")
assert_true "metrics: 200 with Prometheus samples" \
	grep -qE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEnaNIf]+' <<<"$metrics"
assert_eq "healthz body" ok "$(curl -sS "$MS_AGENT_URL/healthz")"

agent_stop
if command -v bpftool >/dev/null; then
	assert_eq "programs detached from $MS_CG_ROOT after exit" "" \
		"$(bpftool cgroup show "$MS_CG_ROOT" 2>/dev/null | tail -n +2)"
fi

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The agent never observes itself. Run inside the cgroup it watches (as a
# DaemonSet watching the whole node is), with OTLP metrics and traces on and
# its endpoint scraped, it must make no edge, no span and no metric series of
# its own work, and count what it left out:
#   1. its OTLP exports to a collector outside the watched cgroup, and the
#      scrapes of its own endpoint;
#  1b. the same where sockops cannot read the task (kernels before 6.10):
#      the agent's sockets are told by its cgroup;
#   2. its exports to a collector inside a watched pod: the collector's
#      socket is the peer of an excluded one, so it is left out too;
#   3. --exclude-process and --exclude-cgroup leave out those sockets only.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds node npm curl jq "$MS_PYTHON"

otlp_deps
RECV_PORT=$MS_RECV_PORT

pod_create col 1
pod_create cli 2
pod_create srv 3
pod_spawn srv "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen srv 8080 || ms_die "httpd did not start"

# received URL SIGNAL: how many requests of SIGNAL the receiver decoded.
received() { curl -fsS "$1/received?signal=$2" | jq length; }
spans() { curl -fsS "$1/received?signal=traces" | jq '[.[].body.resourceSpans[].scopeSpans[].spans[]] | length'; }
edges() { edges_json | jq '.edges | length'; }
scrape() {
	local i
	for ((i = 0; i < 5; i++)); do
		ms_get /metrics >/dev/null && ms_get /api/v1/edges >/dev/null || ms_fail "scrape $i failed"
	done
}

echo "1. exports to a collector outside the watched cgroup, scrapes of the endpoint"
otlp_receiver_start
MS_AGENT_CGROUP="$(pod_cg agent)" agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 300
scrape
wait_until 10 bash -c "[ \$(curl -fsS '$RECV/received?signal=metrics' | jq length) -ge 4 ]" ||
	ms_fail "the receiver got fewer than 4 metric exports"
scrape
sleep 1
assert_eq "no edge of the agent's own exports or scrapes" 0 "$(edges)"
assert_eq "no span of the agent's own exports" 0 "$(spans "$RECV")"
assert_true "its own connections counted as excluded" \
	test "$(stats_json | jq .excluded_connections)" -ge 10
assert_true "the same count in /metrics" \
	grep -qE '^meshsight_excluded_connections_total [1-9]' <<<"$(ms_get /metrics)"
assert_eq "no meshsight_requests_total series" 0 \
	"$(ms_get /metrics | grep -c '^meshsight_requests_total{')"
agent_stop

echo "1b. the same where sockops cannot read the task: sockets carry no pid"
# As on kernels before 6.10: the agent tells its sockets by its cgroup,
# whose id it asks of the kernel. Without that, its own exports were edges.
curl -fsS -X POST "$RECV/reset" >/dev/null || ms_fail "the receiver did not reset"
MESHSIGHT_PROBE_PRETEND_MISSING=get_current_comm MS_AGENT_CGROUP="$(pod_cg agent)" \
	agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 300
assert_true "it says the agent's cgroup stands for its sockets" \
	grep -qF "every socket in the agent's own cgroup (id $(stat -c %i "$(pod_cg agent)"))" "$MS_AGENT_LOG"
scrape
wait_until 10 bash -c "[ \$(curl -fsS '$RECV/received?signal=metrics' | jq length) -ge 4 ]" ||
	ms_fail "the receiver got fewer than 4 metric exports"
scrape
sleep 1
assert_eq "no edge of the agent's own exports or scrapes (no pids)" 0 "$(edges)"
assert_eq "no span of the agent's own exports (no pids)" 0 "$(spans "$RECV")"
assert_true "its own connections counted as excluded (no pids)" \
	test "$(stats_json | jq .excluded_connections)" -ge 10
pod_exec cli curl -s -o /dev/null --max-time 10 http://10.200.3.2:8080/status/200 || ms_fail "curl failed"
assert_eq "a pod's request is still an edge" 1 \
	"$(wait_edge_field 10.200.2.2 10.200.3.2 8080 http .requests 1 10)"
agent_stop

echo "2. exports to a collector in a watched pod"
pod_spawn col "$MS_STATE_DIR/recv2.log" node "$MS_OTLP_DIR/receiver.mjs" --host 0.0.0.0 --port "$RECV_PORT" --quiet >/dev/null
wait_listen col "$RECV_PORT" || ms_die "OTLP receiver in the pod did not start"
# The test reads the receiver from inside its pod, over loopback, so that
# its own reads are not what reaches the collector from the node; the pod is
# watched, so curl is excluded too, or its reads would be spans of their own
# (exported to this collector whenever the span schedule fires in time).
in_pod() { pod_exec col curl -fsS -m 5 "http://127.0.0.1:$RECV_PORT$1"; }
MS_AGENT_CGROUP="$(pod_cg agent)" agent_start --otlp-endpoint "http://10.200.1.2:$RECV_PORT" \
	--metric-export-interval-ms 300 --exclude-process curl
pod_exports() { [ "$(in_pod '/received?signal=metrics' | jq length)" -ge 4 ]; }
wait_until 10 pod_exports || ms_fail "the pod's receiver got fewer than 4 metric exports"
sleep 1
assert_eq "no edge from the agent (the node's address) to the watched collector" 0 \
	"$(edges_json | jq '[.edges[] | select(.source.address == "10.200.1.1")] | length')"
assert_eq "no span of the collector's side either" 0 \
	"$(in_pod '/received?signal=traces' | jq '[.[].body.resourceSpans[].scopeSpans[].spans[]] | length')"
assert_true "the collector's sockets counted as excluded" \
	test "$(stats_json | jq .excluded_connections)" -ge 2
agent_stop

echo "3. --exclude-process and --exclude-cgroup"
agent_start --exclude-process curl --exclude-cgroup "$(pod_cg_rel col)"
pod_exec cli curl -s -o /dev/null --max-time 10 http://10.200.3.2:8080/status/200 || ms_fail "curl failed"
pod_exec cli "$MS_PYTHON" "$MS_E2E_DIR/client.py" keepalive 10.200.3.2 8080 2 /status/200 >/dev/null 2>&1 ||
	ms_fail "client.py failed"
pod_exec col curl -s -o /dev/null --max-time 10 http://10.200.3.2:8080/status/204 || ms_fail "curl from col failed"
pod_exec col "$MS_PYTHON" "$MS_E2E_DIR/client.py" keepalive 10.200.3.2 8080 3 /status/204 >/dev/null 2>&1 ||
	ms_fail "client.py from col failed"
wait_edge_field 10.200.2.2 10.200.3.2 8080 http .requests 2 >/dev/null
e=$(edge_get 10.200.2.2 10.200.3.2 8080 http)
assert_eq "client.py's requests, curl's left out (both views)" 2 "$(jq -r .views.source.requests <<<"$e")"
assert_eq "the server's view of them" 2 "$(jq -r .views.destination.requests <<<"$e")"
assert_eq "nothing from the excluded cgroup" null "$(edge_get 10.200.1.2 10.200.3.2 8080 http)"
assert_true "excluded connections counted (curl, col and their peers)" \
	test "$(stats_json | jq .excluded_connections)" -ge 6
agent_stop

ms_finish

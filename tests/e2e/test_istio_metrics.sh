#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Istio's standard metrics as Kiali meets them, with no sidecar anywhere:
# frontend calls checkout over HTTP (some 503s, a known server delay), talks
# to db over plain TCP, and calls two addresses outside the mesh. A real
# Prometheus scrapes the agent and answers the queries Kiali's graph sends
# (kiali graph/telemetry/istio: istio.go and appender/response_time.go):
# the workloads, the error codes and their share of the rate, the TCP edge,
# one PassthroughCluster node for the outside, and a response-time quantile
# that lands in the server's delay.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds prometheus promtool curl jq "$MS_PYTHON"

OUT_PORT=18081 # the outside world's HTTP servers, on the node
pod_create fe 1
pod_create co 2
pod_create db 3
cat >"$MS_STATE_DIR/ids" <<'IDS'
10.200.1.2 workload=frontend namespace=shop
10.200.2.2 workload=checkout namespace=shop service=checkout
10.200.3.2 workload=db namespace=shop service=db
IDS
agent_start --identities "$MS_STATE_DIR/ids"
pod_spawn co "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
# db speaks no HTTP: it reads 1000 bytes and answers 2000.
pod_spawn db "$MS_STATE_DIR/db.log" "$MS_PYTHON" -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.200.3.2", 5432))
s.listen(8)
while True:
    c, _ = s.accept()
    n = 0
    while n < 1000:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(b"y" * 2000)
    c.close()
' >/dev/null
# Outside the mesh: servers on the node, in no watched cgroup, named by nothing.
for a in 10.200.1.1 10.200.2.1; do
	"$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$OUT_PORT" "$a" >"$MS_STATE_DIR/out-$a.log" 2>&1 </dev/null &
	ms_record_pid $!
done
wait_listen co 8080 || ms_die "checkout httpd did not start"
wait_listen db 5432 || ms_die "db server did not start"
wait_until 10 sh -c "ss -Hltn 'sport = :$OUT_PORT' | grep -q 10.200.2.1" ||
	ms_die "outside httpd did not start"

prometheus_start

# traffic N200 N503 NTCP: one keep-alive connection to checkout (N200 calls
# taking 30 ms, N503 quick errors), NTCP exchanges with db, one call to each
# outside server.
traffic() {
	local urls=() i
	for ((i = 0; i < $1; i++)); do urls+=(http://10.200.2.2:8080/delay/30); done
	for ((i = 0; i < $2; i++)); do urls+=(http://10.200.2.2:8080/status/503); done
	pod_exec fe curl -s --max-time 30 "${urls[@]}" >/dev/null || ms_fail "curl to checkout failed"
	for ((i = 0; i < $3; i++)); do
		pod_exec fe "$MS_PYTHON" -c '
import socket
c = socket.create_connection(("10.200.3.2", 5432))
c.sendall(b"x" * 1000)
n = 0
while True:
    d = c.recv(65536)
    if not d:
        break
    n += len(d)
c.close()
assert n == 2000, n
' || ms_fail "db exchange failed"
	done
	pod_exec fe curl -s --max-time 30 "http://10.200.1.1:$OUT_PORT/" "http://10.200.2.1:$OUT_PORT/" >/dev/null ||
		ms_fail "curl to the outside failed"
}

wait_promval 'max(up{job="meshsight"})' 1

# Rates need a series to exist before it grows: a first round, scraped, then
# a second. Both rounds send 200s and 503s in the same 3:1 proportion, so
# Prometheus' extrapolation treats the two series alike.
echo "round 1: 3 x 200, 1 x 503, 1 TCP exchange, 2 outside calls"
traffic 3 1 1
dst='reporter="destination",destination_workload="checkout"'
wait_promval "sum(istio_requests_total{$dst})" 4
wait_promval 'sum(istio_tcp_connections_closed_total{reporter="source",destination_workload="db"})' 1
sleep 2
echo "round 2: 12 x 200, 4 x 503, 2 TCP exchanges, 2 outside calls"
traffic 12 4 2
wait_promval "sum(istio_requests_total{$dst})" 20
wait_promval "sum(istio_requests_total{$dst,response_code=\"503\"})" 5
wait_promval "sum(istio_request_duration_milliseconds_count{$dst})" 20
wait_promval 'sum(istio_tcp_connections_closed_total{reporter="source",destination_workload="db"})' 3
# Istio's "sent" is the server's answer, "received" the client's request;
# both ends count payload only (no SYN, no FIN).
wait_promval 'sum(istio_tcp_sent_bytes_total{reporter="source",destination_workload="db"})' 6000
wait_promval 'sum(istio_tcp_sent_bytes_total{reporter="destination",destination_workload="db"})' 6000
wait_promval 'sum(istio_tcp_received_bytes_total{reporter="source",destination_workload="db"})' 3000
wait_promval 'sum(istio_tcp_received_bytes_total{reporter="destination",destination_workload="db"})' 3000
wait_promval 'sum(istio_requests_total{reporter="source",destination_service_name="PassthroughCluster"})' 4
sleep 2 # a few more scrapes after the last change, for rate()

echo "promtool check metrics on a real scrape"
ms_get /metrics >"$MS_STATE_DIR/metrics.txt"
assert_promtool_clean "promtool: no problem but Istio's millisecond unit" "$MS_STATE_DIR/metrics.txt"

echo "Kiali's graph queries"
G='source_cluster,source_workload_namespace,source_workload,source_canonical_service,source_canonical_revision,destination_cluster,destination_service_namespace,destination_service,destination_service_name,destination_workload_namespace,destination_workload,destination_canonical_service,destination_canonical_revision,request_protocol,response_code,grpc_response_status,response_flags'
# Incoming, from destination telemetry.
in_q="sum(rate(istio_requests_total{reporter=~\"destination|waypoint\",destination_workload_namespace=\"shop\"} [60s])) by ($G) > 0"
rows=$(promql "$in_q")
assert_eq "incoming rows (200 and 503)" 2 "$(jq length <<<"$rows")"
assert_eq "incoming edge" "frontend shop frontend latest Kubernetes -> checkout shop checkout checkout.shop.svc.cluster.local checkout latest Kubernetes http" \
	"$(jq -r '[.[].metric | "\(.source_workload) \(.source_workload_namespace) \(.source_canonical_service) \(.source_canonical_revision) \(.source_cluster) -> \(.destination_workload) \(.destination_service_namespace) \(.destination_service_name) \(.destination_service) \(.destination_canonical_service) \(.destination_canonical_revision) \(.destination_cluster) \(.request_protocol)"] | unique | .[]' <<<"$rows")"
assert_eq "incoming codes and flags" "200 - 503 -" \
	"$(jq -r '[.[].metric | "\(.response_code) \(.response_flags)"] | sort | join(" ")' <<<"$rows")"
r200=$(jq -r '.[] | select(.metric.response_code == "200") | .value[1]' <<<"$rows")
r503=$(jq -r '.[] | select(.metric.response_code == "503") | .value[1]' <<<"$rows")
assert_gt "rate of 200s" 0 "$r200"
assert_within_pct "503 rate / 200 rate" 0.3333 "$(awk -v a="$r503" -v b="$r200" 'BEGIN { print a / b }')" 1

# Outgoing, from source telemetry: checkout and one PassthroughCluster node
# for both outside addresses.
out_q="sum(rate(istio_requests_total{reporter=~\"source|waypoint\",source_workload_namespace=\"shop\"} [60s])) by ($G) > 0"
rows=$(promql "$out_q")
assert_eq "outgoing destinations" "PassthroughCluster/unknown/unknown/200 checkout/checkout/shop/200 checkout/checkout/shop/503" \
	"$(jq -r '[.[].metric | "\(.destination_service_name)/\(.destination_workload)/\(.destination_service_namespace)/\(.response_code)"] | sort | join(" ")' <<<"$rows")"

# TCP, received and sent bytes as Kiali's "total" rate asks for them.
T='app,source_cluster,source_workload_namespace,source_workload,source_canonical_service,source_canonical_revision,destination_cluster,destination_service_namespace,destination_service,destination_service_name,destination_workload_namespace,destination_workload,destination_canonical_service,destination_canonical_revision,response_flags'
for m in istio_tcp_sent_bytes_total istio_tcp_received_bytes_total; do
	rows=$(promql "sum(rate($m{reporter=~\"source|waypoint\",source_workload_namespace=\"shop\"} [60s])) by ($T) > 0")
	assert_eq "$m outgoing" "frontend -> db db.shop.svc.cluster.local -" \
		"$(jq -r '.[].metric | "\(.source_workload) -> \(.destination_workload) \(.destination_service) \(.response_flags)"' <<<"$rows")"
	rows=$(promql "sum(rate($m{reporter=~\"destination|waypoint\",destination_workload_namespace=\"shop\"} [60s])) by ($T) > 0")
	assert_eq "$m incoming" "frontend -> db" \
		"$(jq -r '.[].metric | "\(.source_workload) -> \(.destination_workload)"' <<<"$rows")"
done

# Response time, as the responseTime appender asks (destination telemetry):
# round 2 had 12 calls the server held for 30 ms and 4 quick ones. Istio's
# duration runs to the response's last byte, which Nagle and the client's
# delayed ACK can hold back up to 40 ms more.
rt="le,source_cluster,source_workload_namespace,source_workload,source_canonical_service,source_canonical_revision,destination_cluster,destination_service_namespace,destination_service,destination_service_name,destination_workload_namespace,destination_workload,destination_canonical_service,destination_canonical_revision,request_protocol"
for q in 0.50 0.95; do
	v=$(promval "histogram_quantile($q, sum(rate(istio_request_duration_milliseconds_bucket{reporter=~\"destination|waypoint\",destination_service_namespace=\"shop\"}[60s])) by ($rt)) > 0")
	assert_gt "p${q#0.} response time (ms)" 30 "$v"
	assert_true "p${q#0.} response time $v ms <= 100" awk -v v="$v" 'BEGIN { exit !(v <= 100) }'
done
# Plaintext between the pods: "none" from the server, "unknown" from the client.
wait_promval "count(istio_requests_total{$dst,connection_security_policy=\"none\"})" 2
wait_promval 'count(istio_requests_total{reporter="source",destination_workload="checkout",connection_security_policy="unknown"})' 2
# The meshsight_* families are still there.
wait_promval "sum(meshsight_requests_total{reporter=\"destination\",destination_workload=\"checkout\"})" 20

ms_finish

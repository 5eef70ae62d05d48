#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# /metrics as Prometheus users meet it: promtool accepts the exposition, and
# a real Prometheus scraping the agent answers PromQL queries with the exact
# request counts, status codes and histogram counts of the traffic we sent.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds prometheus promtool curl jq "$MS_PYTHON"

PROM_PORT=${MS_PROM_PORT:-19090}
pod_create pmc 1
pod_create pms 2
printf '10.200.1.2 workload=shopper namespace=demo\n10.200.2.2 workload=catalog namespace=demo service=catalog\n' \
	>"$MS_STATE_DIR/ids"
agent_start --identities "$MS_STATE_DIR/ids"
pod_spawn pms "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen pms 8080 || ms_die "httpd did not start"

echo "traffic: 12 x 200 and 4 x 500 on one keep-alive connection"
urls=()
for ((i = 0; i < 12; i++)); do urls+=(http://10.200.2.2:8080/delay/20); done
for ((i = 0; i < 4; i++)); do urls+=(http://10.200.2.2:8080/status/500); done
pod_exec pmc curl -s "${urls[@]}" >/dev/null || ms_fail "curl failed"
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 16 >/dev/null

echo "promtool check metrics"
ms_get /metrics >"$MS_STATE_DIR/metrics.txt"
# Istio's own metric name breaks promtool's base-unit lint (exit 3); nothing else may.
out=$(promtool check metrics <"$MS_STATE_DIR/metrics.txt" 2>&1)
rc=$?
if [ "$rc" -eq 3 ] &&
	[ "$out" = 'istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"' ]; then
	ms_pass "promtool accepts /metrics"
else
	ms_fail "promtool check metrics (status $rc): $out"
fi

echo "a real Prometheus scrapes the agent"
cat >"$MS_STATE_DIR/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: meshsight
    static_configs:
      - targets: ["127.0.0.1:$MS_PORT"]
CFG
prometheus --config.file="$MS_STATE_DIR/prometheus.yml" --storage.tsdb.path="$MS_STATE_DIR/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$MS_STATE_DIR/prometheus.log" 2>&1 &
ms_record_pid $!

promql() {
	curl -fsS -m 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // "none"'
}
wait_promql() {
	local q=$1 want=$2 got deadline=$((SECONDS + 30))
	while :; do
		got=$(promql "$q" 2>/dev/null)
		[ "$got" = "$want" ] || [ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.5
	done
	assert_eq "PromQL $q" "$want" "$got"
}

sel='reporter="destination",source_workload="shopper",destination_service="catalog"'
wait_promql "sum(meshsight_requests_total{$sel})" 16
wait_promql "sum(meshsight_requests_total{$sel,status_code=\"500\"})" 4
wait_promql "sum(meshsight_requests_total{$sel,status_code=\"200\"})" 12
wait_promql "sum(meshsight_request_duration_seconds_count{$sel})" 16
# every /delay/20 request took >= 20 ms, so at most the 4 fast 500s are under 10 ms
wait_promql "sum(meshsight_request_duration_seconds_bucket{$sel,le=\"0.01\"}) <= bool 4" 1
wait_promql "sum(meshsight_tcp_connections_opened_total{$sel,protocol=\"http\"})" 1
wait_promql "max(up{job=\"meshsight\"})" 1

ms_finish

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
assert_promtool_clean "promtool accepts /metrics" "$MS_STATE_DIR/metrics.txt"

echo "a real Prometheus scrapes the agent"
prometheus_start

sel='reporter="destination",source_workload="shopper",destination_service="catalog"'
wait_promval "sum(meshsight_requests_total{$sel})" 16
wait_promval "sum(meshsight_requests_total{$sel,status_code=\"500\"})" 4
wait_promval "sum(meshsight_requests_total{$sel,status_code=\"200\"})" 12
wait_promval "sum(meshsight_request_duration_seconds_count{$sel})" 16
# every /delay/20 request took >= 20 ms, so at most the 4 fast 500s are under 10 ms
wait_promval "sum(meshsight_request_duration_seconds_bucket{$sel,le=\"0.01\"}) <= bool 4" 1
wait_promval "sum(meshsight_tcp_connections_opened_total{$sel,protocol=\"http\"})" 1
# The buckets resolve the latency: Prometheus' median within 25% of the agent's.
p50_json=$(edge_field 10.200.1.2 10.200.2.2 8080 http .latency_ms.p50)
p50_prom=$(promval "histogram_quantile(0.5, sum by (le) (meshsight_request_duration_seconds_bucket{$sel})) * 1000")
printf '      figures: median %s ms in /api/v1/edges, %s ms from histogram_quantile\n' "$p50_json" "$p50_prom" >&2
assert_true "histogram_quantile(0.5) within 25% of the JSON p50" \
	awk -v a="$p50_prom" -v b="$p50_json" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= 0.25 * b) }'
wait_promval "max(up{job=\"meshsight\"})" 1

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Error access logs on GET /api/v1/access-log: every failed request (5xx,
# or reset before its answer) and no other, once although both ends are
# watched, with the edge's names, method, path without its query, status,
# duration and trace ids (the traceparent's trace id when the request
# carried one). No query string, header value or cookie appears. Then
# --access-log all with --access-log-rate 5: successes are recorded too, and
# what the ceiling refuses is counted, never kept.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq "$MS_PYTHON"

C=10.200.1.2 S=10.200.2.2 P=8080
pod_create client 1
pod_create server 2
ids=$MS_STATE_DIR/identities
printf '%s workload=client namespace=demo\n%s workload=server namespace=demo service=server\n' "$C" "$S" >"$ids"
pod_spawn server "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
wait_listen server "$P" || ms_die "httpd did not start"

TRACE=4bf92f3577b34da6a3ce929d0e0e4736
curl_c() { pod_exec client curl -sS --max-time 30 -o /dev/null "$@" >/dev/null || ms_fail "curl $* failed"; }
log=
records() { log=$(ms_get "/api/v1/access-log$1") && [ "$(jq '.records | length' <<<"$log")" -ge "$2" ]; }

echo "1. --access-log errors (the default)"
agent_start --identities "$ids"
curl_c "http://$S:$P/status/200" "http://$S:$P/status/404" "http://$S:$P/status/200"
curl_c -H "Authorization: Bearer S3cretBearer" -H "Cookie: sid=S3cretCookie" \
	-H "traceparent: 00-$TRACE-00f067aa0ba902b7-01" "http://$S:$P/status/503?token=S3cretQuery"
curl_c "http://$S:$P/status/500" "http://$S:$P/status/502"
pod_exec client "$MS_PYTHON" "$MS_E2E_DIR/client.py" reset "$S" "$P" /delay/500 >/dev/null 2>&1
wait_until 10 records "" 4 || ms_fail "fewer than 4 records: $log"
sleep 1
log=$(ms_get /api/v1/access-log)
echo "  $log" | cut -c1-600
assert_eq "the 4 failures, once each, oldest first" '[503,500,502,0]' "$(jq -c '[.records[].status]' <<<"$log")"
assert_eq "mode" '"errors"' "$(jq .mode <<<"$log")"
r=$(jq -c '.records[0]' <<<"$log")
assert_eq "names, addresses, port" "demo/client $C demo/server $S $P" \
	"$(jq -r '"\(.source.name) \(.source.address) \(.destination.name) \(.destination.address) \(.destination.port)"' <<<"$r")"
assert_eq "method and path, without the query" "GET /status/503" "$(jq -r '"\(.method) \(.path)"' <<<"$r")"
assert_eq "the traceparent's trace id" "\"$TRACE\"" "$(jq .trace_id <<<"$r")"
assert_true "a span id of 16 hex digits, not the caller's" \
	jq -e '.span_id | test("^[0-9a-f]{16}$") and . != "00f067aa0ba902b7"' <<<"$r"
assert_true "every record: 32-hex trace id, duration >= 0, recorded by the server" \
	jq -e '[.records[] | (.trace_id | test("^[0-9a-f]{32}$")) and .duration_ms >= 0 and .reporter == "destination"] | all' <<<"$log"
assert_true "the reset request waited ~500 ms or was cut: status 0 with a duration" \
	jq -e '.records[3] | .status == 0 and .path == "/delay/500"' <<<"$log"
assert_eq "no secret anywhere (query, Authorization, Cookie)" 0 \
	"$(grep -c -e S3cret -e Bearer -e token= <<<"$log")"
assert_eq "?limit=2: the newest two" '[502,0]' "$(jq -c '[.records[].status]' <<<"$(ms_get '/api/v1/access-log?limit=2')")"
assert_eq "?limit=junk: all of them" 4 "$(jq '.records | length' <<<"$(ms_get '/api/v1/access-log?limit=x1')")"
assert_true "other pages ignore a limit argument (/api/v1/edges?limit=1)" \
	jq -e '.edges | length >= 1' <<<"$(ms_get '/api/v1/edges?limit=1')"
metrics=$(ms_get /metrics)
assert_eq "meshsight_access_log_records_total" 4 \
	"$(awk '$1 == "meshsight_access_log_records_total" { print $2 }' <<<"$metrics")"
agent_stop

echo "2. --access-log all --access-log-rate 5: 30 requests in a burst"
agent_start --identities "$ids" --access-log all --access-log-rate 5
args=()
for ((i = 0; i < 30; i++)); do args+=("http://$S:$P/status/200"); done
t0=$(date +%s%N)
curl_c "${args[@]}"
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
counted() { log=$(ms_get /api/v1/access-log) && [ "$(jq '.recorded + .dropped.rate' <<<"$log")" -ge 30 ]; }
wait_until 10 counted || ms_fail "the 30 requests were not all counted: $log"
kept=$(jq .recorded <<<"$log") dropped=$(jq .dropped.rate <<<"$log")
echo "  kept $kept, dropped $dropped"
# The bucket holds 5 and refills 5 a second: over the burst's $elapsed_ms ms, at most
# 5 + 5 x seconds (+1 for the boundary), and never fewer than the 5 it starts with.
assert_true "kept between 5 and 5 + 5 x $elapsed_ms ms (+1)" \
	test "$kept" -ge 5 -a "$kept" -le $((5 + 5 * elapsed_ms / 1000 + 1))
assert_eq "kept + dropped = 30" 30 "$((kept + dropped))"
assert_eq "successes are recorded in mode all" 200 "$(jq '.records[0].status' <<<"$log")"
assert_eq "meshsight_access_log_dropped_total{reason=\"rate\"}" "$dropped" \
	"$(ms_get /metrics | awk '$1 == "meshsight_access_log_dropped_total{reason=\"rate\"}" { print $2 }')"
assert_true "some were dropped" test "$dropped" -gt 0
agent_stop
ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The OTLP logs signal as a backend receives it (tests/otlp's receiver,
# decoding with protobufjs; the logs messages checked there against the
# OpenTelemetry JS SDK's own bodies): failed requests arrive as access-log
# records with the HTTP attributes, no query or header value, and the trace
# and span ids of the SERVER span of the same request; events (new_edge,
# error_rate) arrive as records of the agent's resource. The counts agree
# with /metrics and /api/v1/stats. OTLP/JSON too. Then the variables:
# OTEL_LOGS_EXPORTER=none, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT alone, and
# OTEL_EXPORTER_OTLP_LOGS_HEADERS on the logs requests only.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds node npm curl jq "$MS_PYTHON"

C=10.200.1.2 S=10.200.2.2 P=8080
pod_create client 1
pod_create server 2
ids=$MS_STATE_DIR/identities
printf '%s workload=client namespace=demo\n%s workload=server namespace=demo service=server\n' "$C" "$S" >"$ids"
pod_spawn server "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
wait_listen server "$P" || ms_die "httpd did not start"
otlp_receiver_start

TRACE=4bf92f3577b34da6a3ce929d0e0e4736
export OTEL_BLRP_SCHEDULE_DELAY=200 OTEL_BSP_SCHEDULE_DELAY=200
reset() { curl -fsS -X POST "$RECV/reset" >/dev/null || ms_fail "receiver reset failed"; }
# All log records received, each with its resource's service.name and the request's headers.
records() {
	curl -fsS "$RECV/received?signal=logs" | jq -c '[.[] | .headers as $h | .body.resourceLogs[]
		| ((.resource.attributes[] | select(.key == "service.name") | .value.stringValue) // "")
		as $svc | .scopeLogs[].logRecords[] | . + {service: $svc, headers: $h,
		attrs: ([.attributes[] | {(.key): (.value | .stringValue // .intValue // .doubleValue)}]
		| add)}]'
}
spans() {
	curl -fsS "$RECV/received?signal=traces" | jq -c '[.[].body.resourceSpans[]
		| ((.resource.attributes[] | select(.key == "service.name") | .value.stringValue) // "")
		as $svc | .scopeSpans[].spans[] | . + {service: $svc}]'
}
count() { curl -fsS "$RECV/received?signal=$1" | jq length; }
logs=
has_logs() { logs=$(records) && [ "$(jq "[.[] | select($1)] | length" <<<"$logs")" -ge "$2" ]; }
curl_c() { pod_exec client curl -sS --max-time 30 -o /dev/null "$@" >/dev/null || ms_fail "curl $* failed"; }
failures() {
	curl_c -H "Authorization: Bearer S3cretBearer" -H "Cookie: sid=S3cretCookie" \
		-H "traceparent: 00-$TRACE-00f067aa0ba902b7-01" "http://$S:$P/status/503?token=S3cretQuery"
	local args=() i
	for ((i = 0; i < 9; i++)); do args+=("http://$S:$P/status/500"); done
	curl_c "${args[@]}"
}

echo "1. protobuf: access-log records and events as OTLP log records"
agent_start --identities "$ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 1000 \
	--learn 1 --window 6 --event-min-requests 5
sleep 2 # past the learning period: the first call is a new_edge
curl_c "http://$S:$P/status/200"
failures
wait_until 15 has_logs '.eventName == "meshsight.access_log"' 10 ||
	ms_fail "fewer than 10 access-log records arrived: $logs"
wait_until 15 has_logs '.eventName == "meshsight.error_rate"' 1 ||
	ms_fail "no error_rate event record arrived: $logs"
sleep 1
logs=$(records) sp=$(spans)
echo "  $(jq -c '[.[] | .body.stringValue]' <<<"$logs" | cut -c1-400)"
acc=$(jq -c '[.[] | select(.eventName == "meshsight.access_log")]' <<<"$logs")
r=$(jq -c '[.[] | select(.traceId == "'$TRACE'")][0]' <<<"$acc")
assert_eq "10 failures, 10 records, no success" '[500,503]' \
	"$(jq -c '[.[].attrs["http.response.status_code"] | tonumber] | unique' <<<"$acc")"
assert_eq "record count" 10 "$(jq length <<<"$acc")"
assert_eq "method, path without the query, status, error.type" "GET /status/503 503 503" \
	"$(jq -r '.attrs | "\(.["http.request.method"]) \(.["url.path"]) \(.["http.response.status_code"]) \(.["error.type"])"' <<<"$r")"
assert_eq "client, server, server.address, server.port, client.address" \
	"demo/client demo/server demo/server $P $C" \
	"$(jq -r '.attrs | "\(.client) \(.server) \(.["server.address"]) \(.["server.port"]) \(.["client.address"])"' <<<"$r")"
assert_eq "severity ERROR (17)" "17 ERROR" "$(jq -r '"\(.severityNumber) \(.severityText)"' <<<"$r")"
assert_true "a string body naming the request" jq -e '.body.stringValue | startswith("GET /status/503 503 ")' <<<"$r"
assert_true "time and observed time set, observed not before the request" \
	jq -e '(.timeUnixNano | tonumber) > 0 and (.observedTimeUnixNano | tonumber) >= (.timeUnixNano | tonumber)' <<<"$r"
srv=$(jq -c '[.[] | select(.traceId == "'$TRACE'" and .kind == 2)][0]' <<<"$sp")
assert_eq "the SERVER span of the same request has the record's span id" \
	"$(jq -r .spanId <<<"$srv")" "$(jq -r .spanId <<<"$r")"
assert_eq "the record's resource is the span's" "$(jq -r .service <<<"$srv")" "$(jq -r .service <<<"$r")"
assert_eq "every access-log record's trace and span id belong to a SERVER span" 10 \
	"$(jq --argjson sp "$sp" '[.[] | . as $l | select(any($sp[]; .kind == 2 and
		.traceId == $l.traceId and .spanId == $l.spanId))] | length' <<<"$acc")"
assert_eq "no secret anywhere (query, Authorization, Cookie)" 0 \
	"$(curl -fsS "$RECV/received?signal=logs" | grep -c -e S3cret -e Bearer -e token=)"
ne=$(jq -c '[.[] | select(.eventName == "meshsight.new_edge")][0]' <<<"$logs")
assert_eq "new_edge: kind, ends, port, resource = the agent" "new_edge demo/client demo/server $P meshsight" \
	"$(jq -r '"\(.attrs["meshsight.event.kind"]) \(.attrs.client) \(.attrs.server) \(.attrs["server.port"]) \(.service)"' <<<"$ne")"
assert_eq "new_edge severity INFO (9)" "9 info" "$(jq -r '"\(.severityNumber) \(.severityText)"' <<<"$ne")"
er=$(jq -c '[.[] | select(.eventName == "meshsight.error_rate")][0]' <<<"$logs")
ev=$(ms_get /api/v1/events)
assert_eq "error_rate: severity ERROR (17, critical)" "17 critical" \
	"$(jq -r '"\(.severityNumber) \(.severityText)"' <<<"$er")"
assert_true "error_rate: value and threshold as /api/v1/events has them" \
	jq -e --argjson ev "$ev" '([$ev.events[] | select(.kind == "error_rate")][0]) as $e
		| (.attrs["meshsight.event.value"] - $e.value | fabs) < 1e-9
		and (.attrs["meshsight.event.threshold"] - $e.threshold | fabs) < 1e-9' <<<"$er"
assert_true "events carry no trace id" jq -e '.traceId == "" and .spanId == ""' <<<"$er"
assert_eq "as many event records as /api/v1/events lists" "$(jq '.events | length' <<<"$ev")" \
	"$(jq '[.[] | select(.attrs["meshsight.event.kind"])] | length' <<<"$logs")"
st=$(curl -fsS "$RECV/stats")
assert_eq "receiver: protobuf decoded, no errors, canonical" "0 0" \
	"$(jq -r '"\(.decode_errors) \(.non_canonical_protobuf)"' <<<"$st")"
metrics=$(ms_get /metrics)
assert_eq "meshsight_otlp_log_records_total{source=\"access_log\"}" 10 \
	"$(awk '$1 == "meshsight_otlp_log_records_total{source=\"access_log\"}" { print $2 }' <<<"$metrics")"
assert_eq "meshsight_otlp_log_records_dropped_total, all reasons" 0 \
	"$(awk '$1 ~ /^meshsight_otlp_log_records_dropped_total/ { s += $2 } END { print s + 0 }' <<<"$metrics")"
assert_true "meshsight_otlp_batches_total{signal=\"logs\",outcome=\"sent\"} > 0" \
	awk '$1 == "meshsight_otlp_batches_total{signal=\"logs\",outcome=\"sent\"}" && $2 > 0 { f = 1 } END { exit !f }' <<<"$metrics"
assert_eq "/api/v1/stats otlp_logs.access_log" 10 "$(ms_get /api/v1/stats | jq .otlp_logs.access_log)"
assert_true "the same counter in the OTLP self metrics" bash -c "curl -fsS '$RECV/received?signal=metrics' |
	jq -e '[.[].body.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == \"meshsight.agent.otlp_log_records\")] | length > 0' >/dev/null"
agent_stop

echo "2. OTLP/JSON"
reset
agent_start --identities "$ids" --otlp-endpoint "$RECV" --otlp-protocol http/json
failures
wait_until 15 has_logs '.eventName == "meshsight.access_log"' 10 || ms_fail "JSON: fewer than 10 records: $logs"
req=$(curl -fsS "$RECV/received?signal=logs" | jq -c '.[-1]')
assert_eq "JSON content type, no JSON warnings" "application/json []" \
	"$(jq -r '"\(.headers["content-type"]) \(.json_warnings | tostring)"' <<<"$req")"
assert_eq "JSON: the traceparent's trace id" 1 "$(jq '[.[] | select(.traceId == "'$TRACE'")] | length' <<<"$logs")"
agent_stop

echo "3. the variables"
reset
export OTEL_EXPORTER_OTLP_ENDPOINT=$RECV OTEL_LOGS_EXPORTER=none
agent_start --identities "$ids"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_LOGS_EXPORTER
failures
sleep 2
assert_eq "OTEL_LOGS_EXPORTER=none: no logs" 0 "$(count logs)"
assert_true "OTEL_LOGS_EXPORTER=none: traces still" test "$(count traces)" -gt 0
assert_eq "no meshsight_otlp_log_records_total while logs are off" 0 \
	"$(ms_get /metrics | grep -c '^meshsight_otlp_log_records_total')"
agent_stop
reset
export OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=$RECV/v1/logs OTEL_EXPORTER_OTLP_LOGS_HEADERS=x-logs-key=v1
agent_start --identities "$ids"
unset OTEL_EXPORTER_OTLP_LOGS_ENDPOINT OTEL_EXPORTER_OTLP_LOGS_HEADERS
failures
wait_until 15 has_logs 'true' 10 || ms_fail "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: fewer than 10 records: $logs"
assert_eq "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT alone: no traces, no metrics" "0 0" "$(count traces) $(count metrics)"
assert_eq "OTEL_EXPORTER_OTLP_LOGS_HEADERS on the logs requests" v1 "$(jq -r '.[0].headers["x-logs-key"]' <<<"$logs")"
agent_stop

ms_finish

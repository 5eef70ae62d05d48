#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# OTLP metrics as an OpenTelemetry backend receives them: a real OTLP/HTTP
# receiver (tests/otlp, decoding with protobufjs and OpenTelemetry JS's
# generated definitions) gets the agent's export, and the decoded request must
# hold the HTTP semantic-convention histograms and the service-graph metrics
# for exactly the traffic sent, agreeing with /api/v1/edges. Also: gzip +
# OTLP/JSON bodies, a receiver answering 503 with Retry-After (retried), 400
# (not retried), and a receiver that is down (agent healthy, failures counted).

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds node npm curl jq "$MS_PYTHON"

OTLP_DIR=$MS_OTLP_DIR
RECV_PORT=$MS_RECV_PORT
RECV="http://127.0.0.1:$RECV_PORT"
otlp_deps

pod_create otc 1
pod_create ots 2
printf '10.200.1.2 workload=shopper namespace=demo\n10.200.2.2 workload=catalog namespace=demo service=catalog\n' \
	>"$MS_STATE_DIR/ids"
pod_spawn ots "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen ots 8080 || ms_die "httpd did not start"

node "$OTLP_DIR/receiver.mjs" --port "$RECV_PORT" --quiet >"$MS_STATE_DIR/recv.out" \
	2>"$MS_STATE_DIR/recv.log" &
ms_record_pid $!
wait_http "$RECV/healthz" 10 || ms_die "OTLP receiver did not start: $(cat "$MS_STATE_DIR/recv.log")"

traffic() {
	local urls=() i
	for ((i = 0; i < 5; i++)); do urls+=(http://10.200.2.2:8080/delay/20); done
	for ((i = 0; i < 2; i++)); do urls+=(http://10.200.2.2:8080/status/503); done
	pod_exec otc curl -s "${urls[@]}" >/dev/null || ms_fail "curl failed"
}

# jq over the newest decoded metrics request.
latest() { curl -fsS "$RECV/received?signal=metrics" | jq -c "(.[-1].body) | $1"; }
# All points of metric NAME under the resource whose service.name is SVC.
points_of() {
	latest "[.resourceMetrics[] | select(any(.resource.attributes[];
		.key == \"service.name\" and .value.stringValue == \"$1\")) | .scopeMetrics[].metrics[]
		| select(.name == \"$2\") | (.histogram // .sum).dataPoints[]]"
}
attr() { printf '(.attributes[] | select(.key == "%s") | .value | (.stringValue // .intValue))' "$1"; }
sum_count() { jq -r '[.[] | .count | tonumber] | add // 0'; }

echo "protobuf export: semantic-convention HTTP metrics and service graph"
agent_start --identities "$MS_STATE_DIR/ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 500
traffic
wait_until 10 bash -c "[ \"\$(curl -fsS '$RECV/received?signal=metrics' | jq '[.[-1].body.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == \"http.server.request.duration\") | .histogram.dataPoints[].count | tonumber] | add // 0')\" = 7 ]" ||
	ms_fail "no export with 7 server requests arrived"
req=$(curl -fsS "$RECV/received?signal=metrics" | jq '.[-1]')
assert_eq "content type" application/x-protobuf "$(jq -r '.headers["content-type"]' <<<"$req")"
assert_eq "protobuf bytes re-encode identically (canonical)" true "$(jq -r '.canonical' <<<"$req")"
assert_eq "no decode errors at the receiver" 0 "$(curl -fsS "$RECV/stats" | jq .decode_errors)"

server=$(points_of catalog http.server.request.duration)
assert_eq "server histogram points sum to the 7 requests" 7 "$(sum_count <<<"$server")"
ok=$(jq -c "[.[] | select($(attr http.response.status_code) == \"200\")][0]" <<<"$server")
bad=$(jq -c "[.[] | select($(attr http.response.status_code) == \"503\")][0]" <<<"$server")
assert_eq "GET 200 count" 5 "$(jq -r .count <<<"$ok")"
assert_eq "GET 503 count" 2 "$(jq -r .count <<<"$bad")"
assert_eq "method attribute" GET "$(jq -r "$(attr http.request.method)" <<<"$ok")"
assert_eq "error.type on 503" 503 "$(jq -r "$(attr error.type)" <<<"$bad")"
assert_eq "no error.type on 200" "" "$(jq -r "$(attr error.type)" <<<"$ok")"
assert_eq "server.address" catalog "$(jq -r "$(attr server.address)" <<<"$ok")"
assert_eq "server.port" 8080 "$(jq -r "$(attr server.port)" <<<"$ok")"
assert_eq "network.protocol.version" 1.1 "$(jq -r "$(attr network.protocol.version)" <<<"$ok")"
assert_eq "url.scheme" http "$(jq -r "$(attr url.scheme)" <<<"$ok")"
assert_eq "the agent's bucket boundaries (40 us to 10 s, see README)" \
	"[4e-05,6e-05,8e-05,0.0001,0.00015,0.0002,0.0003,0.0004,0.0006,0.0008,0.001,0.0015,0.002,0.003,0.004,0.006,0.008,0.01,0.015,0.02,0.03,0.04,0.06,0.08,0.1,0.15,0.2,0.3,0.4,0.6,0.8,1,1.5,2,3,4,6,8,10]" \
	"$(jq -c .explicitBounds <<<"$ok")"
assert_eq "bucket counts add up to count" 5 "$(jq '[.bucketCounts[] | tonumber] | add' <<<"$ok")"
assert_eq "200s all slower than 20 ms (first two buckets empty)" "0,0" \
	"$(jq -r '.bucketCounts[0:2] | join(",")' <<<"$ok")"
assert_true "sum is at least 5 x 20 ms" jq -e '.sum >= 0.1' <<<"$ok"
assert_eq "unit s" '"s"' "$(latest '[.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == "http.server.request.duration")][0].unit')"
assert_eq "cumulative temporality" 2 "$(latest '[.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == "http.server.request.duration")][0].histogram.aggregationTemporality')"
client=$(points_of shopper http.client.request.duration)
assert_eq "client histogram under the client's resource" 7 "$(sum_count <<<"$client")"

graph='[.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == "NAME") | .sum.dataPoints[]
	| select(any(.attributes[]; .key == "client" and .value.stringValue == "shopper"))
	| select(any(.attributes[]; .key == "server" and .value.stringValue == "catalog")) | .asInt][0]'
assert_eq "traces_service_graph_request_total" '"7"' \
	"$(latest "${graph/NAME/traces_service_graph_request_total}")"
assert_eq "traces_service_graph_request_failed_total" '"2"' \
	"$(latest "${graph/NAME/traces_service_graph_request_failed_total}")"
assert_eq "agrees with /api/v1/edges" 7 "$(edge_field 10.200.1.2 10.200.2.2 8080 http .requests)"
names=$(latest '[.resourceMetrics[].scopeMetrics[].metrics[].name] | unique')
for m in meshsight.tcp.sent_bytes meshsight.tcp.received_bytes meshsight.tcp.connections_opened \
	meshsight.tcp.connections_closed meshsight.tcp.retransmits meshsight.tcp.smoothed_rtt \
	meshsight.agent.events meshsight.agent.events_dropped meshsight.agent.parse_errors; do
	assert_true "metric $m exported" jq -e --arg m "$m" 'index($m) != null' <<<"$names"
done
assert_eq "agent telemetry under the agent's own resource (service.name meshsight)" '"meshsight"' \
	"$(latest '[.resourceMetrics[] | select(any(.scopeMetrics[].metrics[]; .name == "meshsight.agent.events"))
		| .resource.attributes[] | select(.key == "service.name") | .value.stringValue][0]')"
agent_stop

echo "delta temporality: each export holds only its interval"
curl -fsS -X POST "$RECV/reset" >/dev/null
agent_start --identities "$MS_STATE_DIR/ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 400 \
	--metrics-temporality delta
traffic
sleep 2 # several exports: the one with the traffic, then quiet ones
all_graph=$(curl -fsS "$RECV/received?signal=metrics" | jq '[.[].body.resourceMetrics[].scopeMetrics[].metrics[]
	| select(.name == "traces_service_graph_request_total") | .sum]')
assert_eq "sums are delta (temporality 1)" 1 "$(jq '.[0].aggregationTemporality' <<<"$all_graph")"
assert_eq "deltas add up to the 7 requests" 7 \
	"$(jq '[.[].dataPoints[].asInt | tonumber] | add' <<<"$all_graph")"
assert_eq "the last, quiet interval counted 0" '"0"' "$(jq '.[-1].dataPoints[0].asInt' <<<"$all_graph")"
assert_eq "server histogram counts add up to 7 across exports" 7 \
	"$(curl -fsS "$RECV/received?signal=metrics" | jq '[.[].body.resourceMetrics[].scopeMetrics[].metrics[]
		| select(.name == "http.server.request.duration") | .histogram.dataPoints[].count | tonumber] | add')"
agent_stop

echo "partial success: rejected points counted"
curl -fsS -X POST "$RECV/reset" >/dev/null
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' -d '{"mode":"partial"}' >/dev/null
agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 300
wait_until 5 bash -c "[ \"\$(curl -s $MS_AGENT_URL/metrics | awk '\$1 == \"meshsight_otlp_items_total{signal=\\\"metrics\\\",outcome=\\\"rejected\\\"}\" {print \$2}')\" -ge 1 ]"
assert_gt "rejected data points from partial_success" 0 \
	"$(ms_get /metrics | awk '$1 == "meshsight_otlp_items_total{signal=\"metrics\",outcome=\"rejected\"}" {print $2}')"
agent_stop
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' -d '{"mode":"ok"}' >/dev/null

echo "slow receiver: the datapath keeps counting exactly"
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' \
	-d '{"mode":"slow","slow_ms":3000}' >/dev/null
agent_start --identities "$MS_STATE_DIR/ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 200
traffic
traffic
got=$(wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 14 5)
assert_eq "14 requests counted while exports hang for 3 s" 14 "$got"
assert_true "agent answers its endpoint while exports hang" ms_agent_healthy
agent_stop
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' -d '{"mode":"ok"}' >/dev/null

echo "TLS: https endpoint verified with --otlp-ca-file"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$MS_STATE_DIR/tls.key" \
	-out "$MS_STATE_DIR/tls.crt" >/dev/null 2>&1 || ms_fail "openssl could not make a certificate"
TLS_PORT=$((RECV_PORT + 1))
node "$OTLP_DIR/receiver.mjs" --port "$TLS_PORT" --quiet --tls-cert "$MS_STATE_DIR/tls.crt" \
	--tls-key "$MS_STATE_DIR/tls.key" >/dev/null 2>"$MS_STATE_DIR/recv-tls.log" &
ms_record_pid $!
wait_until 10 curl -fs -o /dev/null --cacert "$MS_STATE_DIR/tls.crt" "https://127.0.0.1:$TLS_PORT/healthz" ||
	ms_die "TLS receiver did not start: $(cat "$MS_STATE_DIR/recv-tls.log")"
agent_start --otlp-endpoint "https://127.0.0.1:$TLS_PORT" --otlp-ca-file "$MS_STATE_DIR/tls.crt" \
	--metric-export-interval-ms 300
wait_until 5 bash -c "[ \"\$(curl -fsS --cacert '$MS_STATE_DIR/tls.crt' https://127.0.0.1:$TLS_PORT/stats | jq '.decoded.metrics')\" -ge 1 ]"
assert_gt "metrics delivered over https" 0 \
	"$(curl -fsS --cacert "$MS_STATE_DIR/tls.crt" "https://127.0.0.1:$TLS_PORT/stats" | jq '.decoded.metrics')"
agent_stop
echo "TLS without the CA: refused, counted, not retried forever"
agent_start --otlp-endpoint "https://127.0.0.1:$TLS_PORT" --metric-export-interval-ms 300
wait_until 5 bash -c "[ \"\$(curl -s $MS_AGENT_URL/metrics | awk '\$1 == \"meshsight_otlp_batches_total{signal=\\\"metrics\\\",outcome=\\\"failed\\\"}\" {print \$2}')\" -ge 1 ]"
assert_gt "untrusted certificate: batches failed" 0 \
	"$(ms_get /metrics | awk '$1 == "meshsight_otlp_batches_total{signal=\"metrics\",outcome=\"failed\"}" {print $2}')"
agent_stop

echo "gzip and OTLP/JSON"
curl -fsS -X POST "$RECV/reset" >/dev/null
agent_start --identities "$MS_STATE_DIR/ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 500 \
	--otlp-compression gzip --otlp-protocol http/json
traffic
wait_until 10 bash -c "curl -fsS '$RECV/received?signal=metrics' | jq -e '[.[] | .body.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == \"http.server.request.duration\")] | length > 0' >/dev/null" ||
	ms_fail "no JSON export arrived"
req=$(curl -fsS "$RECV/received?signal=metrics" | jq '.[-1]')
assert_eq "content type" application/json "$(jq -r '.headers["content-type"]' <<<"$req")"
assert_eq "content encoding" gzip "$(jq -r '.headers["content-encoding"]' <<<"$req")"
assert_eq "no JSON mapping warnings" "[]" "$(jq -c '.json_warnings // []' <<<"$req")"
agent_stop

echo "traces: a CLIENT and a SERVER span per request, linked"
curl -fsS -X POST "$RECV/reset" >/dev/null
export OTEL_BSP_SCHEDULE_DELAY=200
agent_start --identities "$MS_STATE_DIR/ids" --otlp-endpoint "$RECV" --metric-export-interval-ms 60000
pod_exec otc curl -s http://10.200.2.2:8080/delay/20 http://10.200.2.2:8080/delay/20 \
	http://10.200.2.2:8080/status/503 >/dev/null || ms_fail "curl failed"
TP_TRACE=4bf92f3577b34da6a3ce929d0e0e4736
TP_PARENT=00f067aa0ba902b7
pod_exec otc curl -s -H "traceparent: 00-$TP_TRACE-$TP_PARENT-01" \
	http://10.200.2.2:8080/status/200 >/dev/null || ms_fail "curl failed"
pod_exec otc curl -s -H "Authorization: Bearer hunter2" -H "Cookie: session=s3cr3t" \
	"http://10.200.2.2:8080/status/404?token=t0ps3cret" >/dev/null || ms_fail "curl failed"
spans() {
	curl -fsS "$RECV/received?signal=traces" | jq -c '[.[].body.resourceSpans[] |
		(.resource.attributes[] | select(.key == "service.name") | .value.stringValue) as $svc |
		.scopeSpans[].spans[] | . + {svc: $svc}]'
}
wait_until 10 bash -c "[ \"\$(curl -fsS '$RECV/received?signal=traces' | jq '[.[].body.resourceSpans[].scopeSpans[].spans[]] | length')\" = 10 ]" ||
	ms_fail "expected 10 spans (5 requests x 2 ends)"
all=$(spans)
sattr() { printf '(.attributes[] | select(.key == "%s") | .value | (.stringValue // .intValue))' "$1"; }
assert_eq "5 SERVER spans under catalog" 5 "$(jq '[.[] | select(.kind == 2 and .svc == "catalog")] | length' <<<"$all")"
assert_eq "5 CLIENT spans under shopper" 5 "$(jq '[.[] | select(.kind == 3 and .svc == "shopper")] | length' <<<"$all")"
assert_eq "without traceparent, each SERVER span's parent is the CLIENT span of its trace" 4 \
	"$(jq --arg tp "$TP_TRACE" '. as $a | [.[] | select(.kind == 2 and .traceId != $tp) | . as $s |
		select(any($a[]; .kind == 3 and .spanId == $s.parentSpanId and .traceId == $s.traceId))] | length' <<<"$all")"
assert_eq "span names are the method" '["GET"]' "$(jq -c '[.[].name] | unique' <<<"$all")"
slow=$(jq -c "[.[] | select(.kind == 2 and $(sattr url.path) == \"/delay/20\")][0]" <<<"$all")
assert_true "SERVER span of /delay/20 lasts >= 20 ms" \
	jq -e '((.endTimeUnixNano | tonumber) - (.startTimeUnixNano | tonumber)) >= 20000000' <<<"$slow"
assert_eq "503: ERROR on both spans" "2 2" \
	"$(jq -r "[.[] | select($(sattr http.response.status_code) == \"503\") | .status.code] | map(tostring) | join(\" \")" <<<"$all")"
assert_eq "404: ERROR on CLIENT only" "3:2 2:0" \
	"$(jq -r "[.[] | select($(sattr http.response.status_code) == \"404\") | \"\(.kind):\(.status.code // 0)\"] | sort | reverse | join(\" \")" <<<"$all")"
tp=$(jq -c "[.[] | select(.traceId == \"$TP_TRACE\")]" <<<"$all")
assert_eq "both spans of the traceparent request join its trace" 2 "$(jq length <<<"$tp")"
assert_eq "SERVER span's parent is the header's parent id" "$TP_PARENT" \
	"$(jq -r '.[] | select(.kind == 2) | .parentSpanId' <<<"$tp")"
assert_eq "url.path has no query string" "/status/404" \
	"$(jq -r "[.[] | $(sattr url.path) | select(startswith(\"/status/404\"))][0]" <<<"$all")"
assert_true "no credential, cookie or query value anywhere in the spans" \
	bash -c "! grep -qE 'hunter2|s3cr3t|t0ps3cret' <<<'$all'"
assert_eq "effective sampling ratio reported" 1.000000 \
	"$(ms_get /metrics | awk '$1 == "meshsight_spans_sampling_ratio" {print $2}')"
agent_stop
unset OTEL_BSP_SCHEDULE_DELAY

echo "secrets: none in any output, whatever the request carries"
curl -fsS -X POST "$RECV/reset" >/dev/null
export OTEL_BSP_SCHEDULE_DELAY=200
# Every secret below contains S3cret; the endpoint's own password is 0tlpPassw0rd.
agent_start --identities "$MS_STATE_DIR/ids" --metric-export-interval-ms 300 \
	--otlp-endpoint "http://otlpuser:0tlpPassw0rd@127.0.0.1:$RECV_PORT"
S=http://10.200.2.2:8080
pod_exec otc curl -s -o /dev/null -H "Authorization: Bearer S3cretBearer" \
	-H "Cookie: session=S3cretCookie" -H "X-Api-Key: S3cretApiKey" \
	-H "Proxy-Authorization: Basic S3cretProxyAuth" "$S/status/200?token=S3cretQuery" ||
	ms_fail "curl failed"
pod_exec otc curl -s -o /dev/null --data "password=S3cretBody" "$S/" || ms_fail "curl failed"
pod_exec otc curl -s -o /dev/null "$S/set-cookie" || ms_fail "curl failed"
pod_exec otc curl -s -o /dev/null "$S/cart;jsessionid=S3cretSession/items;v=S3cretParam" ||
	ms_fail "curl failed"
pod_exec otc curl -s -o /dev/null "$S/login%3Fpassword=S3cretEncoded" || ms_fail "curl failed"
pod_exec otc curl -s -o /dev/null -X CONNECT --request-target "admin:S3cretConnect@10.200.2.2:8080" \
	"$S/" || ms_fail "curl CONNECT failed"
wait_until 10 bash -c "[ \"\$(curl -fsS '$RECV/received?signal=traces' | jq '[.[].body.resourceSpans[].scopeSpans[].spans[]] | length')\" = 12 ]" ||
	ms_fail "expected 12 spans (6 requests x 2 ends)"
all=$(spans)
paths=$(jq -c "[.[] | select(.kind == 2) | $(sattr url.path)] | sort" <<<"$all")
assert_eq "url.path of each request, scrubbed" \
	'["/","/cart/items","/login","/set-cookie","/status/200","10.200.2.2:8080"]' "$paths"
assert_eq "the CONNECT's status reached its span (501 from the server)" 2 \
	"$(jq "[.[] | select($(sattr http.request.method) == \"CONNECT\" and $(sattr http.response.status_code) == \"501\")] | length" <<<"$all")"
wait_until 5 bash -c "curl -fsS '$RECV/received?signal=metrics' | grep -q http.server.request.duration" ||
	ms_fail "no metrics export received"
out=$MS_STATE_DIR/outputs.txt
{
	ms_get /metrics
	ms_get /api/v1/edges
	ms_get /api/v1/stats
	curl -fsS "$RECV/received?signal=traces"
	curl -fsS "$RECV/received?signal=metrics"
	cat "$MS_AGENT_LOG"
} >"$out"
assert_true "outputs collected (/metrics, edges, stats, OTLP bodies, log)" test -s "$out"
for secret in S3cret 0tlpPassw0rd otlpuser jsessionid password= token= '%3F'; do
	assert_eq "'$secret' in no output" 0 "$(grep -c -e "$secret" "$out")"
done
assert_true "the log names the endpoint without its userinfo" \
	grep -qF "exporting OTLP metrics to http://REDACTED@127.0.0.1:$RECV_PORT/v1/metrics" "$MS_AGENT_LOG"
agent_stop
unset OTEL_BSP_SCHEDULE_DELAY

echo "sampling: OTEL_TRACES_SAMPLER=always_off keeps no span"
curl -fsS -X POST "$RECV/reset" >/dev/null
OTEL_TRACES_SAMPLER=always_off OTEL_BSP_SCHEDULE_DELAY=200 \
	agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 60000
traffic
sleep 1
assert_eq "no span exported" 0 \
	"$(curl -fsS "$RECV/received?signal=traces" | jq '[.[].body.resourceSpans[].scopeSpans[].spans[]] | length')"
assert_eq "sampled_out counted (7 requests x 2 ends)" 14 \
	"$(ms_get /metrics | awk '$1 == "meshsight_spans_total{outcome=\"sampled_out\"}" {print $2}')"
agent_stop

otlp_stat() { ms_get /metrics | awk -v k="$1" '$1 == k { print $2 }'; }

echo "503 with Retry-After: retried, then delivered"
curl -fsS -X POST "$RECV/reset" >/dev/null
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' \
	-d '{"mode":"503","retry_after":1,"count":1}' >/dev/null
agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 60000
agent_stop # the final export on shutdown goes out, gets 503, waits 1 s, succeeds
stats=$(curl -fsS "$RECV/stats")
assert_eq "receiver saw one 503 then one 200" "1 1" \
	"$(jq -r '"\(.responses["503"] // 0) \(.responses["200"] // 0)"' <<<"$stats")"

echo "400: not retried"
curl -fsS -X POST "$RECV/reset" >/dev/null
curl -fsS -X POST "$RECV/mode" -H 'content-type: application/json' -d '{"mode":"400"}' >/dev/null
agent_start --otlp-endpoint "$RECV" --metric-export-interval-ms 300
wait_until 5 bash -c "[ \"\$(curl -s $MS_AGENT_URL/metrics | awk '\$1 == \"meshsight_otlp_batches_total{signal=\\\"metrics\\\",outcome=\\\"failed\\\"}\" {print \$2}')\" -ge 2 ]"
assert_eq "no retries for 400" 0 "$(otlp_stat 'meshsight_otlp_retries_total{signal="metrics"}')"
assert_gt "batches failed counted" 1 "$(otlp_stat 'meshsight_otlp_batches_total{signal="metrics",outcome="failed"}')"
agent_stop

echo "collector down: agent healthy, failures counted, memory bounded"
agent_start --otlp-endpoint "http://127.0.0.1:1" --metric-export-interval-ms 200 \
	--otlp-queue-batches 2
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$MS_AGENT_PID/status")
traffic
sleep 3
assert_true "agent healthy with the collector down" ms_agent_healthy
assert_gt "connection failures retried and counted" 0 \
	"$(otlp_stat 'meshsight_otlp_retries_total{signal="metrics"}')"
assert_true "queue bounded (<= 2 batches)" test \
	"$(otlp_stat 'meshsight_otlp_queued_batches{signal="metrics"}')" -le 2
assert_gt "oldest batches dropped and counted" 0 \
	"$(otlp_stat 'meshsight_otlp_batches_total{signal="metrics",outcome="dropped"}')"
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$MS_AGENT_PID/status")
assert_true "RSS grew by less than 8 MiB ($rss0 -> $rss1 kB)" test $((rss1 - rss0)) -lt 8192
agent_stop

ms_finish

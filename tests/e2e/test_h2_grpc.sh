#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# HTTP/2 over cleartext and gRPC, end to end: pod "client" (10.200.1.2)
# calls pod "server" (10.200.2.2) with real HTTP/2 software, and the edges
# must be as exact as HTTP/1's:
#
#   h2load -> nghttpd (8080): prior-knowledge h2c, 20 concurrent streams per
#     connection; every stream counted once, 200s and 404s by code, on an
#     "http2" edge (no "http" or "tcp" edge for it).
#   curl --http2 -> nghttpx (8082): HTTP/1.1 "Upgrade: h2c" answered 101; the
#     upgraded request and the streams after it on the "http2" edge, no 101.
#     The first run shrinks h2load's HPACK table to 100 bytes, so every
#     request evicts entries: the decoder must follow and name every stream.
#   grpc_app.py (python3-grpcio, generic handlers) on 50051: OK calls,
#     trailers-only NOT_FOUND, UNAVAILABLE in trailers, DEADLINE_EXCEEDED
#     from the server, cancelled calls (the client's RST_STREAM), and calls
#     with 1.5 KB metadata each. The "grpc"
#     edge has grpc_status_codes, the Istio series request_protocol="grpc"
#     with grpc_response_status, OTLP rpc.server.duration with rpc.* and one
#     span per call named after the RPC.
#   h2_goaway.py (python3-h2) on 8090: the server answers two of four
#     streams and ends the connection with GOAWAY; the two above its last
#     stream id are refused: counted once each, as errors.
#   A connection to nghttpd opened before the agent started: recognised by
#     its frames, its later streams counted once each, unnamed (the HPACK
#     tables from before are lost, and counted), the edge partial.
#   A 20 KB header (HEADERS + CONTINUATION) on 50052: longer than the
#     capture limit, so its header block is lost: the streams are still
#     counted (from their responses), none is named wrongly, the loss is
#     counted and the edge is partial.
#
# Expected numbers come from what the clients report (h2load's summary,
# grpc_app.py's status codes).

# shellcheck disable=SC2016 # single-quoted jq programs use jq's own $variables
set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
PY=/usr/bin/python3 # python3-grpcio is Debian's: the system interpreter's
require_cmds ip jq ss curl nghttpd nghttpx h2load "$PY"
"$PY" -c 'import grpc' 2>/dev/null || ms_skip "python3-grpcio missing (tools/install-deps.sh test)"
"$PY" -c 'import h2' 2>/dev/null || ms_skip "python3-h2 missing (tools/install-deps.sh test)"

C=10.200.1.2
S=10.200.2.2
app=("$PY" "$MS_E2E_DIR/grpc_app.py")

pod_create client 1
pod_create server 2
ms_state_init
cat >"$MS_STATE_DIR/ids" <<IDS
$C workload=shopper namespace=demo
$S workload=catalog namespace=demo service=catalog
IDS
otlp_receiver_start
# Multiplexed responses share segments: 20 small responses fit in 4096 bytes.
agent_start --identities "$MS_STATE_DIR/ids" --capture-bytes 4096 --otlp-endpoint "$RECV" \
	--metric-export-interval-ms 500

docroot=$MS_STATE_DIR/htdocs
mkdir -p "$docroot"
printf 'hello over h2c\n' >"$docroot/a"
pod_spawn server "$MS_STATE_DIR/nghttpd.log" nghttpd --no-tls -d "$docroot" 8080 >/dev/null
pod_spawn server "$MS_STATE_DIR/grpc.log" "${app[@]}" server 50051 >/dev/null
pod_spawn server "$MS_STATE_DIR/grpc-big.log" "${app[@]}" server 50052 >/dev/null
pod_spawn server "$MS_STATE_DIR/nghttpx.log" nghttpx --conf=/dev/null --no-ocsp \
	--frontend='0.0.0.0,8082;no-tls' --backend='127.0.0.1,8080;;proto=h2' \
	--accesslog-file=/dev/null --errorlog-file="$MS_STATE_DIR/nghttpx.err" >/dev/null
wait_listen server 8080 || ms_die "nghttpd did not start: $(cat "$MS_STATE_DIR/nghttpd.log")"
wait_listen server 8082 || ms_die "nghttpx did not start: $(cat "$MS_STATE_DIR/nghttpx.err")"
wait_listen server 50051 || ms_die "gRPC server did not start: $(cat "$MS_STATE_DIR/grpc.log")"
wait_listen server 50052 || ms_die "gRPC server did not start: $(cat "$MS_STATE_DIR/grpc-big.log")"

# ------------------------------------------------------------ h2c: h2load -> nghttpd

# h2load_run N CLIENTS STREAMS PATH [ARGS...]: prints "<succeeded> <2xx> <4xx>" from its summary.
h2load_run() {
	local out
	out=$(pod_exec client h2load -n "$1" -c "$2" -m "$3" "${@:5}" "http://$S:8080$4" 2>&1) ||
		ms_fail "h2load $* failed: $out"
	awk '/^requests:/ {ok = $8} /^status codes:/ {two = $3; four = $7}
		END {print ok + 0, two + 0, four + 0}' <<<"$out"
}

echo "h2c: 200 x /a over 2 connections x 20 streams, 30 x /missing over 1 x 10"
read -r ok2 two _ <<<"$(h2load_run 200 2 20 /a --encoder-header-table-size=100)"
read -r _ _ four <<<"$(h2load_run 30 1 10 /missing)"
assert_eq "h2load: 200 succeeded, all 2xx" "200 200" "$ok2 $two"
assert_eq "h2load: 30 x 404" 30 "$four"

n=$(wait_edge_field "$C" "$S" 8080 http2 .requests 230 10)
assert_eq "http2 edge: every stream once (200 + 30)" 230 "$n"
e=$(edge_get "$C" "$S" 8080 http2)
assert_eq "status codes" '{"200":200,"404":30}' "$(jq -c .status_codes <<<"$e")"
assert_eq "no errors (404 is the client's)" 0 "$(jq .errors <<<"$e")"
assert_eq "both ends reported" '["source","destination"]' "$(jq -c .reporters <<<"$e")"
assert_eq "client view agrees" 230 "$(jq .views.source.requests <<<"$e")"
assert_eq "connections closed" 3 "$(wait_edge_field "$C" "$S" 8080 http2 .connections_closed 3 5)"
assert_eq "no http edge for port 8080" null "$(edge_get "$C" "$S" 8080 http)"
assert_eq "no tcp edge for port 8080" null "$(edge_get "$C" "$S" 8080 tcp)"
assert_eq "not partial" false "$(jq .partial <<<"$e")"
assert_true "latency measured" jq -e '.latency_ms.p50 > 0' <<<"$e"
stats=$(stats_json)
assert_gt "HPACK evictions followed (h2load's 100-byte table)" 0 \
	"$(jq '.h2.hpack_evictions // 0' <<<"$stats")"
assert_eq "no HPACK state lost" 0 "$(jq '.h2_parse_failures.hpack_lost // 0' <<<"$stats")"
assert_eq "every stream named" 0 "$(jq '.h2.streams_unnamed // 0' <<<"$stats")"

# ------------------------------------------------------------ h2c by Upgrade: curl -> nghttpx

echo "h2c upgrade: 5 x curl --http2 (one request each), 1 x curl --http2 with 3 URLs"
for ((i = 0; i < 5; i++)); do
	code=$(pod_exec client curl -sS --http2 -o /dev/null -w '%{http_code} %{http_version}' \
		"http://$S:8082/a") || ms_fail "curl --http2 failed"
	assert_eq "curl upgraded and got 200" "200 2" "$code"
done
codes=$(pod_exec client curl -sS --http2 -w '%{http_code} %{num_connects}\n' -o /dev/null \
	"http://$S:8082/a" -o /dev/null "http://$S:8082/a" -o /dev/null "http://$S:8082/missing" |
	tr '\n' ' ')
assert_eq "3 URLs on one upgraded connection" "200 1 200 0 404 0 " "$codes"
n=$(wait_edge_field "$C" "$S" 8082 http2 .requests 8 10)
assert_eq "http2 edge on 8082: the upgraded requests and the streams after them" 8 "$n"
e=$(edge_get "$C" "$S" 8082 http2)
assert_eq "status codes (no 101: the upgrade is not a request of its own)" '{"200":7,"404":1}' \
	"$(jq -c .status_codes <<<"$e")"
assert_eq "connections" 6 "$(jq .connections_opened <<<"$e")"
assert_eq "no http edge for port 8082" null "$(edge_get "$C" "$S" 8082 http)"

# ------------------------------------------------------------ gRPC

echo "gRPC: 40 OK, 7 trailers-only NOT_FOUND, 3 UNAVAILABLE, 3 deadlines, 3 cancelled, 30 x 1.5 KB metadata"
got=$(pod_exec client "${app[@]}" client "$S" 50051 Ok:40 Fail:7 Unavailable:3 Slow:3:deadline \
	Slow:3:cancel Ok:30:pad 2>"$MS_STATE_DIR/grpc-client.err" | tr '\n' ' ')
assert_eq "client saw" "0=40 5=7 14=3 4=3 1=3 0=30 " "$got"
n=$(wait_edge_field "$C" "$S" 50051 grpc .requests 86 10)
assert_eq "grpc edge: every call once" 86 "$n"
e=$(edge_get "$C" "$S" 50051 grpc)
# A deadline ends on the wire in the server's DEADLINE_EXCEEDED or, when the
# client's own timer fires first, in its RST_STREAM: either way once.
assert_eq "grpc_status_codes but DEADLINE_EXCEEDED" '{"0":70,"5":7,"14":3}' \
	"$(jq -c '.grpc_status_codes | del(.["4"])' <<<"$e")"
assert_eq "3 deadlines + 3 cancels: status 4, or reset with no status and HTTP 0" 6 \
	"$(jq '(.grpc_status_codes["4"] // 0) + (.status_codes["0"] // 0)' <<<"$e")"
assert_eq "the cancels reset at least 3 streams" true "$(jq '.status_codes["0"] >= 3' <<<"$e")"
assert_eq "errors: NOT_FOUND, UNAVAILABLE, DEADLINE_EXCEEDED, the reset streams" 16 \
	"$(jq .errors <<<"$e")"
assert_eq "HTTP status: 200 for answered calls, 0 for the reset ones" 86 \
	"$(jq '.status_codes["200"] + .status_codes["0"]' <<<"$e")"
assert_eq "client view agrees" 86 "$(jq .views.source.requests <<<"$e")"
assert_eq "no http2 edge for port 50051" null "$(edge_get "$C" "$S" 50051 http2)"
assert_eq "connections closed (one channel per plan item)" 6 \
	"$(wait_edge_field "$C" "$S" 50051 grpc .connections_closed 6 5)"

stats=$(stats_json)
assert_eq "no HPACK loss on 50051 so far" 0 "$(jq '.h2_parse_failures.hpack_lost // 0' <<<"$stats")"
assert_eq "no stream unnamed so far" 0 "$(jq '.h2.streams_unnamed // 0' <<<"$stats")"

echo "Istio metrics of the gRPC edge"
m=$(ms_get /metrics)
istio_count() { # GRPC_STATUS: istio_requests_total of the destination reporter
	awk -v want="grpc_response_status=\"$1\"" '/^istio_requests_total\{/ && /reporter="destination"/ &&
		/destination_workload="catalog"/ && /request_protocol="grpc"/ && index($0, want) {s += $2}
		END {print s + 0}' <<<"$m"
}
assert_eq "istio_requests_total grpc_response_status=0" 70 "$(istio_count 0)"
assert_eq "istio_requests_total grpc_response_status=5" 7 "$(istio_count 5)"
assert_eq "istio_requests_total grpc_response_status=14" 3 "$(istio_count 14)"
assert_eq "h2c edge is request_protocol=http" 230 "$(awk '/^istio_requests_total\{/ &&
	/reporter="destination"/ && /request_protocol="http"/ && /destination_workload="catalog"/ {s += $2}
	END {print s + 0}' <<<"$m")"

echo "OTLP: rpc.server.duration and spans"
rpc_count() { # METHOD CODE: summed count of rpc.server.duration points in the latest export
	curl -fsS "$RECV/received?signal=metrics" | jq --arg m "$1" --arg c "$2" '[.[-1].body.resourceMetrics[]
		.scopeMetrics[].metrics[] | select(.name == "rpc.server.duration") | .histogram.dataPoints[]
		| select(any(.attributes[]; .key == "rpc.method" and .value.stringValue == $m))
		| select(any(.attributes[]; .key == "rpc.grpc.status_code" and (.value.intValue | tostring) == $c))
		| .count | tonumber] | add // 0'
}
wait_until 10 bash -c "[ \"\$(curl -fsS '$RECV/received?signal=metrics' | jq '[.[-1].body.resourceMetrics[].scopeMetrics[].metrics[] | select(.name == \"rpc.server.duration\") | .histogram.dataPoints[].count | tonumber] | add // 0')\" = 86 ]" ||
	ms_fail "no export with 86 rpc.server.duration calls arrived"
assert_eq "rpc.server.duration Ok / 0" 70 "$(rpc_count Ok 0)"
assert_eq "rpc.server.duration Fail / 5" 7 "$(rpc_count Fail 5)"
md=$(curl -fsS "$RECV/received?signal=metrics" | jq -c '[.[-1].body.resourceMetrics[].scopeMetrics[].metrics[]
	| select(.name == "rpc.server.duration")][0]')
assert_eq "unit ms" '"ms"' "$(jq .unit <<<"$md")"
assert_eq "rpc.system and rpc.service" '["grpc","demo.Echo"]' "$(jq -c '[.histogram.dataPoints[0].attributes[]
	| select(.key == "rpc.system" or .key == "rpc.service") | .value.stringValue]' <<<"$md")"
assert_eq "no gRPC call in http.server.request.duration" 0 \
	"$(curl -fsS "$RECV/received?signal=metrics" | jq '[.[-1].body.resourceMetrics[].scopeMetrics[].metrics[]
	| select(.name == "http.server.request.duration") | .histogram.dataPoints[]
	| select(any(.attributes[]; .key == "server.port" and (.value.intValue | tostring) == "50051"))] | length')"
spans='[.[].body.resourceSpans[].scopeSpans[].spans[]]'
wait_until 15 bash -c "[ \"\$(curl -fsS '$RECV/received?signal=traces' | jq '$spans | map(select(.name == \"demo.Echo/Fail\" and .kind == 2)) | length')\" = 7 ]" ||
	ms_fail "7 server spans named demo.Echo/Fail did not arrive"
fail_span=$(curl -fsS "$RECV/received?signal=traces" |
	jq -c "$spans | map(select(.name == \"demo.Echo/Fail\" and .kind == 2))[0]")
assert_eq "span rpc.grpc.status_code" 5 "$(jq -r '.attributes[] | select(.key == "rpc.grpc.status_code")
	| .value.intValue' <<<"$fail_span")"
assert_eq "server span of NOT_FOUND is not a server error (RPC conventions)" 0 \
	"$(jq -r '.status.code // 0' <<<"$fail_span")"
cli_fail=$(curl -fsS "$RECV/received?signal=traces" |
	jq -c "$spans | map(select(.name == \"demo.Echo/Fail\" and .kind == 3))[0]")
assert_eq "client span of NOT_FOUND is an error with grpc-message" '2 no such item' \
	"$(jq -r '"\(.status.code) \(.status.message)"' <<<"$cli_fail")"
assert_eq "server spans of all 86 calls" 86 "$(curl -fsS "$RECV/received?signal=traces" |
	jq "$spans | map(select((.name | startswith(\"demo.Echo/\")) and .kind == 2)) | length")"

# ------------------------------------------------------------ CONTINUATION, past the capture

echo "gRPC: 3 calls with a 20 KB header (HEADERS + CONTINUATION, longer than the capture)"
got=$(pod_exec client "${app[@]}" client "$S" 50052 Ok:3:big 2>>"$MS_STATE_DIR/grpc-client.err")
assert_eq "client saw" "0=3" "$got"
n=$(wait_edge_field "$C" "$S" 50052 grpc .requests 3 10)
assert_eq "streams still counted" 3 "$n"
e=$(edge_get "$C" "$S" 50052 grpc)
assert_eq "the edge says some of it was not seen" true "$(jq .partial <<<"$e")"
stats=$(stats_json)
assert_gt "the lost header blocks are counted" 0 \
	"$(jq '(.h2_parse_failures.hpack_lost // 0) + (.h2_parse_failures.framing_lost // 0)' <<<"$stats")"
assert_true "never named wrongly: only /demo.Echo/Ok or unnamed" bash -c "curl -fsS '$RECV/received?signal=traces' |
	jq -e '[$spans[] | select(any(.attributes[]; .key == \"server.port\" and (.value.intValue | tostring) == \"50052\"))
		| .name] | all(. == \"demo.Echo/Ok\" or . == \"POST\" or . == \"HTTP\")' >/dev/null"

# ------------------------------------------------------------ GOAWAY: refused streams

echo "GOAWAY: 3 connections x 4 streams; the server answers 2 and refuses 2 by GOAWAY"
pod_spawn server "$MS_STATE_DIR/goaway.log" "$PY" "$MS_E2E_DIR/h2_goaway.py" server 8090 >/dev/null
wait_listen server 8090 || ms_die "GOAWAY server did not start: $(cat "$MS_STATE_DIR/goaway.log")"
for ((i = 0; i < 3; i++)); do
	got=$(pod_exec client "$PY" "$MS_E2E_DIR/h2_goaway.py" client "$S" 8090 4)
	assert_eq "client: 2 answered, 2 refused by GOAWAY" "answered=2 refused=2" "$got"
done
n=$(wait_edge_field "$C" "$S" 8090 http2 .requests 12 10)
assert_eq "http2 edge on 8090: every stream once, refused ones too" 12 "$n"
e=$(edge_get "$C" "$S" 8090 http2)
assert_eq "answered 200, refused without a status" '{"0":6,"200":6}' "$(jq -c .status_codes <<<"$e")"
assert_eq "the refused streams are errors" 6 "$(jq .errors <<<"$e")"
assert_eq "connections closed" 3 "$(wait_edge_field "$C" "$S" 8090 http2 .connections_closed 3 5)"

# ------------------------------------------------------------ opened before the agent

echo "h2c opened before the agent: 1 stream before it starts, 6 after, on one connection"
agent_stop
rm -f "$MS_STATE_DIR/go"
pod_exec client "$PY" "$MS_E2E_DIR/h2_goaway.py" later "$S" 8080 6 "$MS_STATE_DIR/go" \
	>"$MS_STATE_DIR/later.out" 2>&1 &
later=$!
ms_record_pid "$later"
sleep 1 # its first stream is answered before the agent is there
agent_start --identities "$MS_STATE_DIR/ids" --capture-bytes 4096 --access-log all
touch "$MS_STATE_DIR/go"
wait "$later"
assert_eq "client: the 6 later streams answered" "answered=6" "$(cat "$MS_STATE_DIR/later.out")"
n=$(wait_edge_field "$C" "$S" 8080 http2 .requests 6 10)
assert_eq "http2 edge: the 6 streams after the agent started, once each" 6 "$n"
e=$(edge_get "$C" "$S" 8080 http2)
assert_eq "both ends reported" '["source","destination"]' "$(jq -c .reporters <<<"$e")"
assert_eq "marked partial: the table from before the agent is lost" true "$(jq .partial <<<"$e")"
log=$(ms_get "/api/v1/access-log?limit=100")
assert_eq "access log: each stream once (both ends are watched here)" 6 \
	"$(jq '[.records[] | select(.destination.port == 8080)] | length' <<<"$log")"
assert_eq "... none named from a guess (no method, no path)" true \
	"$(jq '[.records[] | select(.destination.port == 8080)] | all(.method == "" and .path == "")' <<<"$log")"
assert_eq "no tcp edge for it" null "$(edge_get "$C" "$S" 8080 tcp)"
stats=$(stats_json)
assert_gt "the HPACK state from before the agent counted lost" 0 \
	"$(jq '.h2_parse_failures.hpack_lost // 0' <<<"$stats")"
assert_eq "its streams counted unnamed" 12 "$(jq '.h2.streams_unnamed // 0' <<<"$stats")"

agent_stop
ms_finish

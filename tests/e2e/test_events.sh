#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# GET /api/v1/events: each kind fires when its condition starts and a
# "resolved" follows when it clears, with the thresholds set by flags
# (short ones, so the test runs in about a minute):
#   --window 6 (ticks every second) --learn 5 --event-min-requests 10
#   --event-auth-failures 5 --event-latency-ms 300 --event-rate-halflife 60
# Pod client calls pod server on ports 8080 (learnt during the learning
# period), 8081 (new after it), 8082 (steady rate, then five times that).
# The counts by kind in /metrics must match the events listed.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq "$MS_PYTHON"

S=10.200.2.2
pod_create client 1
pod_create server 2
ids=$MS_STATE_DIR/identities
cat >"$ids" <<EOF2
10.200.1.2 workload=client namespace=demo
$S workload=server namespace=demo service=server
EOF2

# :8082 answers at once (TCP_NODELAY, MS_HTTPD_PACE_MS): without it Nagle's
# algorithm and delayed ACKs hold each keep-alive answer 40 ms, ~25 per second.
for p in 8080 8081 8082; do
	pod_spawn server "$MS_STATE_DIR/httpd-$p.log" env MS_HTTPD_PACE_MS=$((p == 8082)) \
		"$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$p" >/dev/null
	wait_listen server "$p" || ms_die "httpd :$p did not start: $(cat "$MS_STATE_DIR/httpd-$p.log")"
done
agent_start --identities "$ids" --window 6 --learn 5 --event-min-requests 10 \
	--event-auth-failures 5 --event-latency-ms 300 --event-rate-halflife 60
started=$SECONDS
# meshsight events --follow prints every event as it comes, for the whole test.
"$MESHSIGHT_BIN" events --follow --endpoint "127.0.0.1:$MS_PORT" >"$MS_STATE_DIR/follow.out" 2>&1 &
follow_pid=$!
ms_record_pid "$follow_pid"

# calls PORT N PATH [curl args]: N requests (one connection unless -Z).
calls() {
	local port=$1 n=$2 path=$3 args=() i
	shift 3
	for ((i = 0; i < n; i++)); do args+=(-o /dev/null "http://$S:$port$path"); done
	pod_exec client curl -sS --max-time 30 "$@" "${args[@]}" || ms_fail "curl :$port $path failed"
}

events=
# count KIND PORT [RESOLVES]: events of that kind on client -> server:PORT.
count() {
	jq --arg k "$1" --argjson p "$2" --arg r "${3:-}" '[.events[] | select(.kind == $k
		and .port == $p and .source == "demo/client" and .destination == "demo/server"
		and ($r == "" or .resolves == $r))] | length' <<<"$events"
}
# wait_event TIMEOUT KIND PORT [RESOLVES]: until one such event is listed.
has_event() { events=$(ms_get /api/v1/events) && [ "$(count "$@")" -ge 1 ]; }
wait_event() {
	local t=$1
	shift
	wait_until "$t" has_event "$@" || ms_fail "no $1 event on :$2 ${3:+resolving $3 }within $t s: $events"
}
event() { jq -c --arg k "$1" --argjson p "$2" '[.events[] | select(.kind == $k and .port == $p)][0]' <<<"$events"; }

echo "learning: a call on :8080 during the first 5 s is learnt"
calls 8080 1 /
sleep $((started + 7 - SECONDS))
events=$(ms_get /api/v1/events)
assert_eq "no new_edge for the learnt :8080" 0 "$(count new_edge 8080)"
assert_eq "thresholds as set" '[6,5,10,5,300]' "$(jq -c '.thresholds | [.window_seconds,
	.learn_seconds, .min_requests, .auth_failures, .latency_ms]' <<<"$events")"

echo "new_edge: the first call on :8081 after the learning period"
calls 8081 1 /
calls 8080 1 /
wait_event 5 new_edge 8081
e=$(event new_edge 8081)
echo "  $e"
assert_eq "new_edge is info" '"info"' "$(jq .severity <<<"$e")"
assert_eq "still no new_edge for :8080" 0 "$(count new_edge 8080)"
assert_true "event has every field" jq -e 'has("time") and has("kind") and has("severity") and
	has("source") and has("destination") and has("value") and has("threshold") and has("detail")' <<<"$e"

echo "auth_failures and error_rate: 10 x 401 and 20 x 503 on :8080"
calls 8080 10 /status/401
calls 8080 20 /status/503
wait_event 5 auth_failures 8080
wait_event 5 error_rate 8080
e=$(event auth_failures 8080)
echo "  $e"
assert_eq "auth_failures value (401s in the window), threshold" "10 5" \
	"$(jq -r '"\(.value) \(.threshold)"' <<<"$e")"
assert_eq "auth_failures is a warning" '"warning"' "$(jq .severity <<<"$e")"
e=$(event error_rate 8080)
echo "  $e"
assert_true "error_rate value >= 0.1 (raised on the tick it crossed), threshold 0.1" \
	jq -e '.value >= 0.1 and .value <= 1 and .threshold == 0.1 and .severity == "critical"' <<<"$e"
assert_eq "fired once each" "1 1" "$(count auth_failures 8080) $(count error_rate 8080)"
echo "  ... both resolve once the failures leave the 6 s window"
wait_event 12 resolved 8080 auth_failures
wait_event 12 resolved 8080 error_rate
assert_eq "still fired once each" "1 1" "$(count auth_failures 8080) $(count error_rate 8080)"

echo "latency: 12 x /delay/400 on :8081 (p95 >= 300 ms)"
calls 8081 12 /delay/400 -Z --parallel-max 4 --no-progress-meter
wait_event 6 latency 8081
e=$(event latency 8081)
echo "  $e"
assert_true "latency value (p95 s) >= 0.3, threshold 0.3" \
	jq -e '.value >= 0.3 and .value <= 0.6 and .threshold == 0.3' <<<"$e"
wait_event 12 resolved 8081 latency

echo "rate_change: :8082 at 20/s, then 100/s, then 20/s"
rate=$MS_STATE_DIR/rate
echo 20 >"$rate"
pod_spawn client "$MS_STATE_DIR/pacer.log" "$MS_PYTHON" "$MS_E2E_DIR/pacer.py" "$S" 8082 "$rate" >/dev/null
sleep 10
events=$(ms_get /api/v1/events)
assert_eq "no rate_change at a steady rate" 0 "$(count rate_change 8082)"
echo 100 >"$rate"
wait_event 10 rate_change 8082
e=$(event rate_change 8082)
echo "  $e"
assert_true "rate_change value >= 2 x the baseline (~20/s)" \
	jq -e '.value >= 2 * .threshold and .threshold >= 15 and .threshold <= 40' <<<"$e"
sleep 3
echo 20 >"$rate"
wait_event 15 resolved 8082 rate_change
sleep 3
events=$(ms_get /api/v1/events)
assert_eq "one rate_change, no flap when the rate comes back" 1 "$(count rate_change 8082)"
rm -f "$rate"

echo "counts by kind: /api/v1/events and /metrics agree"
metrics=$(ms_get /metrics)
events=$(ms_get /api/v1/events)
for k in new_edge auth_failures error_rate latency rate_change resolved; do
	listed=$(jq --arg k "$k" '[.events[] | select(.kind == $k)] | length' <<<"$events")
	counted=$(jq --arg k "$k" '.counts[$k]' <<<"$events")
	exported=$(awk -v k="meshsight_analysis_events_total{kind=\"$k\"}" '$1 == k { print $2 }' <<<"$metrics")
	assert_eq "$k: listed = counted = exported" "$listed $listed $listed" "$listed $counted $exported"
done
assert_true "some of each" jq -e '.counts | .new_edge >= 1 and .auth_failures >= 1 and
	.error_rate >= 1 and .latency >= 1 and .rate_change >= 1 and .resolved >= 4' <<<"$events"

echo "meshsight events: the same events as a table"
out=$("$MESHSIGHT_BIN" events --endpoint "127.0.0.1:$MS_PORT") || ms_fail "meshsight events failed"
listed=$(jq '.events | length' <<<"$events")
assert_eq "one row per event, after the header" "$listed" "$(($(wc -l <<<"$out") - 1))"
assert_true "a resolved row names what it resolves" grep -qE 'resolved \(auth_failures\) +demo/client -> demo/server:8080' <<<"$out"
sleep 1.5
kill "$follow_pid" 2>/dev/null
wait "$follow_pid" 2>/dev/null
assert_eq "--follow printed the same rows, each once" "$out" "$(cat "$MS_STATE_DIR/follow.out")"

agent_stop
ms_finish

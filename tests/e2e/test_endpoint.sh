#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Nobody can lock the endpoint out. A pod opens 40 connections to the
# agent's endpoint and trickles one header line a second on each, never
# finishing a request (what took /metrics and /healthz down before, and
# with them the agent, restarted by its liveness probe). Meanwhile every
# /healthz and /metrics from elsewhere answers at once; the trickling
# connections are capped per address and shut after 5 s (counted). A
# second listener (--health-listen) serves /healthz only.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl "$MS_PYTHON"

HEALTH_PORT=${MS_HEALTH_PORT:-19465}
pod_create evil 1
agent_start --listen "0.0.0.0:$MS_PORT" --health-listen "127.0.0.1:$HEALTH_PORT"

echo "a pod trickles 40 request heads at the endpoint for 9 s"
pod_exec evil "$MS_PYTHON" "$MS_E2E_DIR/trickle.py" 10.200.1.1 "$MS_PORT" 40 9 \
	>"$MS_STATE_DIR/trickle.out" 2>&1 &
trickler=$!
sleep 1
slow=0
for ((i = 0; i < 16; i++)); do
	t0=$(date +%s%N)
	curl -fsS -m 2 -o /dev/null "$MS_AGENT_URL/healthz" || ms_fail "/healthz failed during the trickle ($i)"
	curl -fsS -m 2 -o /dev/null "$MS_AGENT_URL/metrics" || ms_fail "/metrics failed during the trickle ($i)"
	curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$HEALTH_PORT/healthz" ||
		ms_fail "the health listener failed during the trickle ($i)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -gt 1000 ] && slow=$((slow + 1))
	sleep 0.5
done
wait "$trickler"
out=$(cat "$MS_STATE_DIR/trickle.out")
printf '      figures: trickler: %s\n' "$out" >&2
assert_eq "no round of the three requests took over 1 s" 0 "$slow"
assert_true "one address holds at most 16 connections" \
	grep -qE 'held=(1[0-6]|[0-9]) ' <<<"$out"
assert_true "the server closed every trickling connection" \
	bash -c '[[ "$1" =~ opened=([0-9]+).*closed_by_server=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]' _ "$out"
assert_true "head timeouts counted" \
	grep -qE '^meshsight_http_head_timeouts_total (1[0-9]|[2-9][0-9])' <<<"$(ms_get /metrics)"

echo "the health listener serves /healthz only"
assert_eq "/healthz there" ok "$(curl -fsS -m 2 "http://127.0.0.1:$HEALTH_PORT/healthz")"
assert_eq "/metrics is not there" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$HEALTH_PORT/metrics")"

echo "scrapes moments apart share one rendered page"
before=$(ms_get /metrics | awk '/^meshsight_http_pages_shared_total/ { print $2 }')
for ((i = 0; i < 5; i++)); do ms_get /metrics >/dev/null; done
sleep 0.5 # the counter is in the page: read one rendered after them
after=$(ms_get /metrics | awk '/^meshsight_http_pages_shared_total/ { print $2 }')
assert_true "pages shared" test "$after" -gt "$before"
agent_stop

echo "six slow readers of a big page hold one compressed copy, not six pages"
pod_create srv 2
for ((i = 3; i < 23; i++)); do echo "address add 10.200.1.$i/24 dev eth0"; done | ip -n ms-evil -batch - ||
	ms_die "cannot add client addresses"
for ((i = 3; i < 23; i++)); do echo "10.200.1.$i workload=client-$i namespace=e2e"; done >"$MS_STATE_DIR/ids"
pod_spawn srv "$MS_STATE_DIR/fanout.log" "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" serve 8000 20 >/dev/null
wait_listen srv 8000 || ms_die "the fan-out server did not start"
agent_start --identities "$MS_STATE_DIR/ids"
pod_exec evil "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" call 10.200.2.2 8000 20 10.200.1 3 20 >/dev/null ||
	ms_fail "fan-out calls failed"
wait_until 20 bash -c "[ \"\$(curl -s $MS_AGENT_URL/api/v1/stats | jq .tracked_edges)\" -ge 400 ]" ||
	ms_fail "fewer than 400 edges"
page=$(curl -s -o /dev/null -w '%{size_download}' -m 30 "$MS_AGENT_URL/metrics")
hwm() { awk '/^VmHWM/ { print $2 * 1024 }' "/proc/$MS_AGENT_PID/status"; }
rss0=$(hwm)
readers=()
for ((i = 0; i < 6; i++)); do
	curl -s -o /dev/null -m 8 --limit-rate 1M "$MS_AGENT_URL/metrics" &
	readers+=($!)
done
wait "${readers[@]}"
grown=$(($(hwm) - rss0))
printf '      figures: %d-byte page, six slow readers together grew peak RSS by %d bytes\n' \
	"$page" "$grown" >&2
assert_true "the page is big enough to tell (over 4 MB)" test "$page" -gt 4000000
assert_true "six readers grew peak RSS by less than one page" test "$grown" -lt "$page"
agent_stop

ms_finish

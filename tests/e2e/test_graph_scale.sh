#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The window, the graph and the events stay bounded at 10,000 edges: 250
# client addresses, each its own workload, call 40 server ports (fanout.py),
# with --learn 0 so every edge raises new_edge. Checks: every edge is
# windowed, the graph has 251 nodes and 250 edges (ports merged), the event
# ring holds --max-events and counts the overwritten rest, and the pages
# answer in bounded time. Prints the agent's memory (VmRSS, VmHWM) and the
# time and size of each page.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq "$MS_PYTHON"

ADDRS=250 PORTS=40
pod_create cli 1
pod_create srv 2
for ((i = 3; i < 3 + ADDRS; i++)); do echo "address add 10.200.1.$i/24 dev eth0"; done |
	ip -n ms-cli -batch - || ms_die "cannot add the client addresses"
{
	for ((i = 3; i < 3 + ADDRS; i++)); do echo "10.200.1.$i workload=client-$i namespace=scale"; done
	echo "10.200.2.2 workload=server namespace=scale service=server"
} >"$MS_STATE_DIR/ids"
pod_spawn srv "$MS_STATE_DIR/fanout.log" "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" serve 8000 "$PORTS" >/dev/null
wait_listen srv 8000 || ms_die "the fan-out server did not start"
agent_start --identities "$MS_STATE_DIR/ids" --max-edges 20000 --window 60 --learn 0
mem() { awk -v k="$1" '$1 == k ":" { printf "%.1f", $2 / 1024 }' "/proc/$MS_AGENT_PID/status"; }
rss_idle=$(mem VmRSS)

out=$(pod_exec cli "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" call 10.200.2.2 8000 "$PORTS" 10.200.1 3 "$ADDRS")
echo "  fanout: $out"
n=$((ADDRS * PORTS))
# /metrics at 10,000 edges is ~280 MB of text (~10 MB gzipped, as Prometheus
# asks for it): ms_get's 5 s is too short for it on a loaded machine.
metrics_page() { curl -fsS --compressed -m 60 "$MS_AGENT_URL/metrics"; }
windowed() { [ "$(metrics_page | awk '$1 == "meshsight_window_edges" { print $2 }')" -ge "$n" ]; }
wait_until 60 windowed || ms_fail "fewer than $n edges windowed: $(metrics_page | grep '^meshsight_window')"
edges=$(stats_json | jq .tracked_edges)
metrics=$(metrics_page)
assert_eq "every tracked edge is windowed" "$edges" \
	"$(awk '$1 == "meshsight_window_edges" { print $2 }' <<<"$metrics")"
assert_eq "none dropped from the window" 0 \
	"$(awk '$1 == "meshsight_window_edges_dropped_total" { print $2 }' <<<"$metrics")"

# page PATH: fetches it, prints "bytes ms".
page() {
	local t0 t1 size
	t0=$(date +%s%N)
	size=$(curl -fsS -o "$MS_STATE_DIR/page.json" -w '%{size_download}' -m 30 "$MS_AGENT_URL$1") ||
		ms_fail "GET $1 failed"
	t1=$(date +%s%N)
	echo "$size $(((t1 - t0) / 1000000))"
}
# A connection's close may be read after the tick that first windowed its edge: wait
# for the tick that has every one of them. The window is 60 s (a tick every 10 s): a
# short one would let the burst slide out while /metrics of 10,000 edges is polled.
graph=
closed() {
	graph=$(ms_get /api/v1/graph) &&
		[ "$(jq '[.edges[].connections_closed] | add' <<<"$graph")" -ge "$n" ]
}
if ! wait_until 20 closed; then
	ms_fail "the graph never showed the $n connections closed: $(jq -c '[.edges[].connections_closed] | [add, min, max]' <<<"$graph")"
	low=$(jq -r '[.edges[]] | min_by(.connections_closed) | .source' <<<"$graph")
	echo "  lowest: $(jq -c --arg s "$low" '[.edges[] | select(.source == $s)]' <<<"$graph")"
	echo "  its aggregator edges: $(edges_json | jq -c --arg s "$low" '[.edges[] | select(.source.workload == ($s | sub("scale/"; "")))
		| {p: .destination.port, proto: .protocol, r: .reporters, req: .requests, c: .connections_closed}] | .[0:5]')"
fi
read -r gsize gms < <(page /api/v1/graph)
graph=$(cat "$MS_STATE_DIR/page.json")
assert_eq "graph: 251 nodes, 250 edges (40 ports merged into each)" "251 250" \
	"$(jq -r '"\(.nodes | length) \(.edges | length)"' <<<"$graph")"
assert_eq "graph: 40 connections on each edge (one per port)" 40 \
	"$(jq '[.edges[].connections_closed] | min' <<<"$graph")"
assert_eq "graph: 250 entry points, depth 1, exact" "250 1 true" \
	"$(jq -r '.analysis | "\(.entry_points | length) \(.longest_chain.depth) \(.exact)"' <<<"$graph")"
assert_eq "graph: the fan-in hot spot" '{"node":"scale/server","value":250}' \
	"$(jq -c .analysis.hot_spots.fan_in <<<"$graph")"
read -r esize ems < <(page /api/v1/events)
events=$(cat "$MS_STATE_DIR/page.json")
assert_eq "events: the ring holds --max-events (1024)" 1024 "$(jq '.events | length' <<<"$events")"
assert_eq "events: one new_edge per (workload, workload, port), the overwritten counted" \
	"$n $((n - 1024))" "$(jq -r '"\(.counts.new_edge) \(.overwritten)"' <<<"$events")"
read -r ssize sms < <(page /api/v1/splits)
assert_true "splits: answers" jq -e '.services | type == "array"' "$MS_STATE_DIR/page.json"
assert_true "graph page within 5 s" test "$gms" -lt 5000

printf '      figures: %d edges windowed; agent VmRSS %s MB before traffic, %s MB with them (VmHWM %s MB)\n' \
	"$edges" "$rss_idle" "$(mem VmRSS)" "$(mem VmHWM)" >&2
printf '      figures: /api/v1/graph %d bytes in %d ms, /api/v1/events %d bytes in %d ms, /api/v1/splits %d bytes in %d ms\n' \
	"$gsize" "$gms" "$esize" "$ems" "$ssize" "$sms" >&2
agent_stop
ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What does a scrape cost at 10,000 edges? 250 client addresses, each named
# as its own workload (the worst case for /metrics: nothing collapses), call
# 40 server ports: 10,000 edges. Then, while wrk keeps traffic flowing
# through the agent, scrapes of /metrics run (one fast reader, then six slow
# readers at once, 200 KB/s each) and the figures are printed:
#   peak RSS of the agent (VmHWM) before and after the scrapes, page size,
#   scrape time, the longest the ring-buffer consumer waited for the lock
#   (meshsight_consumer_lock_wait_max_seconds) and the events lost meanwhile
#   (every meshsight_events_dropped_total cause).
# Prints figures only; not a pass/fail test.
#
#   BENCH_SCRAPE_ADDRS=250 BENCH_SCRAPE_PORTS=40 tools/bench-scrape.sh

set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"

ADDRS=${BENCH_SCRAPE_ADDRS:-250}
PORTS=${BENCH_SCRAPE_PORTS:-40}
require_root_kernel
require_cmds ip curl jq wrk "$MS_PYTHON"

pod_create cli 1
pod_create srv 2
for ((i = 3; i < 3 + ADDRS; i++)); do echo "address add 10.200.1.$i/24 dev eth0"; done |
	ip -n ms-cli -batch - || ms_die "cannot add the client addresses"
{
	for ((i = 3; i < 3 + ADDRS; i++)); do echo "10.200.1.$i workload=client-$i namespace=bench"; done
	echo "10.200.2.2 workload=server namespace=bench service=server"
} >"$MS_STATE_DIR/ids"
pod_spawn srv "$MS_STATE_DIR/fanout.log" "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" serve 8000 "$PORTS" >/dev/null
wait_listen srv 8000 || ms_die "the fan-out server did not start"
agent_start --identities "$MS_STATE_DIR/ids" --max-edges 20000

hwm() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$MS_AGENT_PID/status"; }
drops() { stats_json | jq '[.events_dropped[]] | add'; }
stat() { stats_json | jq -r "$1"; }

out=$(pod_exec cli "$MS_PYTHON" "$MS_E2E_DIR/fanout.py" call 10.200.2.2 8000 "$PORTS" 10.200.1 3 "$ADDRS")
wait_until 30 bash -c "[ \"\$(curl -s $MS_AGENT_URL/api/v1/stats | jq .tracked_edges)\" -ge $((ADDRS * PORTS)) ]" ||
	ms_log "fewer edges than asked: $(stat .tracked_edges)"
edges=$(stat .tracked_edges)
rss0=$(hwm) drops0=$(drops)
printf 'bench-scrape: %s edges from %s (%s); agent peak RSS %s MB before any scrape\n' \
	"$edges" "$out" "$ADDRS x $PORTS" "$rss0"

pod_exec cli wrk -t1 -c8 -d25s http://10.200.2.2:8000/ >"$MS_STATE_DIR/wrk.out" 2>&1 &
wrk_pid=$!
sleep 2
t0=$(date +%s%N)
size=$(curl -s -o /dev/null -w '%{size_download}' -m 60 "$MS_AGENT_URL/metrics")
t1=$(date +%s%N)
gz=$(curl -s -o /dev/null -w '%{size_download}' -m 60 -H 'Accept-Encoding: gzip' "$MS_AGENT_URL/metrics")
printf 'bench-scrape: one scrape: %s bytes (%s gzip) in %d ms; peak RSS now %s MB\n' \
	"$size" "$gz" $(((t1 - t0) / 1000000)) "$(hwm)"
slow=()
for ((i = 0; i < 6; i++)); do
	curl -s -o /dev/null -m 60 --limit-rate 200k "$MS_AGENT_URL/metrics" &
	slow+=($!)
	sleep 0.3
done
wait "${slow[@]}"
wait "$wrk_pid"
rps=$(awk '/Requests\/sec/ { print $2 }' "$MS_STATE_DIR/wrk.out")
printf 'bench-scrape: six slow readers (200 KB/s each) done; peak RSS %s MB\n' "$(hwm)"
printf 'bench-scrape: wrk meanwhile: %s requests/s; consumer waited at most %s s for the lock; events lost: %s\n' \
	"$rps" "$(stat .consumer_lock_wait_max_seconds)" "$(($(drops) - drops0))"
agent_stop

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A full ring buffer: the agent is stopped (SIGSTOP) while traffic fills a
# 1 MiB ring. Lost events must be counted by cause, the agent must come back
# healthy, never report more requests than were sent, and count exactly again
# once it keeps up.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq "$MS_PYTHON"

pod_create drc 1
pod_create drs 2
agent_start --ringbuf-mb 1 --capture-bytes 4096
pod_spawn drs "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen drs 8080 || ms_die "httpd did not start"

flood_urls=()
for ((i = 0; i < 60; i++)); do flood_urls+=(http://10.200.2.2:8080/bytes/200000); done

echo "agent stalled while 60 x 200 kB responses flow"
kill -STOP "$MS_AGENT_PID"
pod_exec drc curl -s --max-time 30 "${flood_urls[@]}" >/dev/null || ms_fail "flood curl failed"
kill -CONT "$MS_AGENT_PID"

wait_until 10 bash -c "[ \"\$(curl -s $MS_AGENT_URL/api/v1/stats | jq .events_dropped.ringbuf_full_data)\" -gt 0 ]"
dropped=$(stats_json | jq .events_dropped.ringbuf_full_data)
assert_gt "ring-buffer drops counted" 0 "$dropped"
assert_true "agent healthy after the overflow" ms_agent_healthy
sleep 1
before=$(edge_field 10.200.1.2 10.200.2.2 8080 http .requests)
[ "$before" = null ] && before=0
assert_true "never more requests than were sent ($before <= 60)" test "$before" -le 60

echo "after the overflow: 10 small requests counted exactly"
small=()
for ((i = 0; i < 10; i++)); do small+=(http://10.200.2.2:8080/status/201); done
pod_exec drc curl -s --max-time 30 "${small[@]}" >/dev/null || ms_fail "curl failed"
got=$(wait_edge_field 10.200.1.2 10.200.2.2 8080 http '.status_codes["201"]' 10)
assert_eq "201s counted after recovery" 10 "$got"
assert_eq "dropped count did not move for traffic the agent kept up with" "$dropped" \
	"$(stats_json | jq .events_dropped.ringbuf_full_data)"

ms_finish

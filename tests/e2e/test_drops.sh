#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A full ring buffer: the agent is stopped (SIGSTOP) while traffic fills a
# 1 MiB ring. Lost events must be counted by cause, the edge that lost them
# marked partial, the agent must come back healthy, never report more
# requests than were sent, and count exactly again once it keeps up.
# A full connection table: 40 connections held open at once against a
# table of 16 entries; the untracked ones are counted once each, however
# many packets they carry.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq "$MS_PYTHON"

pod_create drc 1
pod_create drs 2
# Payload events (the capture path, --http-parser userspace) fill the ring fastest.
agent_start --ringbuf-mb 1 --capture-bytes 4096 --http-parser userspace
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
# A close event lost in the overflow is finished from the kernel's entry by
# the next scan (every 2 s): the edge then says partial, and no connection
# stays open in the agent's view.
closed() {
	[ "$(edge_field 10.200.1.2 10.200.2.2 8080 http '.connections_closed == .connections_opened and .partial')" = true ]
}
wait_until 10 closed
printf '      figures: ring-buffer drops: %s data, %s close; closes recovered from the kernel entry: %s\n' \
	"$(stats_json | jq .events_dropped.ringbuf_full_data)" "$(stats_json | jq .events_dropped.ringbuf_full_close)" \
	"$(stats_json | jq .closes_recovered)" >&2
assert_eq "the edge says it is partial" true "$(edge_field 10.200.1.2 10.200.2.2 8080 http .partial)"
assert_eq "every connection of the overflow closed" \
	"$(edge_field 10.200.1.2 10.200.2.2 8080 http .connections_opened)" \
	"$(edge_field 10.200.1.2 10.200.2.2 8080 http .connections_closed)"

echo "after the overflow: 10 small requests counted exactly"
small=()
for ((i = 0; i < 10; i++)); do small+=(http://10.200.2.2:8080/status/201); done
pod_exec drc curl -s --max-time 30 "${small[@]}" >/dev/null || ms_fail "curl failed"
got=$(wait_edge_field 10.200.1.2 10.200.2.2 8080 http '.status_codes["201"]' 10)
assert_eq "201s counted after recovery" 10 "$got"
assert_eq "dropped count did not move for traffic the agent kept up with" "$dropped" \
	"$(stats_json | jq .events_dropped.ringbuf_full_data)"
agent_stop

# The kernel's pair events (the default datapath): ~110 bytes a request and
# a watched end, so a 1 MiB ring holds ~9,000; 6,000 requests on one
# connection seen at both ends make 12,000 while the agent is stopped. The
# server sends at once (TCP_NODELAY, 1 ms pause), so they take seconds.
echo "kernel pairs: agent stalled while 6000 requests are answered"
pod_spawn drs "$MS_STATE_DIR/httpd-fast.log" env MS_HTTPD_PACE_MS=1 \
	"$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8081 >/dev/null
wait_listen drs 8081 || ms_die "httpd on 8081 did not start"
for ((i = 0; i < 6000; i++)); do
	printf 'url = "http://10.200.2.2:8081/status/202"\noutput = /dev/null\n'
done >"$MS_STATE_DIR/urls"
agent_start --ringbuf-mb 1
kill -STOP "$MS_AGENT_PID"
pod_exec drc curl -s --max-time 120 -K "$MS_STATE_DIR/urls" || ms_fail "the 6000-request curl failed"
kill -CONT "$MS_AGENT_PID"
wait_until 10 bash -c "[ \"\$(curl -s $MS_AGENT_URL/api/v1/stats | jq .events_dropped.ringbuf_full_pair)\" -gt 0 ]"
pairs_lost=$(stats_json | jq .events_dropped.ringbuf_full_pair)
printf '      figures: pair events lost: %s; kernel-parsed requests: %s\n' "$pairs_lost" \
	"$(stats_json | jq .http_transactions_by_mode.kernel)" >&2
assert_gt "pair events lost to the full ring counted" 0 "$pairs_lost"
closed8081() {
	[ "$(edge_field 10.200.1.2 10.200.2.2 8081 http '.connections_closed == .connections_opened and .partial')" = true ]
}
wait_until 15 closed8081
n=$(edge_field 10.200.1.2 10.200.2.2 8081 http '.status_codes["202"]')
assert_true "fewer 202s than sent, none invented ($n < 6000)" test "$n" -lt 6000
assert_eq "the edge says it is partial" true "$(edge_field 10.200.1.2 10.200.2.2 8081 http .partial)"
both=$(edge_field 10.200.1.2 10.200.2.2 8081 http '[.views.source.requests, .views.destination.requests] | add')
assert_eq "every request is in one view or lost: counted + lost = 2 x 6000" 12000 \
	"$((both + pairs_lost))"
agent_stop

echo "a full connection table: 40 connections at once, 16 entries"
agent_start --max-connections 16
# 40 connections opened first, then 5 requests on each, then all closed:
# 80 sockets (both ends are watched) alive together for a 16-entry table.
pod_exec drc "$MS_PYTHON" - <<'EOF' || ms_fail "the 40-connection client failed"
import socket
conns = [socket.create_connection(("10.200.2.2", 8080), timeout=10) for _ in range(40)]
for _ in range(5):
    for c in conns:
        c.sendall(b"GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += c.recv(4096)
for c in conns:
    c.close()
EOF
sleep 1
full=$(stats_json | jq .events_dropped.conn_map_full)
printf '      figures: conn_map_full=%s for 80 sockets and 16 entries\n' "$full" >&2
assert_true "untracked sockets counted once each (64 <= $full <= 80, not once a packet)" \
	test "$full" -ge 64 -a "$full" -le 80

ms_finish

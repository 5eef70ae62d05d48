#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# SIGTERM ends the agent within 5 s whatever its OTLP collector does: one
# that accepts connections and never answers (127.0.0.1), and one whose name
# never resolves because the DNS server swallows queries (the agent runs in
# a mount namespace whose resolv.conf points at a UDP socket that never
# replies, with a 30 s resolver timeout). Spans are queued in both cases, so
# the exporter is mid-request or mid-lookup when the signal comes. Each exit
# time is printed.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl unshare mount "$MS_PYTHON"

HANG_PORT=${MS_HANG_PORT:-14999}
DNS_ADDR=127.0.0.77

pod_create shc 1
pod_create shs 2
pod_spawn shs "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen shs 8080 || ms_die "httpd did not start"

# A collector that completes the TCP handshake and then says nothing.
"$MS_PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' "$HANG_PORT" >"$MS_STATE_DIR/hang.log" 2>&1 &
ms_record_pid $!
# A DNS server that reads every query and answers none.
"$MS_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    s.recvfrom(4096)
' "$DNS_ADDR" >"$MS_STATE_DIR/dns.log" 2>&1 &
ms_record_pid $!
wait_until 5 bash -c "ss -Hltn 'sport = :$HANG_PORT' | grep -q ." || ms_die "hung collector did not start"
wait_until 5 bash -c "ss -Hlun 'sport = :53' | grep -q '$DNS_ADDR'" || ms_die "silent DNS server did not start"

printf 'nameserver %s\noptions timeout:30 attempts:1\n' "$DNS_ADDR" >"$MS_STATE_DIR/resolv.conf"
# The agent binary, run with that resolv.conf in a private mount namespace.
cat >"$MS_STATE_DIR/agent-silent-dns" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount --bind "$MS_STATE_DIR/resolv.conf" /etc/resolv.conf && exec "\$0" "\$@"' "$MESHSIGHT_BIN" "\$@"
EOF
chmod +x "$MS_STATE_DIR/agent-silent-dns"

traffic() {
	local urls=() i
	for ((i = 0; i < 20; i++)); do urls+=(http://10.200.2.2:8080/); done
	pod_exec shc curl -s --max-time 10 "${urls[@]}" >/dev/null || ms_fail "curl failed"
}

# stop_timed LABEL: SIGTERM; asserts exit status 0 within 5 s and prints the time.
stop_timed() {
	local pid=$MS_AGENT_PID t0 ms rc i
	MS_AGENT_PID=
	t0=$(date +%s%N)
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do
		ms_alive "$pid" || break
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	ms_alive "$pid" && kill -KILL "$pid"
	wait "$pid"
	rc=$?
	echo "  $1: exited with status $rc $ms ms after SIGTERM"
	assert_true "$1: exit within 5 s of SIGTERM (took $ms ms)" test "$ms" -lt 5000
	assert_eq "$1: exit status" 0 "$rc"
	[ "$rc" -eq 0 ] && [ "$ms" -lt 5000 ] || ms_agent_dump_log
}

echo "collector accepts and never answers"
export OTEL_BSP_SCHEDULE_DELAY=100
agent_start --otlp-endpoint "http://127.0.0.1:$HANG_PORT" --metric-export-interval-ms 200
traffic
sleep 1 # requests now hang in the exporter, spans wait behind them
assert_true "agent healthy with a hung collector" ms_agent_healthy
stop_timed "hung collector"

echo "collector name never resolves (DNS server silent, 30 s resolver timeout)"
MESHSIGHT_BIN="$MS_STATE_DIR/agent-silent-dns" agent_start \
	--otlp-endpoint "http://otel-collector.example:4318" --metric-export-interval-ms 200
traffic
sleep 1 # the exporter's lookup is now waiting on the silent server
assert_true "agent healthy while its collector's name hangs" ms_agent_healthy
stop_timed "unresolvable collector"
unset OTEL_BSP_SCHEDULE_DELAY

ms_finish

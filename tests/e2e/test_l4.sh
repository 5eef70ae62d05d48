#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Connections as TCP alone, and connections that outlive the idle timeout.
#
# With --no-http (L4 only) a client talks to a line server ("N\n" in, N
# bytes back) and to an HTTP server: every byte and every close is counted
# on a tcp edge, and no HTTP edge appears. The kernel refreshes a socket's
# live counters only now and then (every 32 payload packets, and at request
# starts when it parses HTTP), so a connection that sends a little, slowly,
# for longer than --conn-idle-timeout must still be there when it closes:
# its close, reported by sockops, says it was alive; the agent must not
# forget it and lose its last bytes and its close. The same is checked with
# HTTP parsed in the kernel: an opaque connection and a keep-alive HTTP
# connection that pauses past the timeout between requests.
#
# Expected bytes are what the clients themselves counted.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq ss "$MS_PYTHON"

C=10.200.1.2
S=10.200.2.2
LP=5432 # the line server
HP=8080 # HTTP
idle=2s # --conn-idle-timeout: the slow connections last over twice that

pod_create client 1
pod_create server 2

pod_spawn server "$MS_STATE_DIR/lines.log" "$MS_PYTHON" -c '
import socket, threading
def serve(c):
    with c, c.makefile("rb") as f:
        for line in f:
            c.sendall(b"y" * int(line))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'"$S"'", '"$LP"'))
s.listen(16)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' >/dev/null
pod_spawn server "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$HP" >/dev/null
wait_listen server "$LP" || ms_die "line server did not start: $(cat "$MS_STATE_DIR/lines.log")"
wait_listen server "$HP" || ms_die "httpd did not start: $(cat "$MS_STATE_DIR/httpd.log")"

# lines N SIZE PAUSE_S: one connection, N exchanges of SIZE bytes back,
# PAUSE_S between them; adds what it sent and got to sent/got.
sent=0 got=0 conns=0
lines() {
	local out
	out=$(pod_exec client "$MS_PYTHON" -c '
import socket, sys, time
n, size, pause = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
c = socket.create_connection(("'"$S"'", '"$LP"'))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sent = got = 0
for i in range(n):
    if i:
        time.sleep(pause)
    msg = b"%d\n" % size
    c.sendall(msg)
    sent += len(msg)
    want = got + size
    while got < want:
        d = c.recv(65536)
        if not d:
            sys.exit("server closed early")
        got += len(d)
c.close()
print(sent, got)
' "$1" "$2" "$3") || ms_die "line client failed: $out"
	sent=$((sent + ${out% *}))
	got=$((got + ${out#* }))
	conns=$((conns + 1))
}

# check_tcp_edge WHAT: the line server's edge holds sent/got/conns exactly.
check_tcp_edge() {
	local n
	n=$(wait_edge_field "$C" "$S" "$LP" tcp .connections_closed "$conns" 10)
	assert_eq "$1: connections closed" "$conns" "$n"
	assert_eq "$1: bytes sent (the clients' requests)" "$sent" \
		"$(edge_field "$C" "$S" "$LP" tcp .bytes_sent)"
	assert_eq "$1: bytes received (the server's answers)" "$got" \
		"$(edge_field "$C" "$S" "$LP" tcp .bytes_received)"
	assert_eq "$1: connections opened" "$conns" \
		"$(edge_field "$C" "$S" "$LP" tcp .connections_opened)"
}

# check_nothing_forgotten WHAT: no live connection was dropped as idle.
check_nothing_forgotten() {
	local s
	s=$(stats_json)
	assert_eq "$1: kernel connections forgotten as idle" 0 \
		"$(jq '.evictions.kernel_connections_idle' <<<"$s")"
	assert_eq "$1: connections forgotten as idle" 0 "$(jq '.evictions.connections_idle' <<<"$s")"
}

echo "L4 only (--no-http), idle timeout $idle"
agent_start --no-http --conn-idle-timeout "$idle" --scan-interval-ms 200ms
for _ in 1 2 3; do lines 5 2000 0; done
lines 4 100 1.6 # ~5 s, a packet each way every 1.6 s: fewer than 32 in all
check_tcp_edge "no-http"
check_nothing_forgotten "no-http"

hs=$(pod_exec client curl -s -o /dev/null -o /dev/null -w '%{size_request} %{size_header}+%{size_download}\n' \
	"http://$S:$HP/" "http://$S:$HP/status/404") || ms_fail "curl failed"
hsent=0 hgot=0
while read -r req resp; do
	hsent=$((hsent + req))
	hgot=$((hgot + resp))
done <<<"$hs"
n=$(wait_edge_field "$C" "$S" "$HP" tcp .connections_closed 1 10)
assert_eq "no-http: the HTTP connection is a tcp edge, closed once" 1 "$n"
assert_eq "no-http: its bytes sent (curl's requests)" "$hsent" \
	"$(edge_field "$C" "$S" "$HP" tcp .bytes_sent)"
assert_eq "no-http: its bytes received (curl's responses)" "$hgot" \
	"$(edge_field "$C" "$S" "$HP" tcp .bytes_received)"
assert_eq "no-http: no http edge" 0 "$(edge_count "$C" "$S" "$HP" http)"
agent_stop >/dev/null || ms_fail "agent did not stop cleanly"

echo "HTTP parsed in the kernel, idle timeout $idle"
sent=0 got=0 conns=0
agent_start --conn-idle-timeout "$idle" --scan-interval-ms 200ms
lines 4 100 1.6
check_tcp_edge "opaque, kernel parsing on"
out=$(pod_exec client "$MS_PYTHON" -c '
import http.client, time
c = http.client.HTTPConnection("'"$S"'", '"$HP"')
codes = []
for pause in (0, 0, 0, 5):
    time.sleep(pause)
    c.request("GET", "/")
    r = c.getresponse()
    r.read()
    codes.append(r.status)
c.close()
print(" ".join(map(str, codes)))
') || ms_fail "keep-alive client failed"
assert_eq "keep-alive client's answers" "200 200 200 200" "$out"
n=$(wait_edge_field "$C" "$S" "$HP" http .connections_closed 1 10)
assert_eq "keep-alive connection paused past the timeout: closed once" 1 "$n"
assert_eq "its requests, the one after the pause too" 4 "$(edge_field "$C" "$S" "$HP" http .requests)"
assert_eq "its status codes" '{"200":4}' "$(edge_field "$C" "$S" "$HP" http .status_codes)"
check_nothing_forgotten "kernel parsing on"
agent_stop >/dev/null || ms_fail "agent did not stop cleanly"

ms_finish

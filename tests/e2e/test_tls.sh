#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# HTTPS through OpenSSL, end to end: pod "client" (10.200.1.2) calls pod
# "server" (10.200.2.2), where nginx (libssl3) serves HTTPS with a
# self-signed certificate made here. The agent runs with --tls on, so the
# libssl uprobes hand the clear bytes to the same parsers, on the same
# connection the socket hooks see:
#
#   8443, HTTP/1.1: 5 x curl (a fresh connection each), 1 x curl with 3 URLs
#     (one keep-alive connection), 1 x Python ssl client with 4 requests on
#     one connection: 12 requests, 10 x 200 and 2 x 404, on one "http" edge
#     marked "tls": true, seen from both ends, and no "tcp" edge for the port
#     (the ciphertext is not counted a second time).
#   8444, HTTP/2 by ALPN: curl --http2 with 2 URLs on one connection: an
#     "http2" edge with "tls": true.
#   connection_security_policy stays "none": that is the mesh's mTLS.
#   The socket layer saw every HTTPS socket as opaque and sent no payload up.
#   Then the agent again without --tls: the same HTTPS is a "tcp" edge; and
#   with --tls on but confined to the capabilities the chart grants for it;
#   and without CAP_SYS_PTRACE, where it warns and reports HTTPS as tcp.
#
# Expected numbers come from what the clients report (curl's -w, the
# Python client's printed status codes).

# shellcheck disable=SC2016 # single-quoted jq programs use jq's own $variables
set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
PY=/usr/bin/python3 # the system interpreter: its ssl module is Debian's libssl3
require_cmds ip jq ss curl openssl nginx setpriv "$PY"

C=10.200.1.2
S=10.200.2.2

pod_create client 1
pod_create server 2
ms_state_init
agent_start --tls on

# ------------------------------------------------------------ nginx over TLS

d=$MS_STATE_DIR/nginx
mkdir -p "$d/html" "$d/tmp"
printf 'hello over tls\n' >"$d/html/a"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$S" \
	-keyout "$d/key.pem" -out "$d/cert.pem" 2>"$d/openssl.log" ||
	ms_die "openssl req failed: $(cat "$d/openssl.log")"
cat >"$d/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	ssl_certificate $d/cert.pem;
	ssl_certificate_key $d/key.pem;
	keepalive_timeout 30;
	server { listen 8443 ssl; root $d/html; }
	server { listen 8444 ssl http2; root $d/html; }
}
CONF
pod_spawn server "$d/stdout.log" nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' >/dev/null
wait_listen server 8443 || ms_die "nginx did not start: $(cat "$d/error.log" "$d/stdout.log")"
wait_listen server 8444 || ms_die "nginx did not listen on 8444: $(cat "$d/error.log")"
# The agent looks only at the watched pods' processes, once a second: nginx's
# libssl (the same file curl and Python load) is probed from its first scan on.
probed() { grep -q 'probing HTTPS through .*libssl.* (pid [0-9]*.s libssl)' "$MS_AGENT_LOG"; }
wait_until 5 probed || { ms_agent_dump_log; ms_die "the agent did not probe nginx's libssl"; }
ms_pass "agent probes the server pod's libssl"

# ------------------------------------------------------------ HTTP/1.1 over TLS

echo "8443: 5 x curl on fresh connections"
for ((i = 0; i < 5; i++)); do
	code=$(pod_exec client curl -sSk --http1.1 -o /dev/null -w '%{http_code} %{ssl_verify_result}' \
		"https://$S:8443/a") || ms_fail "curl https://$S:8443/a failed"
	assert_eq "curl over TLS got 200" "200 18" "$code" # 18: self-signed, not verified (-k)
done

echo "8443: 1 x curl, 3 URLs on one keep-alive connection"
codes=$(pod_exec client curl -sSk --http1.1 -w '%{http_code} %{num_connects}\n' \
	-o /dev/null "https://$S:8443/a" -o /dev/null "https://$S:8443/a" \
	-o /dev/null "https://$S:8443/missing" | tr '\n' ' ')
assert_eq "3 URLs on one connection" "200 1 200 0 404 0 " "$codes"

echo "8443: Python ssl client, 4 requests on one connection"
codes=$(pod_exec client "$PY" "$MS_E2E_DIR/tls_client.py" "$S" 8443 /a /a /a /missing | tr '\n' ' ')
assert_eq "python client status codes" "200 200 200 404 " "$codes"

n=$(wait_edge_field "$C" "$S" 8443 http .requests 12 10)
assert_eq "http edge on 8443: every request once (5 + 3 + 4)" 12 "$n"
e=$(edge_get "$C" "$S" 8443 http)
assert_eq "status codes" '{"200":10,"404":2}' "$(jq -c .status_codes <<<"$e")"
assert_eq "marked tls" true "$(jq .tls <<<"$e")"
assert_eq "connection_security_policy unaffected" '"none"' \
	"$(jq -c .connection_security_policy <<<"$e")"
assert_eq "both ends reported" '["source","destination"]' "$(jq -c .reporters <<<"$e")"
assert_eq "client view agrees" 12 "$(jq .views.source.requests <<<"$e")"
assert_eq "connections closed (5 + 1 + 1)" 7 \
	"$(wait_edge_field "$C" "$S" 8443 http .connections_closed 7 5)"
assert_eq "no tcp edge for 8443 (ciphertext not counted again)" null \
	"$(edge_get "$C" "$S" 8443 tcp)"
assert_eq "not partial" false "$(jq .partial <<<"$e")"
assert_true "latency measured" jq -e '.latency_ms.p50 > 0' <<<"$e"

# ------------------------------------------------------------ HTTP/2 over TLS (ALPN)

echo "8444: curl --http2, 2 URLs on one connection"
codes=$(pod_exec client curl -sSk --http2 -w '%{http_code} %{http_version}\n' \
	-o /dev/null "https://$S:8444/a" -o /dev/null "https://$S:8444/missing" | tr '\n' ' ')
assert_eq "curl negotiated h2" "200 2 404 2 " "$codes"
n=$(wait_edge_field "$C" "$S" 8444 http2 .requests 2 10)
assert_eq "http2 edge on 8444: both streams" 2 "$n"
e=$(edge_get "$C" "$S" 8444 http2)
assert_eq "h2 status codes" '{"200":1,"404":1}' "$(jq -c .status_codes <<<"$e")"
assert_eq "h2 edge marked tls" true "$(jq .tls <<<"$e")"
assert_eq "no tcp edge for 8444" null "$(edge_get "$C" "$S" 8444 tcp)"

stats=$(stats_json)
assert_gt "clear-text events from libssl" 0 "$(jq '.events_seen.tls_data' <<<"$stats")"
# The socket layer's view: every connection opaque (TLS records), no payload sent up.
# Kernel counters are summed once a second: wait for the last connection's.
opaque_seen() { [ "$(stats_json | jq '.kernel.classified_opaque')" -ge 16 ]; }
wait_until 5 opaque_seen
assert_eq "HTTPS sockets opaque to the kernel (both ends of 8 connections)" 16 \
	"$(stats_json | jq '.kernel.classified_opaque')"
assert_eq "no ciphertext sent to userspace (no data or pair events)" "0 0" \
	"$(jq -r '"\(.events_seen.data) \(.events_seen.http_pair)"' <<<"$stats")"
assert_eq "no TLS event lost or late" "0 0" \
	"$(jq -r '"\(.events_dropped.ringbuf_full_tls) \(.events_dropped.tls_after_tcp)"' <<<"$stats")"

agent_stop

# ------------------------------------------------------------ the switch

echo "without --tls: the same HTTPS is opaque"
agent_start
code=$(pod_exec client curl -sSk --http1.1 -o /dev/null -w '%{http_code}' "https://$S:8443/a")
assert_eq "curl got 200" 200 "$code"
n=$(wait_edge_field "$C" "$S" 8443 tcp .connections_closed 1 10)
assert_eq "tcp edge for the HTTPS connection" 1 "$n"
assert_eq "not marked tls" false "$(edge_field "$C" "$S" 8443 tcp .tls)"
assert_eq "no http edge" null "$(edge_get "$C" "$S" 8443 http)"
agent_stop

# ------------------------------------------------------------ the chart's grant

# What the chart grants with agent.tls: the socket hooks' three capabilities and
# SYS_PTRACE, no_new_privs (test_least_privilege.sh covers the rest of the confinement).
echo "confined to CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_PTRACE: HTTPS still read"
cat >"$MS_STATE_DIR/confined" <<WRAP
#!/bin/sh
exec setpriv --no-new-privs --inh-caps -all --ambient-caps -all \
	--bounding-set -all,+bpf,+perfmon,+net_admin,+sys_ptrace -- "$MESHSIGHT_BIN" "\$@"
WRAP
chmod +x "$MS_STATE_DIR/confined"
MESHSIGHT_BIN=$MS_STATE_DIR/confined agent_start --tls on
code=$(pod_exec client curl -sSk --http1.1 -o /dev/null -w '%{http_code}' "https://$S:8443/missing")
assert_eq "curl got 404" 404 "$code"
assert_eq "http edge, tls, from the confined agent" '1 true' \
	"$(wait_edge_field "$C" "$S" 8443 http '"\(.requests) \(.tls)"' '"1 true"' 10 | jq -r .)"
agent_stop

echo "without CAP_SYS_PTRACE: the pods' libssl cannot be reached, the agent says so and runs on"
sed -i 's/,+sys_ptrace//' "$MS_STATE_DIR/confined"
MESHSIGHT_BIN=$MS_STATE_DIR/confined agent_start --tls on
assert_true "the log names what failed" grep -q 'cannot probe .*libssl.*Permission denied' \
	"$MS_AGENT_LOG"
code=$(pod_exec client curl -sSk --http1.1 -o /dev/null -w '%{http_code}' "https://$S:8443/a")
assert_eq "curl got 200" 200 "$code"
assert_eq "HTTPS is a tcp edge there" 1 "$(wait_edge_field "$C" "$S" 8443 tcp .connections_closed 1 10)"
assert_eq "and no http edge" null "$(edge_get "$C" "$S" 8443 http)"
agent_stop

ms_finish

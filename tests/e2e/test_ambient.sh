#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Istio ambient on one node: a node proxy (tunnel.py playing ztunnel) in its
# own cgroup inside the watched tree, with sockets in both pods' network
# namespaces. nftables in the client pod redirects the app's connection to
# the proxy (:15001), which carries it over TLS to the server pod (:15008),
# where the proxy connects to the app from the client's own address and port
# (IP_TRANSPARENT) and policy routing sends the app's replies back to it.
#
# The same requests, sent once directly and once through the tunnel, must
# give the same application edge in /api/v1/edges, seen by both ends, except
# that the tunnelled one is connection_security_policy "mutual_tls" and, in
# Istio's metrics, carries both ends' SPIFFE principals. None of
# the proxy's own sockets may show up as an edge: not its tunnel ports, and
# not its spoofed connect to the server app, which only its cgroup gives
# away (--mesh-tunnel-cgroup).

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds nft openssl curl jq "$MS_PYTHON"

CLIENT=10.200.1.2 SERVER=10.200.2.2
MARK=0x539 # on the proxy's spoofed sockets; Istio's in-pod rules use a mark the same way
TUN_CG=$(pod_cg ztunnel)

pod_create amc 1
pod_create ams 2
mkdir -p "$TUN_CG" || ms_die "cannot create cgroup $TUN_CG"

# tun_spawn POD LOG CMD...: in the pod's netns but in the proxy's cgroup.
tun_spawn() { cg_spawn "$TUN_CG" "$@" >/dev/null; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mesh -keyout "$MS_STATE_DIR/k.pem" \
	-out "$MS_STATE_DIR/c.pem" >/dev/null 2>&1 || ms_die "openssl failed"
pod_spawn ams "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
tun_spawn ams "$MS_STATE_DIR/tun-in.log" "$MS_PYTHON" "$MS_E2E_DIR/tunnel.py" inbound 15008 \
	"$MS_STATE_DIR/c.pem" "$MS_STATE_DIR/k.pem" "$MARK"
tun_spawn amc "$MS_STATE_DIR/tun-out.log" "$MS_PYTHON" "$MS_E2E_DIR/tunnel.py" outbound 15001 \
	15008 "$MS_STATE_DIR/c.pem"
wait_listen ams 8080 && wait_listen ams 15008 && wait_listen amc 15001 ||
	ms_die "server or tunnels did not start"

# Server pod: the app answers the client's address, which is not local here;
# packets of connections the proxy marked go to the local stack (the proxy's
# transparent socket) instead of out of eth0. Direct connections are unmarked.
ip netns exec ms-ams nft -f - <<NFT || ms_die "nft failed in the server pod"
table ip meshsight_e2e_ambient {
	chain out {
		type route hook output priority mangle; policy accept;
		meta mark $MARK ct mark set meta mark
		ct mark $MARK meta mark set ct mark
	}
}
NFT
ip -n ms-ams rule add fwmark "$MARK" lookup 133 &&
	ip -n ms-ams route add local 0.0.0.0/0 dev lo table 133 ||
	ms_die "cannot set up policy routing in the server pod"

# 9 requests over 2 keep-alive connections: 6 x 200, 2 x 503, 1 x 404
# (errors are the 5xx, as in Istio's dashboards).
traffic() {
	local base=http://$SERVER:8080 urls=() i
	for ((i = 0; i < 4; i++)); do urls+=("$base/status/200"); done
	urls+=("$base/status/503" "$base/status/404")
	pod_exec amc curl -s --max-time 20 "${urls[@]}" >/dev/null || ms_fail "curl failed"
	pod_exec amc curl -s --max-time 20 "$base/status/200" "$base/status/503" "$base/status/200" >/dev/null ||
		ms_fail "curl failed"
}

# The app edge as a user compares it: both views, names, bytes and connections
# (latency differs by nature, so it is left out).
app_edge() {
	edges_json | jq -cS --arg s "$CLIENT" --arg d "$SERVER" '
		[.edges[] | select(.source.address == $s and .destination.address == $d and
			.destination.port == 8080 and .protocol == "http")] |
		if length != 1 then "\(length) app edges" else .[0] |
		{reporters, connection_security_policy,
		 views: (.views | map_values(del(.latency_ms))),
		 source: (.source | {address, process, cgroup}),
		 destination: (.destination | {address, port, process, cgroup}),
		 request_bytes, response_bytes, bytes_sent, bytes_received,
		 connections_opened, connections_closed, connections_reset} end'
}

# Names with service accounts, which Istio's principals are built from.
cat >"$MS_STATE_DIR/ids" <<IDS
$CLIENT workload=productpage namespace=bookinfo service_account=bookinfo-productpage
$SERVER workload=reviews namespace=bookinfo service=reviews service_account=bookinfo-reviews
IDS

# run_phase NAME: traffic on a fresh agent; leaves the edge in $MS_STATE_DIR/NAME.json.
run_phase() {
	agent_start --mesh-tunnel-cgroup "$(pod_cg_rel ztunnel)" --identities "$MS_STATE_DIR/ids"
	traffic
	wait_edge_field "$CLIENT" "$SERVER" 8080 http .connections_closed 2 10 >/dev/null
	wait_edge_field "$CLIENT" "$SERVER" 8080 http .views.source.requests 9 >/dev/null
	app_edge >"$MS_STATE_DIR/$1.json"
	edges_json >"$MS_STATE_DIR/$1-all.json"
	stats_json >"$MS_STATE_DIR/$1-stats.json"
	ms_get /metrics >"$MS_STATE_DIR/$1-metrics.txt"
	agent_stop
}

echo "without the tunnel"
run_phase direct
direct=$(cat "$MS_STATE_DIR/direct.json")
assert_eq "direct: both ends count 9 requests, 2 of them errors" \
	'{"destination":{"connections_opened":2,"errors":2,"requests":9,"status_codes":{"200":6,"404":1,"503":2}},"source":{"connections_opened":2,"errors":2,"requests":9,"status_codes":{"200":6,"404":1,"503":2}}}' \
	"$(jq -c .views <<<"$direct")"
assert_eq "direct: not mutual TLS" '"none"' "$(jq -c .connection_security_policy <<<"$direct")"

echo "through the tunnel (nftables in the client pod redirects to :15001)"
ip netns exec ms-amc nft -f - <<NFT || ms_die "nft failed in the client pod"
table ip meshsight_e2e_ambient {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr $SERVER tcp dport 8080 redirect to :15001
	}
}
NFT
run_phase tunnel
tunnel=$(cat "$MS_STATE_DIR/tunnel.json")
assert_eq "the traffic took the tunnel: connections spoofed into the server pod" 2 \
	"$(grep -c "inbound $CLIENT:[0-9]* -> $SERVER:8080 spoofed" "$MS_STATE_DIR/tun-in.log")"
assert_eq "tunnelled: the same edge as direct, apart from its security policy" \
	"$(jq -cS '.connection_security_policy = "mutual_tls"' <<<"$direct")" "$tunnel"
assert_eq "tunnelled: mutual TLS" '"mutual_tls"' "$(jq -c .connection_security_policy <<<"$tunnel")"
all="$MS_STATE_DIR/tunnel-all.json"
assert_eq "the app edge is the only edge" 1 "$(jq '.edges | length' "$all")"
assert_eq "no edge names a tunnel port (15001, 15008)" 0 \
	"$(jq '[.edges[] | select(.destination.port == 15001 or .destination.port == 15008)] | length' "$all")"
assert_eq "no edge has the tunnel's cgroup at either end" 0 \
	"$(jq --arg cg "$(pod_cg_rel ztunnel)" \
		'[.edges[] | select(.source.cgroup == $cg or .destination.cgroup == $cg)] | length' "$all")"

# Both app connections were found inside the tunnel, at both ends (4 sockets),
# and the tunnel's own sockets (2 accepts, 2 HBONE-like connections on each
# side, 2 spoofed connects) were seen and kept out of the edges.
assert_eq "stats: carried app connections" 4 \
	"$(jq .mesh_tunnel.carried_connections "$MS_STATE_DIR/tunnel-stats.json")"
assert_gt "stats: tunnel sockets seen" 0 "$(jq .mesh_tunnel.connections "$MS_STATE_DIR/tunnel-stats.json")"
assert_true "istio_requests_total at the destination says mutual_tls" grep -q \
	'istio_requests_total{reporter="destination"[^}]*connection_security_policy="mutual_tls"' \
	"$MS_STATE_DIR/tunnel-metrics.txt"
assert_true "at the destination, both principals of the tunnelled edge" grep -q \
	'istio_requests_total{reporter="destination",source_workload="productpage",source_workload_namespace="bookinfo",source_principal="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage",.*destination_principal="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews",' \
	"$MS_STATE_DIR/tunnel-metrics.txt"
assert_eq "direct (plaintext): no principal anywhere" 0 \
	"$(grep -c 'principal="spiffe' "$MS_STATE_DIR/direct-metrics.txt")"
assert_eq "direct: no carried connections" 0 \
	"$(jq .mesh_tunnel.carried_connections "$MS_STATE_DIR/direct-stats.json")"

ms_finish

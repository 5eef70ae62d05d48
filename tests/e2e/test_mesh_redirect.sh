#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Plaintext that a mesh tunnels through an mTLS proxy in the pod's own
# network namespace (Istio ambient's ztunnel does this): nftables inside the
# client pod redirects its connections to a local tunnel, which carries them
# over TLS to port 15008 of the server pod, where a second tunnel hands them
# to the application from the client's own address, as ztunnel does. Here the
# tunnels run in a cgroup outside the watched subtree (an agent scoped to the
# application pods): only the application's sockets are seen, the client's
# still names the real destination and the server's the real client, so the
# edge must be the same as for the same traffic without the tunnel. With the
# proxy out of sight the agent cannot know the hop was mTLS and must not say
# so (test_ambient.sh watches the proxy too).

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds nft openssl curl jq "$MS_PYTHON"

TUN_CG="$(dirname "$MS_CG_ROOT")/meshsight-e2e-tunnel-$$"
trap 'cleanup_all; rmdir "$TUN_CG" 2>/dev/null' EXIT

pod_create mrc 1
pod_create mrs 2
mkdir -p "$TUN_CG"

# tun_spawn POD LOG CMD...: in the pod's netns but in the tunnel cgroup.
tun_spawn() { cg_spawn "$TUN_CG" "$@" >/dev/null; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mesh -keyout "$MS_STATE_DIR/k.pem" \
	-out "$MS_STATE_DIR/c.pem" >/dev/null 2>&1 || ms_die "openssl failed"
pod_spawn mrs "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
tun_spawn mrs "$MS_STATE_DIR/tun-in.log" "$MS_PYTHON" "$MS_E2E_DIR/tunnel.py" inbound 15008 \
	"$MS_STATE_DIR/c.pem" "$MS_STATE_DIR/k.pem" 0x539
tun_spawn mrc "$MS_STATE_DIR/tun-out.log" "$MS_PYTHON" "$MS_E2E_DIR/tunnel.py" outbound 15001 \
	15008 "$MS_STATE_DIR/c.pem"
wait_listen mrs 8080 && wait_listen mrs 15008 && wait_listen mrc 15001 ||
	ms_die "servers or tunnels did not start"
# The app's replies to the (non-local) client address go back to the tunnel's
# transparent socket: connections it marked are routed to the local stack.
ip netns exec ms-mrs nft -f - <<'NFT' || ms_die "nft failed in the server pod"
table ip meshsight_e2e_tproxy {
	chain out {
		type route hook output priority mangle; policy accept;
		meta mark 0x539 ct mark set meta mark
		ct mark 0x539 meta mark set ct mark
	}
}
NFT
ip -n ms-mrs rule add fwmark 0x539 lookup 133 && ip -n ms-mrs route add local 0.0.0.0/0 dev lo table 133 ||
	ms_die "cannot set up policy routing in the server pod"
agent_start

traffic() {
	local urls=() i
	for ((i = 0; i < 6; i++)); do urls+=(http://10.200.2.2:8080/status/200); done
	for ((i = 0; i < 2; i++)); do urls+=(http://10.200.2.2:8080/status/503); done
	pod_exec mrc curl -s --max-time 20 "${urls[@]}" >/dev/null || ms_fail "curl failed"
}
# What each end's socket reported (views.source, views.destination).
both_views() {
	edges_json | jq -c '[.edges[] | select(.source.address == "10.200.1.2" and
		.destination.address == "10.200.2.2" and .destination.port == 8080 and
		.protocol == "http")][0] | .views | map_values({requests, status_codes, errors})'
}

echo "without the tunnel"
traffic
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .views.source.requests 8 >/dev/null
v='{"requests":8,"status_codes":{"200":6,"503":2},"errors":2}'
assert_eq "direct: both ends" "{\"source\":$v,\"destination\":$v}" "$(both_views)"

echo "with nftables redirecting the client pod's traffic into the TLS tunnel"
ip netns exec ms-mrc nft -f - <<'NFT' || ms_die "nft failed"
table ip meshsight_e2e_redirect {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 10.200.2.2 tcp dport 8080 redirect to :15001
	}
}
NFT
traffic

got=$(wait_edge_field 10.200.1.2 10.200.2.2 8080 http .views.source.requests 16)
assert_eq "the same edge, twice the requests" 16 "$got"
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .views.destination.requests 16 >/dev/null
v='{"requests":16,"status_codes":{"200":12,"503":4},"errors":4}'
assert_eq "the tunnelled requests counted exactly like the direct ones, by both ends" \
	"{\"source\":$v,\"destination\":$v}" "$(both_views)"
assert_eq "the proxy is not watched: no claim of mutual TLS" '"none"' \
	"$(edge_field 10.200.1.2 10.200.2.2 8080 http .connection_security_policy)"
assert_eq "only the app edge" 1 "$(edges_json | jq '.edges | length')"
assert_eq "no edge names a tunnel port (15001, 15008)" 0 \
	"$(edges_json | jq '[.edges[] | select(.destination.port == 15001 or .destination.port == 15008)] | length')"
assert_eq "no edge to the redirect target's port from the client" 0 \
	"$(edges_json | jq '[.edges[] | select(.source.address == "10.200.1.2" and .destination.port != 8080)] | length')"
assert_eq "nothing dropped" 0 "$(stats_json | jq '[.events_dropped[]] | add')"

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The e2e harness itself, without the agent: two pods talk through the node,
# processes started with pod_exec/pod_spawn land in the pod's cgroup and
# netns, httpd.py and client.py produce the traffic shapes the agent tests
# rely on, and cleanup_all leaves nothing behind.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq ss "$MS_PYTHON"

url=http://10.200.2.2:8080
client=("$MS_PYTHON" "$MS_E2E_DIR/client.py")

pod_create a 1
pod_create b 2
httpd_pid=$(pod_spawn b "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080)
wait_listen b 8080 || ms_die "httpd did not start: $(cat "$MS_STATE_DIR/httpd.log")"

echo "addressing and routing"
assert_eq "pod a address" 10.200.1.2/24 \
	"$(ip -n ms-a -o -4 addr show dev eth0 | awk '{ print $4 }')"
assert_eq "pod a default route" "default via 10.200.1.1 dev eth0" \
	"$(ip -n ms-a route show default | awk '{ print $1, $2, $3, $4, $5 }')"
assert_eq "node ip_forward" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
assert_eq "pod a routes to pod b via the node" "via 10.200.1.1" \
	"$(ip -n ms-a route get 10.200.2.2 | grep -o 'via [0-9.]*')"

echo "pod_spawn: httpd runs in pod b's cgroup and netns"
assert_eq "httpd cgroup" "0::$(pod_cg_rel b)" "$(grep '^0::' "/proc/$httpd_pid/cgroup")"
assert_eq "httpd netns" ms-b "$(ip netns identify "$httpd_pid")"
assert_true "httpd pid listed in pod b's cgroup.procs" grep -qx "$httpd_pid" "$(pod_cg b)/cgroup.procs"

echo "pod_exec: curl from pod a, checked from inside and outside while it runs"
# The shell prints its own cgroup, then becomes curl (same pid).
out=$(pod_exec a bash -c 'grep "^0::" /proc/$$/cgroup; exec curl -sS -w " %{http_code}" '"$url/")
assert_eq "curl's cgroup and answer" "0::$(pod_cg_rel a) ok 200" "$(paste -sd' ' <<<"$out")"
curl_pid=$(pod_spawn a "$MS_STATE_DIR/curl.log" curl -sS -o /dev/null -w '%{http_code}' "$url/delay/1500")
sleep 0.3
assert_eq "running curl's comm" curl "$(cat "/proc/$curl_pid/comm" 2>/dev/null)"
assert_eq "running curl's cgroup" "0::$(pod_cg_rel a)" "$(grep '^0::' "/proc/$curl_pid/cgroup" 2>/dev/null)"
assert_eq "running curl's netns" ms-a "$(ip netns identify "$curl_pid" 2>/dev/null)"
assert_true "curl pid listed in pod a's cgroup.procs" grep -qx "$curl_pid" "$(pod_cg a)/cgroup.procs"
wait_until 5 bash -c "! kill -0 $curl_pid 2>/dev/null"
assert_eq "delayed curl answer" 200 "$(cat "$MS_STATE_DIR/curl.log")"

echo "httpd.py paths, from pod a"
codes() {
	local u
	for u in "$@"; do pod_exec a curl -sS -o /dev/null -w '%{http_code} ' "$u"; done
}
assert_eq "/status/503 /status/404 /bytes/10 /nope" "503 404 200 404 " \
	"$(codes "$url/status/503" "$url/status/404" "$url/bytes/10" "$url/nope")"
assert_eq "/bytes/100000 size" 100000 "$(pod_exec a curl -sS "$url/bytes/100000" | wc -c)"
assert_eq "HEAD /bytes/10" "200 0" "$(pod_exec a curl -sS -I -o /dev/null -w '%{http_code} %{size_download}' "$url/bytes/10")"
assert_eq "POST /status/201" 201 "$(pod_exec a curl -sS -o /dev/null -d @/etc/os-release -w '%{http_code}' "$url/status/201")"
ka=$(pod_exec a curl -sS -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}' \
	"$url/delay/10" "$url/status/503" "$url/")
assert_eq "curl keep-alive: connects per URL" 100 "$ka"
start_ms=$(date +%s%3N)
pod_exec a curl -sS -o /dev/null "$url/delay/200"
took=$(($(date +%s%3N) - start_ms))
assert_true "/delay/200 took >= 200 ms ($took)" test "$took" -ge 200

echo "client.py traffic shapes, from pod a"
cl() { pod_exec a "${client[@]}" "$@" 2>"$MS_STATE_DIR/client.err"; }
assert_eq "pipeline 3" "200 200 200" "$(cl pipeline 10.200.2.2 8080 3 /)"
assert_eq "keepalive 3" "503 503 503" "$(cl keepalive 10.200.2.2 8080 3 /status/503)"
assert_eq "split" 200 "$(cl split 10.200.2.2 8080 /delay/1)"
assert_eq "garbage" "" "$(cl garbage 10.200.2.2 8080)"
assert_eq "halfopen" "" "$(cl halfopen 10.200.2.2 8080 0.2)"
assert_eq "reset" "" "$(cl reset 10.200.2.2 8080 /delay/500)"
assert_true "httpd survived all of it" ms_alive "$httpd_pid"
assert_eq "keepalive 1 afterwards" 200 "$(cl keepalive 10.200.2.2 8080 1 /)"

echo "cleanup_all leaves the node clean"
cg_root=$MS_CG_ROOT
export -f ms_alive
cleanup_all
assert_true "netns gone" bash -c '! ip netns list | grep -qE "^ms-(a|b)( |$)"'
assert_true "veths gone" bash -c '! ip link show msv-a 2>/dev/null && ! ip link show msv-b 2>/dev/null'
assert_true "cgroups gone" test ! -d "$cg_root"
assert_true "httpd gone" bash -c "! ms_alive $httpd_pid"

ms_finish

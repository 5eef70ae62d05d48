# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end test library: builds a node-shaped topology out of network
# namespaces, veth pairs and cgroups, runs the agent on it and asserts on what
# the agent reports. Sourced by tests/e2e/test_*.sh and tools/{demo,bench}.sh.
#
# The root network namespace plays the node. Each "pod" NAME with INDEX i is
#   netns ms-NAME, veth msv-NAME (node side, 10.200.i.1/24) <-> eth0 (pod side,
#   10.200.i.2/24, default route via 10.200.i.1), and cgroup $MS_CG_ROOT/NAME.
# Pods reach each other through the node's routing table (ip_forward=1).
#
# A process joins a pod by first moving into the pod's cgroup and only then
# entering its netns: `ip netns exec` remounts /sys in a private mount
# namespace, after which the cgroup2 mount path we know no longer applies.
#
# Everything created is recorded under $MS_STATE_DIR so that cleanup_all,
# installed as the EXIT trap when this file is sourced, can undo it even when
# it was created inside a command substitution or the test died half-way.
#
# Knobs (environment):
#   MS_CG_ROOT     cgroup subtree the agent watches
#                  (default /sys/fs/cgroup/unified/meshsight-e2e-$$)
#   MS_PORT        agent listen port on 127.0.0.1 (default 9464)
#   MESHSIGHT_BIN  agent binary (default <repo>/build/meshsight)
#   MS_PYTHON      python interpreter for httpd.py/client.py (default python3)
#   CI             "true" turns every SKIP into a FAIL
#   MS_LOCK_WAIT   seconds to wait for another e2e run on this machine (900)
#
# Only one user of this library runs at a time on a machine (the netns names
# and the agent port are fixed): sourcing it takes an exclusive flock on
# $MS_LOCK_FILE, held until the script exits. run.sh takes it once for the
# whole run and sets MS_E2E_LOCKED=1 for its tests.

MS_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MS_REPO=$(cd "$MS_E2E_DIR/../.." && pwd)
MS_CG_ROOT=${MS_CG_ROOT:-/sys/fs/cgroup/unified/meshsight-e2e-$$}
MS_PORT=${MS_PORT:-9464}
MESHSIGHT_BIN=${MESHSIGHT_BIN:-$MS_REPO/build/meshsight}
MS_PYTHON=${MS_PYTHON:-python3}
MS_CG_MOUNT=$(findmnt -n -o TARGET --target "$(dirname "$MS_CG_ROOT")" 2>/dev/null)
MS_AGENT_URL="http://127.0.0.1:$MS_PORT"
MS_AGENT_PID=
MS_AGENT_LOG=
MS_FAILURES=0
MS_STATE_DIR=
MS_LOCK_FD=
MS_LOCK_FILE=${MS_LOCK_FILE:-/run/lock/meshsight-e2e.lock}
[ -d "$(dirname "$MS_LOCK_FILE")" ] || MS_LOCK_FILE=/tmp/meshsight-e2e.lock

# ---------------------------------------------------------------- messages

ms_log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# Fatal error inside the library or a test: message, then exit 1 (the EXIT
# trap cleans up).
ms_die() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Prints a loud SKIP and exits 77, or a FAIL and exit 1 under CI=true, where a
# test that cannot run must not look green.
ms_skip() {
	local bar='########################################################################'
	if [ "${CI:-}" = true ]; then
		printf '%s\nFAIL: %s (CI=true forbids skipping)\n%s\n' "$bar" "$*" "$bar" >&2
		exit 1
	fi
	printf '%s\nSKIP: %s\n%s\n' "$bar" "$*" "$bar" >&2
	exit 77
}

require_root_kernel() {
	local parent
	parent=$(dirname "$MS_CG_ROOT")
	[ "$(id -u)" -eq 0 ] || ms_skip "not root (the e2e tests create netns, veths, cgroups and load eBPF)"
	[ -r /sys/kernel/btf/vmlinux ] ||
		ms_skip "no /sys/kernel/btf/vmlinux: kernel built without CONFIG_DEBUG_INFO_BTF, CO-RE cannot load"
	[ "$(stat -fc %T "$parent" 2>/dev/null)" = cgroup2fs ] ||
		ms_skip "no cgroup2 at $parent: mount cgroup2 there or set MS_CG_ROOT under a cgroup2 mount"
}

# require_cmds CMD...: skip (or fail under CI) when a tool is missing.
require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || ms_skip "'$c' not installed (apt-get install it)"
	done
}

# ---------------------------------------------------------------- locking

# ms_lock: waits for and takes the machine-wide e2e lock on a new fd.
ms_lock() {
	[ "${MS_E2E_LOCKED:-}" = 1 ] && return 0
	# Not openable (not root, say): go unlocked; require_root_kernel decides.
	{ exec {MS_LOCK_FD}>>"$MS_LOCK_FILE"; } 2>/dev/null || { MS_LOCK_FD= && return 0; }
	if ! flock -n "$MS_LOCK_FD"; then
		ms_log "waiting for another e2e run on this machine (lock $MS_LOCK_FILE)"
		flock -w "${MS_LOCK_WAIT:-900}" "$MS_LOCK_FD" ||
			ms_die "another e2e run held $MS_LOCK_FILE for ${MS_LOCK_WAIT:-900}s; is one stuck?"
	fi
}

# ms_close_lock: in a child about to exec, so that the lock dies with us and
# not with the last of our children.
ms_close_lock() {
	if [ -n "$MS_LOCK_FD" ]; then exec {MS_LOCK_FD}>&-; fi
}

# ---------------------------------------------------------------- state

ms_state_init() {
	[ -n "$MS_STATE_DIR" ] && return 0
	MS_STATE_DIR=$(mktemp -d /tmp/meshsight-e2e.XXXXXX)
	: >"$MS_STATE_DIR/pods"
	: >"$MS_STATE_DIR/pids"
	# Where leftover processes go before their pod cgroup is removed.
	MS_HOME_CG=$(sed -n 's/^0:://p' /proc/self/cgroup)
}

ms_record() { printf '%s\n' "$2" >>"$MS_STATE_DIR/$1"; }

# Start time of a process (clock ticks since boot), to recognise it later
# even if its pid has been reused by then.
ms_pid_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# ms_record_pid PID: remember a process for cleanup_all.
ms_record_pid() { ms_record pids "$1 $(ms_pid_start "$1")"; }

# ---------------------------------------------------------------- pods

pod_cg() { printf '%s/%s\n' "$MS_CG_ROOT" "$1"; }

# pod_cg_rel NAME: the pod's cgroup relative to the cgroup2 mount, as the
# agent reports it and as `cgroup:` identity rules name it.
pod_cg_rel() { printf '%s\n' "${MS_CG_ROOT#"$MS_CG_MOUNT"}/$1"; }

ms_netns_exists() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF "$1"; }

# pod_create NAME INDEX
pod_create() {
	local name=$1 idx=$2 ns="ms-$1" veth="msv-$1"

	[ ${#veth} -le 15 ] || ms_die "pod name '$name' too long: '$veth' exceeds the 15-byte interface name limit"
	if ! [[ $idx =~ ^[0-9]+$ ]] || [ "$idx" -lt 1 ] || [ "$idx" -gt 254 ]; then
		ms_die "pod index '$idx' must be 1..254"
	fi
	ms_state_init
	if ms_netns_exists "$ns"; then
		ms_die "netns $ns already exists (left by a killed run?): remove it with 'ip netns del $ns'"
	fi
	if ip link show "$veth" >/dev/null 2>&1; then
		ms_die "interface $veth already exists (left by a killed run?): 'ip link del $veth'"
	fi

	if [ ! -f "$MS_STATE_DIR/ip_forward" ]; then
		cat /proc/sys/net/ipv4/ip_forward >"$MS_STATE_DIR/ip_forward"
		sysctl -qw net.ipv4.ip_forward=1 || ms_die "cannot enable net.ipv4.ip_forward"
	fi

	# Record first: a half-built pod must still be torn down.
	ms_record pods "$name"
	mkdir -p "$(pod_cg "$name")" || ms_die "cannot create cgroup $(pod_cg "$name")"
	ip netns add "$ns" || ms_die "cannot create netns $ns"
	ip link add "$veth" type veth peer name eth0 netns "$ns" || ms_die "cannot create veth $veth"
	ip addr add "10.200.$idx.1/24" dev "$veth"
	ip link set "$veth" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "10.200.$idx.2/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "10.200.$idx.1" ||
		ms_die "cannot set the default route of $ns"
}

# pod_exec NAME CMD...: runs CMD in the pod (cgroup first, then netns), in the
# foreground, and returns its exit status.
pod_exec() {
	local cg
	cg=$(pod_cg "$1")
	local ns="ms-$1"
	shift
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		ms_close_lock
		exec ip netns exec "$ns" "$@"
	)
}

# pod_spawn NAME LOGFILE CMD...: same in the background; prints the pid.
# `ip netns exec` execs CMD without forking, so the pid is CMD's own.
pod_spawn() {
	local pod=$1
	shift
	cg_spawn "$(pod_cg "$pod")" "$pod" "$@"
}

# cg_spawn CGROUP_DIR POD LOGFILE CMD...: like pod_spawn, but in any cgroup
# (e.g. a node proxy's, outside the watched subtree) within the pod's netns.
cg_spawn() {
	local cg=$1 ns="ms-$2" log=$3
	shift 3
	(
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 125
		ms_close_lock
		exec ip netns exec "$ns" "$@"
	) >"$log" 2>&1 </dev/null &
	ms_record_pid "$!"
	echo "$!"
}

# ---------------------------------------------------------------- waiting

# wait_until TIMEOUT_S CMD...: polls CMD every 100 ms; status 1 on timeout.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# wait_http URL [TIMEOUT_S=10]: polls until URL answers anything HTTP.
wait_http() {
	wait_until "${2:-10}" curl -s -o /dev/null -m 1 "$1" ||
		{ ms_log "no HTTP answer from $1 within ${2:-10}s"; return 1; }
}

ms_listening() { ip netns exec "ms-$1" ss -Hltn "sport = :$2" | grep -q .; }

# wait_listen POD PORT [TIMEOUT_S=10]: waits for a listening TCP socket in the
# pod without connecting to it, so the readiness check is no traffic the
# agent could count.
wait_listen() {
	wait_until "${3:-10}" ms_listening "$1" "$2" ||
		{ ms_log "nothing listens on port $2 in pod $1 after ${3:-10}s"; return 1; }
}

# ---------------------------------------------------------------- agent

ms_alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

ms_agent_dump_log() {
	[ -n "$MS_AGENT_LOG" ] && [ -s "$MS_AGENT_LOG" ] || return 0
	echo "----- agent log ($MS_AGENT_LOG) -----" >&2
	tail -n 100 "$MS_AGENT_LOG" >&2
	echo "----- end of agent log -----" >&2
}

ms_agent_healthy() { [ "$(curl -s -m 1 "$MS_AGENT_URL/healthz" 2>/dev/null)" = ok ]; }

# agent_start [EXTRA FLAGS...]: starts the agent on $MS_CG_ROOT in the
# background (in the caller's own cgroup and netns, i.e. on the node) and
# waits for /healthz.
agent_start() {
	local deadline
	ms_state_init
	[ -x "$MESHSIGHT_BIN" ] || ms_die "agent binary $MESHSIGHT_BIN missing: run make (or set MESHSIGHT_BIN)"
	[ -d "$MS_CG_ROOT" ] || mkdir -p "$MS_CG_ROOT" || ms_die "cannot create cgroup $MS_CG_ROOT"
	if curl -s -o /dev/null -m 1 "$MS_AGENT_URL/healthz"; then
		ms_die "something already answers on 127.0.0.1:$MS_PORT: stop it or set MS_PORT"
	fi
	MS_AGENT_LOG="$MS_STATE_DIR/agent.log"
	(
		ms_close_lock
		# MS_AGENT_CGROUP: run the agent inside a watched cgroup, as in a
		# DaemonSet watching the whole node, where it sees its own sockets.
		if [ -n "${MS_AGENT_CGROUP:-}" ]; then
			mkdir -p "$MS_AGENT_CGROUP" && echo "$BASHPID" >"$MS_AGENT_CGROUP/cgroup.procs" ||
				exit 97
		fi
		exec "$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" --listen "127.0.0.1:$MS_PORT" "$@"
	) >>"$MS_AGENT_LOG" 2>&1 </dev/null &
	MS_AGENT_PID=$!
	ms_record_pid "$MS_AGENT_PID"
	deadline=$((SECONDS + 15))
	until ms_agent_healthy; do
		if ! ms_alive "$MS_AGENT_PID"; then
			wait "$MS_AGENT_PID"
			local rc=$?
			MS_AGENT_PID=
			ms_agent_dump_log
			ms_die "agent exited with status $rc before answering /healthz"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			ms_agent_dump_log
			ms_die "agent (pid $MS_AGENT_PID) did not answer $MS_AGENT_URL/healthz within 15s"
		fi
		sleep 0.1
	done
	ms_log "agent up (pid $MS_AGENT_PID) on $MS_AGENT_URL watching $MS_CG_ROOT"
}

# agent_stop: SIGTERM; the agent must exit 0 within 5 s. Records a failure
# (and SIGKILLs it) otherwise.
agent_stop() {
	local pid=$MS_AGENT_PID i rc
	[ -n "$pid" ] || return 0
	MS_AGENT_PID=
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		ms_alive "$pid" || break
		sleep 0.1
	done
	if ms_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		ms_agent_dump_log
		ms_fail "agent still running 5s after SIGTERM (killed)"
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ms_agent_dump_log
		ms_fail "agent exited with status $rc after SIGTERM, expected 0"
		return 1
	fi
	ms_pass "agent exited 0 on SIGTERM"
}

# ---------------------------------------------------------------- queries

ms_get() { curl -fsS -m 5 "$MS_AGENT_URL$1"; }
edges_json() { ms_get /api/v1/edges; }
stats_json() { ms_get /api/v1/stats; }

# jq filter selecting the edges with a given key; used by edge_get/edge_count.
# shellcheck disable=SC2016 # $s, $d... are jq variables
MS_EDGE_SELECT='[.edges[] | select(.source.address == $s and .destination.address == $d
	and .destination.port == ($p | tonumber) and .protocol == $proto)]'

# edge_get SRC_IP DST_IP PORT PROTO: that edge's JSON, or "null".
edge_get() {
	edges_json | jq -c --arg s "$1" --arg d "$2" --arg p "$3" --arg proto "$4" \
		"$MS_EDGE_SELECT | .[0] // null"
}

# edge_count SRC_IP DST_IP PORT PROTO: how many edges carry that key (must be 1).
edge_count() {
	edges_json | jq --arg s "$1" --arg d "$2" --arg p "$3" --arg proto "$4" \
		"$MS_EDGE_SELECT | length"
}

# edge_field SRC DST PORT PROTO JQ_PATH: one value of the edge, e.g.
# edge_field 10.200.1.2 10.200.2.2 8080 http .requests ("null" if absent).
edge_field() {
	local e
	e=$(edge_get "$1" "$2" "$3" "$4") || return 1
	jq -c "$5" <<<"$e"
}

# wait_edge_field SRC DST PORT PROTO JQ_PATH EXPECTED [TIMEOUT_S=5]: polls until
# the field equals EXPECTED; prints the last value seen either way.
wait_edge_field() {
	local deadline=$((SECONDS + ${7:-5})) v
	while :; do
		v=$(edge_field "$1" "$2" "$3" "$4" "$5" 2>/dev/null)
		[ "$v" = "$6" ] && break
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.1
	done
	printf '%s\n' "$v"
}

# ---------------------------------------------------------------- assertions
#
# Assertions print "ok"/"FAIL" and keep going so that one run shows every
# mismatch; ms_finish turns recorded failures into the exit status.

ms_pass() { printf '  ok    %s\n' "$*"; }
ms_fail() {
	printf '  FAIL  %s\n' "$*"
	MS_FAILURES=$((MS_FAILURES + 1))
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		ms_pass "$1 == $2"
	else
		ms_fail "$1: expected '$2', got '$3'"
	fi
}

# assert_within_pct WHAT EXPECTED ACTUAL PCT: |ACTUAL - EXPECTED| <= PCT% of EXPECTED.
assert_within_pct() {
	if awk -v e="$2" -v a="$3" -v p="$4" 'BEGIN {
		if (a !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) exit 1
		d = a - e; if (d < 0) d = -d; m = e * p / 100; if (m < 0) m = -m
		exit !(d <= m) }'; then
		ms_pass "$1 = $3 (within $4% of $2)"
	else
		ms_fail "$1: expected $2 +/- $4%, got '$3'"
	fi
}

# assert_gt WHAT LIMIT ACTUAL: ACTUAL > LIMIT (numbers).
assert_gt() {
	if awk -v l="$2" -v a="$3" 'BEGIN { exit !(a ~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ && a + 0 > l + 0) }'; then
		ms_pass "$1 = $3 (> $2)"
	else
		ms_fail "$1: expected > $2, got '$3'"
	fi
}

# assert_true WHAT CMD...: CMD must succeed.
assert_true() {
	local what=$1
	shift
	if "$@" >/dev/null; then ms_pass "$what"; else ms_fail "$what"; fi
}

# ---------------------------------------------------------------- Kubernetes
#
# The test API server (tests/k8s/fake_apiserver.py: real list/watch JSON
# over TLS with a bearer token), reached by the agent through a kubeconfig as
# it would reach a real cluster.

# k8s_fake_start: starts it; sets MS_K8S_API and writes $MS_STATE_DIR/kubeconfig.
k8s_fake_start() {
	local token="e2e-$RANDOM$RANDOM" port
	ms_state_init
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kube-apiserver \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$MS_STATE_DIR/api.key" \
		-out "$MS_STATE_DIR/api.crt" >/dev/null 2>&1 || ms_die "openssl failed"
	"$MS_PYTHON" "$MS_REPO/tests/k8s/fake_apiserver.py" --port 0 --token "$token" \
		--tls-cert "$MS_STATE_DIR/api.crt" --tls-key "$MS_STATE_DIR/api.key" \
		>"$MS_STATE_DIR/api.out" 2>"$MS_STATE_DIR/api.log" &
	ms_record_pid $!
	wait_until 10 grep -q 'listening on' "$MS_STATE_DIR/api.out" ||
		ms_die "fake API server did not start"
	port=$(awk '/listening on/ { print $3 }' "$MS_STATE_DIR/api.out")
	MS_K8S_API="https://127.0.0.1:$port"
	cat >"$MS_STATE_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: e2e
clusters:
- name: e2e
  cluster:
    server: $MS_K8S_API
    certificate-authority-data: $(base64 -w0 "$MS_STATE_DIR/api.crt")
users:
- name: agent
  user:
    token: $token
contexts:
- name: e2e
  context: {cluster: e2e, user: agent}
EOF
}

# k8s_control OP [JSON]: one call to the test server's control API.
k8s_control() {
	curl -fsS -m 5 --cacert "$MS_STATE_DIR/api.crt" -X POST -d "${2:-{\}}" \
		"$MS_K8S_API/_control/$1" >/dev/null || ms_die "control $1 failed"
}
k8s_apply() { k8s_control apply "{\"object\": $1}"; }

# k8s_pod NAME IP OWNER_KIND OWNER_NAME [LABELS_JSON]: a running Pod on node-a,
# namespace shop, uid NAME-uid.
k8s_pod() {
	jq -nc --arg n "$1" --arg ip "$2" --arg ok "$3" --arg on "$4" --argjson l "${5:-{\}}" '{
	  apiVersion: "v1", kind: "Pod",
	  metadata: {name: $n, namespace: "shop", uid: ($n + "-uid"), labels: $l,
	    creationTimestamp: "2026-11-22T10:00:00Z",
	    ownerReferences: [{apiVersion: "apps/v1", kind: $ok, name: $on, uid: ($on + "-uid"),
	      controller: true, blockOwnerDeletion: true}]},
	  spec: {nodeName: "node-a", containers: [{name: "app", image: "example/app:1.0",
	    ports: [{containerPort: 8080, protocol: "TCP"}]}]},
	  status: {phase: "Running", hostIP: "192.168.0.10", podIP: $ip, podIPs: [{ip: $ip}],
	    startTime: "2026-11-22T10:00:01Z"}}'
}

# k8s_service NAME CLUSTER_IP PORT BACKEND_IP BACKEND_POD: a ClusterIP Service
# in namespace shop and its EndpointSlice with one ready backend.
k8s_service() {
	k8s_apply "$(jq -nc --arg n "$1" --arg ip "$2" --argjson port "$3" '{
	  apiVersion: "v1", kind: "Service",
	  metadata: {name: $n, namespace: "shop", uid: ("svc-" + $n + "-uid")},
	  spec: {type: "ClusterIP", clusterIP: $ip, clusterIPs: [$ip], selector: {app: $n},
	    ports: [{name: "http", port: $port, targetPort: $port, protocol: "TCP"}]}}')"
	k8s_apply "$(jq -nc --arg n "$1" --argjson port "$3" --arg be "$4" --arg pod "$5" '{
	  apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", addressType: "IPv4",
	  metadata: {name: ($n + "-abcde"), namespace: "shop", uid: ("eps-" + $n + "-uid"),
	    labels: {"kubernetes.io/service-name": $n}},
	  endpoints: [{addresses: [$be], conditions: {ready: true}, nodeName: "node-a",
	    targetRef: {kind: "Pod", namespace: "shop", name: $pod, uid: ($pod + "-uid")}}],
	  ports: [{name: "http", port: $port, protocol: "TCP"}]}')"
}

# k8s_dnat CLUSTER_IP PORT BACKEND_IP: kube-proxy's rewrite of a ClusterIP,
# as a node-wide nftables DNAT (removed at exit by the EXIT trap it installs).
k8s_dnat() {
	MS_NFT_TABLE=${MS_NFT_TABLE:-meshsight_e2e_$$}
	trap 'nft delete table ip "$MS_NFT_TABLE" 2>/dev/null; cleanup_all' EXIT
	nft -f - <<EOF || ms_die "cannot add the DNAT table"
table ip $MS_NFT_TABLE {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		ip daddr $1 tcp dport $2 dnat to $3:$2
	}
}
EOF
}

# k8s_synced: the agent has listed pods, Services and EndpointSlices.
k8s_synced() {
	[ "$(stats_json | jq '[.kubernetes.pods.synced, .kubernetes.services.synced,
		.kubernetes.endpointslices.synced] | all')" = true ]
}

# ---------------------------------------------------------------- OTLP
#
# The OTLP/HTTP test receiver (tests/otlp/receiver.mjs, a real decoder).

MS_OTLP_DIR="$MS_REPO/tests/otlp"
MS_RECV_PORT=${MS_RECV_PORT:-14318}

# otlp_deps: the receiver's npm packages, installed once; a skip when npm cannot.
otlp_deps() {
	require_cmds node npm
	[ -d "$MS_OTLP_DIR/node_modules/@opentelemetry/otlp-transformer" ] && return 0
	npm ci --prefix "$MS_OTLP_DIR" --no-audit --no-fund >/dev/null 2>&1 ||
		ms_skip "npm ci in tests/otlp failed (npm registry unreachable?)"
}

# otlp_receiver_start [ARGS...]: a receiver on 127.0.0.1:$MS_RECV_PORT; sets RECV.
otlp_receiver_start() {
	ms_state_init
	otlp_deps
	node "$MS_OTLP_DIR/receiver.mjs" --port "$MS_RECV_PORT" --quiet "$@" \
		>"$MS_STATE_DIR/recv.out" 2>"$MS_STATE_DIR/recv.log" &
	ms_record_pid $!
	RECV="http://127.0.0.1:$MS_RECV_PORT"
	wait_http "$RECV/healthz" 10 || ms_die "OTLP receiver did not start: $(cat "$MS_STATE_DIR/recv.log")"
}

# ---------------------------------------------------------------- Prometheus
#
# A real Prometheus (the Debian package's binary) scraping the agent every
# second, and promtool on a scrape, for the tests of /metrics.

MS_PROM_PORT=${MS_PROM_PORT:-19090}

# prometheus_start: scrapes the agent; its data and log go under $MS_STATE_DIR.
prometheus_start() {
	ms_state_init
	cat >"$MS_STATE_DIR/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: meshsight
    static_configs:
      - targets: ["127.0.0.1:$MS_PORT"]
CFG
	prometheus --config.file="$MS_STATE_DIR/prometheus.yml" \
		--storage.tsdb.path="$MS_STATE_DIR/tsdb" \
		--web.listen-address="127.0.0.1:$MS_PROM_PORT" >"$MS_STATE_DIR/prometheus.log" 2>&1 &
	ms_record_pid $!
}

# promql QUERY: the result vector as JSON, or "[]".
promql() {
	curl -fsS -m 5 "http://127.0.0.1:$MS_PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -c '.data.result // []'
}

# promval QUERY: the first sample's value, or "none".
promval() { promql "$1" 2>/dev/null | jq -r '.[0].value[1] // "none"'; }

# wait_promval QUERY EXPECTED: polls for up to 30 s, then asserts.
wait_promval() {
	local q=$1 want=$2 got deadline=$((SECONDS + 30))
	while :; do
		got=$(promval "$q")
		[ "$got" = "$want" ] || [ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.5
	done
	assert_eq "PromQL $q" "$want" "$got"
}

# assert_promtool_clean WHAT FILE: promtool check metrics reports nothing but
# the one lint Istio's own metric name always trips (milliseconds, not the
# base unit); Kiali needs that name as it is.
assert_promtool_clean() {
	local out rc
	local lint='istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"'
	out=$(promtool check metrics <"$2" 2>&1)
	rc=$?
	if [ "$rc" -eq 3 ] && [ "$out" = "$lint" ]; then
		ms_pass "$1"
	else
		ms_fail "$1: promtool check metrics (status $rc): $out"
	fi
}

# ms_finish: exit status of the test from the recorded assertions.
ms_finish() {
	if [ "$MS_FAILURES" -gt 0 ]; then
		ms_agent_dump_log
		echo "$MS_FAILURES assertion(s) failed" >&2
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------- cleanup

# ms_kill_pids PID...: SIGTERM, up to 2 s grace, then SIGKILL.
ms_kill_pids() {
	local p i alive
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		alive=0
		for p in "$@"; do ms_alive "$p" && alive=1; done
		[ "$alive" -eq 0 ] && return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
}

ms_cleanup_pod() {
	local name=$1 cg i p
	cg=$(pod_cg "$name")
	if [ -d "$cg" ]; then
		[ -e "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
		for ((i = 0; i < 30; i++)); do
			[ -s "$cg/cgroup.procs" ] || break
			sleep 0.1
		done
		# Anything still there (unkillable, or no cgroup.kill) moves out so
		# that the directory can go.
		while read -r p; do
			echo "$p" >"$MS_CG_MOUNT${MS_HOME_CG%/}/cgroup.procs" 2>/dev/null ||
				echo "$p" >"$(dirname "$MS_CG_ROOT")/cgroup.procs" 2>/dev/null
			kill -KILL "$p" 2>/dev/null
		done <"$cg/cgroup.procs"
	fi
	# Processes that entered the netns some other way.
	if ms_netns_exists "ms-$name"; then
		for p in $(ip netns pids "ms-$name" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "ms-$name" 2>/dev/null
	fi
	ip link show "msv-$name" >/dev/null 2>&1 && ip link del "msv-$name" 2>/dev/null
	[ -d "$cg" ] && ! rmdir "$cg" 2>/dev/null && sleep 0.2 && rmdir "$cg" 2>/dev/null
	[ -d "$cg" ] && echo "cleanup: could not remove cgroup $cg" >&2
	return 0
}

# cleanup_all: kills everything started, removes pods, cgroups and state; safe
# to call more than once and after any failure. Installed as the EXIT trap.
cleanup_all() {
	local rc=$? pids=() pid start name
	set +e
	[ -n "$MS_STATE_DIR" ] && [ -d "$MS_STATE_DIR" ] || return "$rc"
	if [ -n "$MS_AGENT_PID" ] && ms_alive "$MS_AGENT_PID"; then
		[ "$rc" -ne 0 ] && ms_agent_dump_log
	fi
	while read -r pid start; do
		[ -n "$pid" ] && [ "$(ms_pid_start "$pid")" = "$start" ] && pids+=("$pid")
	done <"$MS_STATE_DIR/pids"
	ms_kill_pids "${pids[@]}"
	MS_AGENT_PID=
	while read -r name; do
		[ -n "$name" ] && ms_cleanup_pod "$name"
	done <"$MS_STATE_DIR/pods"
	: >"$MS_STATE_DIR/pods"
	: >"$MS_STATE_DIR/pids"
	if [ -d "$MS_CG_ROOT" ]; then
		# Depth-first: cgroups made by the test below the pods too.
		find "$MS_CG_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$MS_CG_ROOT" ] && echo "cleanup: could not remove cgroup $MS_CG_ROOT" >&2
	fi
	if [ -f "$MS_STATE_DIR/ip_forward" ]; then
		# Put the node back as found unless other e2e pods still need it.
		if ! ip link show 2>/dev/null | grep -q ' msv-'; then
			sysctl -qw "net.ipv4.ip_forward=$(cat "$MS_STATE_DIR/ip_forward")"
		fi
	fi
	rm -rf "$MS_STATE_DIR"
	MS_STATE_DIR=
	return "$rc"
}

trap cleanup_all EXIT
ms_lock
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

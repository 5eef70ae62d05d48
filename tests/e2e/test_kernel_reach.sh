#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Kernel reach, as an operator meets it: `meshsight --check` prints every
# kernel feature with its kernel and status and attaches nothing; a missing
# required feature stops the agent with one line naming it, its kernel and
# what to do; a missing optional one (sockops' current-task helpers) leaves
# the agent running, with each socket's cgroup, and the process named from it.
# Features are made "missing" with the probes' test hook
# (MESHSIGHT_PROBE_PRETEND_MISSING), since this kernel has them all.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
ms_state_init
mkdir -p "$MS_CG_ROOT"

C=10.200.1.2
S=10.200.2.2
P=8080

attached_anywhere() { bpftool cgroup tree 2>/dev/null | grep -c 'ms_sockops\|ms_skb_'; }

echo "--check: the table, exit 0, nothing attached"
before=$(attached_anywhere)
out=$("$MESHSIGHT_BIN" --check 2>&1)
rc=$?
assert_eq "--check exit status" 0 "$rc"
for row in "kernel BTF" "cgroup v2 filesystem" "program type sock_ops" "program type cgroup_skb" \
	"map type ringbuf" "map type sk_storage" "BPF links on cgroups" \
	"helper sk_storage_get in sock_ops" "helper skb_cgroup_id in cgroup_skb" "own pid and cgroup"; do
	assert_true "--check row '$row' is ok" grep -qE "^$row .* ok$" <<<"$out"
done
assert_true "--check: no lockdown-restricted helper" \
	grep -qE '^lockdown-restricted helpers in the programs +none +- +none$' <<<"$out"
assert_true "--check: the programs pass the verifier" \
	grep -qE "^meshsight's programs pass the verifier .* ok$" <<<"$out"
assert_true "--check: states the oldest kernel" grep -qF "oldest supported kernel 5.10" <<<"$out"
assert_eq "--check attached nothing" "$before" "$(attached_anywhere)"

echo "a missing required feature: one line, exit 1, nothing attached"
err=$(MESHSIGHT_PROBE_PRETEND_MISSING="map type ringbuf" timeout 10 "$MESHSIGHT_BIN" \
	--cgroup "$MS_CG_ROOT" --listen "127.0.0.1:$MS_PORT" 2>&1 >/dev/null)
rc=$?
assert_eq "exit status without a ring buffer" 1 "$rc"
assert_eq "one line on stderr" 1 "$(grep -c . <<<"$err")"
assert_true "it names the feature, its kernel, the fix and --check: $err" \
	grep -qE "lacks map type ringbuf \(in Linux 5\.8 and later\): run a newer kernel .*--check" \
	<<<"$err"
assert_eq "nothing attached after the refusal" "" "$(bpftool -j cgroup show "$MS_CG_ROOT")"
out=$(MESHSIGHT_PROBE_PRETEND_MISSING="helper sk_storage_get in sock_ops" "$MESHSIGHT_BIN" --check)
assert_eq "--check exit status without a required helper" 1 "$?"
assert_true "--check names the missing helper" \
	grep -qE "^helper sk_storage_get in sock_ops .* MISSING$" <<<"$out"

echo "an optional feature missing: sockops without the current-task helpers"
pod_create client 1
pod_create server 2
# The server listens before the agent starts: its listen(2) is never seen, so
# its cgroup can only come from the SYNs that reach it afterwards.
pod_spawn server "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
wait_listen server "$P" || ms_die "httpd did not start: $(cat "$MS_STATE_DIR/httpd.log")"
# shellcheck disable=SC2119 # no extra agent flags
MESHSIGHT_PROBE_PRETEND_MISSING="get_current_comm" agent_start
assert_true "agent says where process names come from" \
	grep -qF "process names come from each socket's cgroup" "$MS_AGENT_LOG"
pod_exec client curl -sS --max-time 10 -o /dev/null "http://$S:$P/ok" || ms_fail "curl failed"
assert_eq "the request is counted" 1 "$(wait_edge_field "$C" "$S" "$P" http .requests 1 10)"
edge=$(edge_get "$C" "$S" "$P" http)
assert_eq "client socket's cgroup (from its SYN)" "\"$(pod_cg_rel client)\"" \
	"$(jq -c .source.cgroup <<<"$edge")"
assert_eq "server socket's cgroup (from its listener, which predates the agent)" "\"$(pod_cg_rel server)\"" \
	"$(jq -c .destination.cgroup <<<"$edge")"
assert_eq "server process named from its cgroup" '"python3"' \
	"$(jq -c .destination.process <<<"$edge")"
agent_stop

ms_finish

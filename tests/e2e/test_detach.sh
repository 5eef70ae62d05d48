#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# SIGTERM and SIGINT detach everything: no cgroup attachment, TC filter or
# qdisc is left behind, and the agent's BPF programs are unloaded. Also checks
# a SIGKILLed agent leaves no attachment (links die with the process).

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds bpftool tc ip curl jq "$MS_PYTHON"

pod_create dta 1
pod_create dtb 2

# bpftool prints nothing at all (not "[]") when nothing is attached.
attached() {
	local n
	n=$(bpftool -j cgroup show "$MS_CG_ROOT" 2>/dev/null | jq 'length')
	echo "${n:-0}"
}
our_progs() { bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name | startswith("ms_"))] | length'; }
tc_state() {
	local dev out=""
	for dev in msv-dta msv-dtb; do
		out+="$(tc qdisc show dev "$dev" | grep -v 'noqueue\|pfifo_fast\|fq_codel' || true)"
		out+="$(tc filter show dev "$dev" ingress 2>/dev/null)$(tc filter show dev "$dev" egress 2>/dev/null)"
	done
	printf '%s' "$out"
}

baseline_progs=$(our_progs)
for sig in TERM INT; do
	echo "SIG$sig detaches everything"
	agent_start
	assert_eq "3 attachments to the watched cgroup while running (sockops, skb egress and ingress)" \
		3 "$(attached)"
	assert_eq "2 agent programs loaded (sockops, and one skb program for both hooks)" \
		$((baseline_progs + 2)) "$(our_progs)"
	pid=$MS_AGENT_PID
	MS_AGENT_PID=
	kill -"$sig" "$pid"
	wait_until 5 bash -c "! kill -0 $pid 2>/dev/null" || ms_fail "agent still running after SIG$sig"
	wait "$pid"
	assert_eq "exit status after SIG$sig" 0 "$?"
	assert_eq "no cgroup attachment left" 0 "$(attached)"
	assert_eq "no agent program left loaded" "$baseline_progs" "$(our_progs)"
	assert_eq "no TC qdisc or filter on the pod veths" "" "$(tc_state)"
done

echo "SIGKILL: the kernel drops the links with the process"
agent_start
pid=$MS_AGENT_PID
MS_AGENT_PID=
kill -KILL "$pid"
wait "$pid" 2>/dev/null
wait_until 5 bash -c "[ -z \"\$(bpftool -j cgroup show '$MS_CG_ROOT')\" ]"
assert_eq "no cgroup attachment left after SIGKILL" 0 "$(attached)"

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What an operator sees when the command line or the host is wrong: a clear
# message naming what failed and what to do, a non-zero exit (2 for bad
# usage: a flag, a MESHSIGHT_* or an OTEL_* value), and nothing left attached.
# Also: --help documents every flag the agent accepts, variables set what flags
# do (a flag winning), durations take units, --listen :PORT.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
ms_state_init
mkdir -p "$MS_CG_ROOT"

run=("$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" --listen "127.0.0.1:$MS_PORT")
expect_error() {
	local what=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 10 "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qF -e "$pattern" <<<"$out"; then
		ms_pass "$what: exit $rc, says: $(grep -F -e "$pattern" <<<"$out" | head -1 | cut -c1-150)"
	else
		ms_fail "$what: exit $rc, expected a message matching /$pattern/, got: $out"
	fi
}

# expect_usage WHAT PATTERN CMD...: like expect_error, and the exit status is 2
# with one line of output that names the problem.
expect_usage() {
	local what=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 10 "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -qF -e "$pattern" <<<"$out"; then
		ms_pass "$what: exit 2, says: $(cut -c1-150 <<<"$out")"
	else
		ms_fail "$what: exit $rc, expected exit 2 and one line matching /$pattern/, got: $out"
	fi
}

echo "--help documents every long option"
help=$("$MESHSIGHT_BIN" --help)
for opt in $(sed -n 's/.*{\.name = "\([a-z0-9-]*\)".*/\1/p' "$MS_REPO/user/agent/options.c"); do
	assert_true "--help mentions --$opt" grep -qF -e "--$opt" <<<"$help"
done

echo "bad input gets a clear error"
expect_error "unknown flag" "see --help" "${run[@]}" --bogus
expect_usage "bad number" "--capture-bytes 'lots': expected a whole number" "${run[@]}" --capture-bytes lots
expect_usage "capture too small" "--capture-bytes '10': expected a whole number >= 64" \
	"${run[@]}" --capture-bytes 10
expect_usage "no HTTP parser slots" "--max-http-connections 0 would parse nothing: pass a number >= 1, or --no-http" \
	"${run[@]}" --max-http-connections 0
expect_usage "tunnel cgroup that does not exist" "--mesh-tunnel-cgroup '/nonexistent': no such cgroup" \
	"${run[@]}" --mesh-tunnel-cgroup /nonexistent
expect_usage "tunnel cgroup given as a full path" "is a full path; pass it relative to the cgroup2 mount: '${MS_CG_ROOT#"$MS_CG_MOUNT"}'" \
	"${run[@]}" --mesh-tunnel-cgroup "$MS_CG_ROOT"
expect_usage "tunnel cgroup not starting with /" "expected a path relative to the cgroup2 mount" \
	"${run[@]}" --mesh-tunnel-cgroup relative/x
expect_usage "OTLP endpoint not a URL" "--otlp-endpoint 'notaurl': not an http:// or https:// URL; pass one like http://collector:4318" \
	"${run[@]}" --otlp-endpoint notaurl
expect_usage "OTLP endpoint not http" "--otlp-endpoint 'ftp://x': not an http:// or https:// URL" \
	"${run[@]}" --otlp-endpoint ftp://x
expect_usage "OTLP endpoint without a host, password not shown" "'http://REDACTED@/v1': no host" \
	"${run[@]}" --otlp-endpoint "http://u:Pa55word@/v1"
expect_usage "OTLP endpoint variable not http" "OTEL_EXPORTER_OTLP_ENDPOINT 'ftp://x': not an http://" \
	env OTEL_EXPORTER_OTLP_ENDPOINT=ftp://x "${run[@]}"
expect_usage "bad OTLP protocol" "--otlp-protocol 'grpc': expected http/protobuf or http/json" \
	"${run[@]}" --otlp-protocol grpc
expect_usage "listen host that does not resolve" "--listen 'nohost.invalid:$MS_PORT': cannot resolve 'nohost.invalid'" \
	"$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" --listen "nohost.invalid:$MS_PORT"
expect_error "ring buffer not a power of two" "--ringbuf-mb 3 must be a power of two" \
	"${run[@]}" --ringbuf-mb 3
expect_usage "bad listen address" "invalid --listen 'nonsense'" \
	"$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" --listen nonsense
expect_error "not a cgroup v2 directory" "is not a cgroup v2 directory" \
	"$MESHSIGHT_BIN" --cgroup /tmp --listen "127.0.0.1:$MS_PORT"
printf '10.0.0.1 workload=ok\n10.0.0.300 workload=bad\n' >"$MS_STATE_DIR/ids"
expect_error "broken identities file names file and line" "ids:2:" "${run[@]}" --identities "$MS_STATE_DIR/ids"
expect_error "missing identities file" "No such file" "${run[@]}" --identities "$MS_STATE_DIR/none"
expect_error "endless identities input stops at a limit" "/dev/zero: line 1 holds a NUL byte" \
	"${run[@]}" --identities /dev/zero
truncate -s 17M "$MS_STATE_DIR/huge-ids"
expect_error "identities file over 16 MiB" "more than the 16777216 allowed" \
	"${run[@]}" --identities "$MS_STATE_DIR/huge-ids"

echo "SIGTERM while identities load from an endless stream"
mkfifo "$MS_STATE_DIR/ids-fifo"
"$MS_PYTHON" -c '
import sys, time
with open(sys.argv[1], "w") as f:
    i = 0
    while True:  # 100k rules a second: the 16 MiB limit is 6 s away
        f.write("10.%d.%d.%d workload=w%d\n" % (i >> 16 & 255, i >> 8 & 255, i & 255, i))
        i += 1
        if i % 1000 == 0:
            f.flush()
            time.sleep(0.01)
' "$MS_STATE_DIR/ids-fifo" 2>/dev/null &
ms_record_pid $!
"${run[@]}" --identities "$MS_STATE_DIR/ids-fifo" >"$MS_STATE_DIR/fifo-agent.log" 2>&1 &
fifo_agent=$!
ms_record_pid "$fifo_agent"
sleep 1
t0=$(date +%s%N)
kill -TERM "$fifo_agent"
for ((i = 0; i < 100; i++)); do ms_alive "$fifo_agent" || break; sleep 0.05; done
ms=$((($(date +%s%N) - t0) / 1000000))
ms_alive "$fifo_agent" && kill -KILL "$fifo_agent"
wait "$fifo_agent"
echo "  agent exited $ms ms after SIGTERM: $(tail -1 "$MS_STATE_DIR/fifo-agent.log" | cut -c1-150)"
assert_true "exit within 1 s of SIGTERM while loading (took $ms ms)" test "$ms" -lt 1000
assert_true "says the load was stopped by the signal" \
	grep -q "ids-fifo: loading stopped by a signal" "$MS_STATE_DIR/fifo-agent.log"

echo "--listen with a host name"
agent_start --listen "localhost:$MS_PORT"
assert_true "localhost:$MS_PORT serves /healthz on 127.0.0.1" ms_agent_healthy
agent_stop

echo "settings from MESHSIGHT_* variables and durations with units"
expect_usage "a variable's bad value names the variable" "MESHSIGHT_MAX_EDGES 'many': expected a whole number >= 1" \
	env MESHSIGHT_MAX_EDGES=many "${run[@]}"
expect_usage "a duration without a known unit" "--edge-idle-timeout '5x': expected a duration like 500ms, 30s, 10m or 1h" \
	"${run[@]}" --edge-idle-timeout 5x
expect_usage "a variable for every flag, repeatable ones as lists" "at most 16 --otlp-header" \
	env MESHSIGHT_OTLP_HEADER="$(printf 'k%d=v,' $(seq 1 17))" "${run[@]}"
MESHSIGHT_CAPTURE_BYTES=10 agent_start --capture-bytes 128 --edge-idle-timeout 10m --scan-interval-ms 1s
assert_true "a flag wins over its variable (MESHSIGHT_CAPTURE_BYTES=10 is never read)" ms_agent_healthy
agent_stop
MESHSIGHT_LISTEN=":$MS_PORT" "$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" >"$MS_STATE_DIR/env-agent.log" 2>&1 &
env_agent=$!
ms_record_pid "$env_agent"
assert_true "MESHSIGHT_LISTEN=:$MS_PORT listens on every IPv4 address (127.0.0.1 answers)" \
	wait_until 15 ms_agent_healthy
assert_true "... bound to 0.0.0.0:$MS_PORT" bash -c "ss -Hltn 'sport = :$MS_PORT' | grep -q '0.0.0.0:$MS_PORT'"
kill -TERM "$env_agent"
wait "$env_agent"

echo "port already in use"
"$MS_PYTHON" -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$MS_PORT" &
blocker=$!
ms_record_pid "$blocker"
wait_until 5 bash -c "ss -Hltn 'sport = :$MS_PORT' | grep -q ." || ms_fail "blocker did not listen"
expect_error "listen port taken" "cannot listen on 127.0.0.1:$MS_PORT" "${run[@]}"
kill "$blocker"
assert_eq "nothing left attached after failed starts" "" \
	"$(bpftool -j cgroup show "$MS_CG_ROOT")"

if command -v setpriv >/dev/null; then
	echo "without privileges"
	expect_error "no capabilities" "missing capabilities: meshsight needs CAP_BPF" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$MESHSIGHT_BIN" --cgroup "$MS_CG_ROOT" --listen "127.0.0.1:$MS_PORT"
fi

ms_finish

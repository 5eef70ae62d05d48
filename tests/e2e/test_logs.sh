#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What a user reads first: the agent's log. Every line is one whole message
# with a timestamp and a level, even with debug output from libbpf, scrapes
# served by the HTTP thread and an exporter thread failing at the same time;
# a fatal error is logged at level "error"; an OTLP export that keeps
# failing says so, once a minute at most; each start-up line appears once.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl "$MS_PYTHON"
ms_state_init
mkdir -p "$MS_CG_ROOT"

LINE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z meshsight (error|warn|info|debug): '

echo "a fatal error is an error"
out=$("$MESHSIGHT_BIN" --cgroup /tmp --listen "127.0.0.1:$MS_PORT" 2>&1)
assert_true "exit status non-zero" test $? -ne 0
assert_true "logged at level error" grep -qE '^[^ ]+ meshsight error: .*cgroup v2' <<<"$out"

echo "one line per message, from every thread at once"
pod_create cli 1
pod_create srv 2
pod_spawn srv "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen srv 8080 || ms_die "httpd did not start"
# A collector that refuses connections: port 1 on loopback.
agent_start -v --otlp-endpoint http://127.0.0.1:1 --otlp-timeout-ms 200 \
	--metric-export-interval-ms 200
scrapers=()
for ((j = 0; j < 4; j++)); do
	(for ((i = 0; i < 100; i++)); do curl -s -o /dev/null -m 2 "$MS_AGENT_URL/metrics"; done) &
	scrapers+=($!)
done
for ((i = 0; i < 20; i++)); do
	pod_exec cli curl -s -o /dev/null -m 5 http://10.200.2.2:8080/status/200
done
wait_until 10 grep -q 'export is failing' "$MS_AGENT_LOG" ||
	ms_fail "no warning that the OTLP export is failing"
sleep 2
wait "${scrapers[@]}"
agent_stop
lines=$(grep -c . "$MS_AGENT_LOG")
bad=$(grep -cvE "$LINE" "$MS_AGENT_LOG")
printf '      figures: %d log lines, %d not of the form "<time> meshsight <level>: ..."\n' "$lines" "$bad" >&2
assert_true "debug output was there to interleave (over 50 lines)" test "$lines" -gt 50
assert_eq "every line is one whole message" 0 "$bad"
[ "$bad" -eq 0 ] || grep -vE "$LINE" "$MS_AGENT_LOG" | head -5 >&2
assert_eq "the failing export is said once (at most once a minute)" 1 \
	"$(grep -c 'OTLP metrics export is failing' "$MS_AGENT_LOG")"
assert_eq "the start line is said once" 1 "$(grep -c 'meshsight [0-9.]* watching' "$MS_AGENT_LOG")"
dups=$(grep -E ' meshsight info: ' "$MS_AGENT_LOG" | sed -E 's/^[^ ]+ //' | sort | uniq -d)
assert_eq "no info line repeated" "" "$dups"

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A live look at meshsight (`sudo make demo`): three pods on this machine,
# frontend -> checkout -> payments, talk HTTP for DEMO_SECONDS (30) with a
# few 5xx mixed in, while the agent watches their cgroup subtree; the edges
# it reports are printed as a table every DEMO_EVERY (3) seconds. Stops by
# itself (well under a minute) or on Ctrl-C, and removes everything it made.
#
# Needs build/meshsight (or MESHSIGHT_BIN), root, python3, curl and jq; builds
# nothing. The pods, cgroups and agent come from tests/e2e/lib.sh.

set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"

DEMO_SECONDS=${DEMO_SECONDS:-30}
DEMO_EVERY=${DEMO_EVERY:-3}

require_root_kernel
require_cmds ip curl jq ss "$MS_PYTHON"
[ -x "$MESHSIGHT_BIN" ] || ms_die "$MESHSIGHT_BIN not found: build it first with 'make'"

echo "setting up pods frontend (10.200.1.2), checkout (10.200.2.2), payments (10.200.3.2)"
pod_create frontend 1
pod_create checkout 2
pod_create payments 3

ids=$MS_STATE_DIR/identities
cat >"$ids" <<'EOF'
# demo identities
10.200.1.2 workload=frontend namespace=shop
10.200.2.2 workload=checkout namespace=shop service=checkout
10.200.3.2 workload=payments namespace=shop service=payments
EOF

agent_start --identities "$ids"

for p in checkout payments; do
	pod_spawn "$p" "$MS_STATE_DIR/httpd-$p.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
	wait_listen "$p" 8080 || ms_die "httpd in $p did not start"
done

end=$(($(date +%s) + DEMO_SECONDS))

# Traffic loops, one per calling pod, each stopping at $end by itself. curl
# gets several URLs per call so that connections are reused, as real
# clients' are. About one request in twenty gets a 5xx.
# shellcheck disable=SC2016 # the loops expand their own variables
loop='
end=$1 url=$2 fast=$3 slow=$4 bad=$5 n=0
while [ "$(date +%s)" -lt "$end" ]; do
	n=$((n + 1))
	urls=("$url$fast" "$url$fast" "$url$slow" "$url$fast" "$url/bytes/2048")
	[ $((n % 4)) -eq 0 ] && urls+=("$url$bad")
	args=()
	for u in "${urls[@]}"; do args+=(-o /dev/null "$u"); done
	curl -s -m 3 "${args[@]}"
	sleep 0.2
done'
pod_spawn frontend "$MS_STATE_DIR/frontend.log" bash -c "$loop" _ "$end" \
	http://10.200.2.2:8080 /delay/20 /delay/80 /status/500 >/dev/null
pod_spawn checkout "$MS_STATE_DIR/checkout.log" bash -c "$loop" _ "$end" \
	http://10.200.3.2:8080 /delay/5 /delay/30 /status/503 >/dev/null

show_edges() {
	local json
	json=$(edges_json) || { echo "(agent did not answer /api/v1/edges)"; return; }
	jq -r '
		def who(e): e.workload // e.address;
		def r(x): if x == null then "-" else (x * 10 | round / 10 | tostring) end;
		["SOURCE", "->", "DESTINATION", "PROTO", "REQUESTS", "ERRORS", "P50_MS", "P99_MS"],
		(.edges | sort_by(-.requests)[] | [who(.source), "->",
			"\(who(.destination)):\(.destination.port)", .protocol,
			.requests, .errors, r(.latency_ms.p50), r(.latency_ms.p99)])
		| map(tostring) | @tsv' <<<"$json" | column -t -s $'\t'
}

clear_screen() { [ -t 1 ] && printf '\033[H\033[2J'; }

while :; do
	now=$(date +%s)
	[ "$now" -lt "$end" ] || break
	clear_screen
	printf 'meshsight demo: %ss of traffic left (Ctrl-C stops)\n\n' $((end - now))
	show_edges
	printf '\nraw data: curl %s/api/v1/edges   (and /metrics, /api/v1/stats)\n' "$MS_AGENT_URL"
	sleep "$DEMO_EVERY"
done

# Let the last requests land, then the final picture.
sleep 1
clear_screen
printf 'meshsight demo: final edges after %ss\n\n' "$DEMO_SECONDS"
show_edges
printf '\nraw data: curl %s/api/v1/edges\n' "$MS_AGENT_URL"
stats=$(stats_json 2>/dev/null) &&
	jq -r '"agent: \(.events_seen | to_entries | map("\(.key)=\(.value)") | join(" ")) events, \(.tracked_connections // "?") connections tracked"' <<<"$stats"
agent_stop >/dev/null
echo "cleaning up"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Measures what one meshsight agent costs the Kubernetes API server: bytes
# and objects it receives to list pods, Services and EndpointSlices, then to
# watch them while pods churn, once watching the whole cluster ("cluster")
# and once only its own node's pods ("node", fieldSelector spec.nodeName).
#
# The cluster is synthetic, served by tests/k8s/fake_apiserver.py on
# 127.0.0.1: PODS pods of realistic size (managedFields, env, probes, status:
# about 4 KiB of JSON each) spread over NODES nodes, one Service and one
# EndpointSlice per app and namespace. During the watch, CHURN pods are
# updated (a restart: status change) and each one's slice with it, as the
# endpoint controller does when readiness flaps.
#
#   tools/k8s-watch-load.sh [PODS] [NODES] [CHURN]     (defaults 5000 100 500)
#
# Prints one table row per mode and kind, and a summary per node. The
# driver is build/tests/test_k8s_api --watch-load (OUTPUT= picks the build
# directory). docs/k8s-watch-load.md records a run and what it implies.
set -euo pipefail
cd "$(dirname "$0")/.."

PODS=${1:-5000}
NODES=${2:-100}
CHURN=${3:-500}
OUTPUT=${OUTPUT:-build}
DRIVER=$OUTPUT/tests/test_k8s_api
WATCH_S=6
WORK=$(mktemp -d /tmp/k8s-watch-load.XXXXXX)
SERVER_PID=

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

make --no-print-directory -s OUTPUT="$OUTPUT" "$DRIVER"

python3 tests/k8s/fake_apiserver.py --port 0 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do
	grep -q '^listening on' "$WORK/server.out" && break
	sleep 0.1
done
PORT=$(awk '/^listening on/ {print $3}' "$WORK/server.out")
[ -n "$PORT" ] || { echo "fake_apiserver.py did not start: $(cat "$WORK/server.err")" >&2; exit 1; }
URL=http://127.0.0.1:$PORT

ctl() { curl -sf -X POST "$URL/_control/$1" -d "${2:-{\}}"; }

echo "generating $PODS pods on $NODES nodes..." >&2
ctl generate "{\"pods\": $PODS, \"nodes\": $NODES, \"namespaces\": 10}" >"$WORK/gen.json"

# run MODE: one agent on node-0; lists, then watches while CHURN pods change.
run() {
	local mode=$1 out=$WORK/$1.jsonl
	ctl reset-stats >/dev/null
	"$DRIVER" --watch-load "$URL" "$mode" node-0 "$WATCH_S" >"$out" 2>"$WORK/$mode.log" &
	local pid=$!
	for _ in $(seq 600); do
		[ -s "$out" ] && break
		sleep 0.1
	done
	[ -s "$out" ] || { echo "driver did not sync: $(cat "$WORK/$mode.log")" >&2; exit 1; }
	ctl churn "{\"count\": $CHURN, \"slices\": true, \"seed\": 7}" >/dev/null
	wait "$pid"
	curl -sf "$URL/_control/stats" >"$WORK/$mode.server.json"
}

run cluster
run node

python3 - "$WORK" "$PODS" "$NODES" "$CHURN" <<'EOF'
import json, sys
work, pods, nodes, churn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"synthetic cluster: {pods} pods on {nodes} nodes, {churn} pods churned (+ their slices)")
print(f"{'mode':8} {'kind':15} {'list objs':>9} {'list bytes':>12} {'watch evts':>10} "
      f"{'watch bytes':>12}")
for mode in ("cluster", "node"):
    lines = [json.loads(l) for l in open(f"{work}/{mode}.jsonl")]
    first, last = lines[0]["kinds"], lines[-1]["kinds"]
    tot = [0, 0, 0, 0]
    for kind in ("pods", "services", "endpointslices"):
        a, b = first[kind], last[kind]
        row = [a["list_objects"], a["bytes"], b["events"] - a["events"], b["bytes"] - a["bytes"]]
        tot = [x + y for x, y in zip(tot, row)]
        print(f"{mode:8} {kind:15} {row[0]:9} {row[1]:12} {row[2]:10} {row[3]:12}")
    print(f"{mode:8} {'all':15} {tot[0]:9} {tot[1]:12} {tot[2]:10} {tot[3]:12}")
    srv = json.load(open(f"{work}/{mode}.server.json"))["resources"]
    sent = sum(v["list"]["bytes"] + v["watch"]["bytes"] for v in srv.values())
    print(f"{mode:8} server sent {sent} bytes to this agent "
          f"(per pod in the cluster: {tot[1] / pods:.0f} B listed)")
EOF

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# GET / in a real browser: headless Chromium loads the agent's page while
# three pods call each other (frontend -> api 10 requests, 2 of them 500;
# api -> db 5; db -> api 4, closing a cycle), lets its script fetch the JSON
# endpoints and draw, and the test reads the drawn DOM: every node's name,
# the frontend -> api edge's numbers, the cycle and the fan-in hot spot
# highlighted. The page must not load anything from elsewhere (the node is
# often offline). The screenshot is kept as build/e2e/page.png.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds ip curl jq "$MS_PYTHON"
command -v chromium >/dev/null || ms_skip "chromium missing: tools/install-deps.sh test installs it"

P=8080
pod_create frontend 1
pod_create api 2
pod_create db 3
ids=$MS_STATE_DIR/identities
cat >"$ids" <<EOF2
10.200.1.2 workload=frontend namespace=shop
10.200.2.2 workload=api namespace=shop service=api
10.200.3.2 workload=db namespace=shop service=db
EOF2
agent_start --identities "$ids" --window 60 --learn 0
for p in api db; do
	pod_spawn "$p" "$MS_STATE_DIR/httpd-$p.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" "$P" >/dev/null
	wait_listen "$p" "$P" || ms_die "httpd in $p did not start"
done

calls() {
	local args=() i
	for ((i = 0; i < $3; i++)); do args+=(-o /dev/null "http://$2:$P$4"); done
	pod_exec "$1" curl -sS --max-time 30 "${args[@]}" || ms_fail "curl $1 -> $2 $4 failed"
}
calls frontend 10.200.2.2 8 /
calls frontend 10.200.2.2 2 /status/500
calls api 10.200.3.2 5 /
calls db 10.200.2.2 4 /

graph=
ready() {
	graph=$(ms_get /api/v1/graph) &&
		jq -e '[.edges[] | select(.protocol == "http") | .requests] | add == 19' <<<"$graph" >/dev/null
}
wait_until 25 ready || ms_fail "graph never showed the 19 requests: $graph"

echo "the page is self-contained"
html=$(curl -fsS -D "$MS_STATE_DIR/headers" "$MS_AGENT_URL/")
assert_true "served as text/html" grep -qi '^content-type: text/html' "$MS_STATE_DIR/headers"
assert_eq "no <script src>, <link> or <img> (nothing fetched from elsewhere)" 0 \
	"$(grep -ciE '<script[^>]+src=|<link|<img|@import|url\(http' <<<"$html")"
assert_eq "only the agent's own endpoints are fetched" '"/api/v1/events" "/api/v1/graph" "/api/v1/splits"' \
	"$(grep -o 'get("[^"]*")' <<<"$html" | sed 's/get(\(.*\))/\1/' | sort -u | tr '\n' ' ' | sed 's/ $//')"

echo "headless Chromium draws the graph"
mkdir -p "$MS_REPO/build/e2e"
shot=$MS_REPO/build/e2e/page.png
rm -f "$shot"
browse() { # browse ARGS...: one headless run against the page
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$MS_STATE_DIR/chromium" --window-size=1400,900 \
		--virtual-time-budget=6000 "$@" "$MS_AGENT_URL/" 2>>"$MS_STATE_DIR/chromium.log"
}
dom=$(browse --dump-dom) || ms_fail "chromium failed: $(tail -5 "$MS_STATE_DIR/chromium.log")"
browse --screenshot="$shot" >/dev/null || ms_fail "chromium screenshot failed"
printf '%s\n' "$dom" >"$MS_STATE_DIR/dom.html"
assert_true "the script ran and loaded the data" grep -q 'data-loaded="true"' <<<"$dom"
for n in shop/frontend shop/api shop/db; do
	assert_true "node $n drawn" grep -q "<g class=\"node[^\"]*\" data-id=\"$n\">.*<text[^>]*>$n</text>" <<<"$dom"
done
fe=$(grep -o '<g class="edge[^"]*" data-source="shop/frontend" data-destination="shop/api"[^>]*>.*' <<<"$dom" |
	sed 's#</g>.*##')
echo "  frontend -> api: $fe"
assert_true "frontend -> api drawn with 10 requests and 2 errors" \
	grep -q 'data-requests="10" data-errors="2"' <<<"$fe"
assert_true "its label: 20.0% errors" grep -q '20.0% err' <<<"$fe"
# 10 requests over the 10..60 s the window has covered so far.
rate=$(grep -oE '>[0-9]+\.[0-9]{2}/s' <<<"$fe" | tr -d '>/s')
assert_true "its label: $rate/s, between 10/60 and 10/10" \
	awk -v r="$rate" 'BEGIN { exit !(r != "" && r >= 10 / 60 - 0.01 && r <= 1.0) }'
assert_true "api -> db drawn as part of a cycle" \
	grep -q '<g class="edge cycle[^"]*" data-source="shop/api" data-destination="shop/db"' <<<"$dom"
assert_true "api is the fan-in hot spot" grep -q '<g class="node hot" data-id="shop/api">' <<<"$dom"
assert_true "frontend is drawn as the entry point" grep -q '<g class="node entry" data-id="shop/frontend">' <<<"$dom"
assert_true "the analysis lists the cycle" grep -q 'class="cycles">Cycles: ' <<<"$dom"
assert_true "the events table lists new_edge frontend -> api (--learn 0: every edge is new)" \
	grep -q '<tr class="event kind-new_edge"><td>[0-9:]*</td><td class="sev-info">new_edge</td><td>shop/frontend → shop/api:8080</td>' <<<"$dom"
assert_true "screenshot kept ($shot)" test -s "$shot"

agent_stop
ms_finish

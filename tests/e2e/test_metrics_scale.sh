#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# /metrics grows with workloads, not addresses: one workload calling from 60
# addresses makes exactly the series it makes from one, and unknown callers
# collapse into one "unknown" source. Addresses come back only when asked
# for (--metrics-labels address). A scraper that sends Accept-Encoding: gzip
# (Prometheus does) gets the page compressed. Prints the sizes and series
# counts it measured.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq gzip "$MS_PYTHON"

pod_create cli 1
pod_create srv 2
# 59 more addresses on the client pod: 10.200.1.10 .. 10.200.1.68.
for ((i = 10; i < 69; i++)); do
	ip netns exec ms-cli ip addr add "10.200.1.$i/24" dev eth0 || ms_die "cannot add 10.200.1.$i"
done
printf '10.200.1.0/24 workload=frontend namespace=shop\n10.200.2.2 workload=catalog namespace=shop service=catalog\n' \
	>"$MS_STATE_DIR/ids"
pod_spawn srv "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen srv 8080 || ms_die "httpd did not start"

# calls FROM...: one request from each source address, plus one 503 from each.
calls() {
	local a
	for a in "$@"; do
		pod_exec cli curl -s -o /dev/null --max-time 10 --interface "$a" \
			http://10.200.2.2:8080/status/200 http://10.200.2.2:8080/status/503 ||
			ms_fail "curl from $a failed"
	done
}
series() { grep -c '^meshsight_' <<<"$1"; }
all_series() { grep -vc '^#' <<<"$1"; }

# measure LABEL N_ADDRESSES [AGENT_FLAGS...]: sets SIZE, SERIES, ALL.
measure() {
	local label=$1 n=$2 addrs=(10.200.1.2) m
	shift 2
	for ((i = 10; i < 9 + n; i++)); do addrs+=("10.200.1.$i"); done
	agent_start --identities "$MS_STATE_DIR/ids" "$@"
	calls "${addrs[@]}"
	wait_edge_field "${addrs[-1]}" 10.200.2.2 8080 http .requests 2 >/dev/null
	m=$(ms_get /metrics)
	SIZE=${#m}
	SERIES=$(series "$m")
	ALL=$(all_series "$m")
	printf '      figures: %s: %d address(es): /metrics %d bytes, %d meshsight_* series, %d samples in all\n' \
		"$label" "$n" "$SIZE" "$SERIES" "$ALL" >&2
	METRICS=$m
}

echo "1. one address, then sixty, of one workload"
measure "default labels" 1
one_size=$SIZE one_series=$SERIES one_all=$ALL
assert_eq "no address in any meshsight_* label" 0 "$(grep -c '^meshsight_.*_address=' <<<"$METRICS")"
agent_stop
measure "default labels" 60
assert_eq "60 addresses: the same meshsight_* series as one" "$one_series" "$SERIES"
assert_eq "60 addresses: the same samples in all" "$one_all" "$ALL"
assert_true "60 addresses: the page is no bigger than 1.1x" test "$SIZE" -le $((one_size * 11 / 10))
e=$(ms_get /metrics | grep '^meshsight_requests_total{reporter="destination"' | grep 'status_code="200"')
assert_eq "one series holds the 60 callers' requests" 1 "$(grep -c . <<<"$e")"
assert_eq "  and counts all of them" 60 "${e##* }"

echo "2. gzip when the scraper asks for it"
hdrs=$(curl -sS -m 5 -o "$MS_STATE_DIR/m.gz" -D - -H 'Accept-Encoding: gzip' "$MS_AGENT_URL/metrics")
assert_true "Content-Encoding: gzip" grep -qi '^content-encoding: gzip' <<<"$hdrs"
plain=$(ms_get /metrics)
unz=$(gzip -dc "$MS_STATE_DIR/m.gz") || ms_fail "the gzip body does not decompress"
assert_eq "the same page once decompressed (line count)" "$(grep -c . <<<"$plain")" "$(grep -c . <<<"$unz")"
printf '      figures: /metrics gzip: %d bytes for %d plain\n' "$(stat -c %s "$MS_STATE_DIR/m.gz")" "${#plain}" >&2
assert_true "compressed to under a fifth" test "$(stat -c %s "$MS_STATE_DIR/m.gz")" -lt $((${#plain} / 5))
hdrs=$(curl -sS -m 5 -o /dev/null -D - "$MS_AGENT_URL/metrics")
assert_true "plain without Accept-Encoding" bash -c "! grep -qi '^content-encoding' <<<\"\$1\"" _ "$hdrs"
hdrs=$(curl -sS -m 5 -o /dev/null -D - -H 'Accept-Encoding: gzip;q=0' "$MS_AGENT_URL/metrics")
assert_true "plain when gzip is refused (q=0)" bash -c "! grep -qi '^content-encoding' <<<\"\$1\"" _ "$hdrs"
agent_stop

echo "3. addresses when asked for"
measure "--metrics-labels address" 60 --metrics-labels address
assert_true "per-address series are back" test "$SERIES" -gt $((one_series * 20))
agent_stop

ms_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The README says what is true: its first commands work as root with no
# sudo and install make first; the package installs (nginx, Prometheus,
# nghttpx) leave no system service enabled or running; `make help` lists
# every target; the JSON example of an edge has exactly the fields a real
# edge has.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds curl jq make "$MS_PYTHON"
README=$MS_REPO/README.md

echo "the first commands"
first=$(awk '/^```sh/ { on = 1; next } on && /^```/ { exit } on' "$README")
assert_eq "no sudo (it is not installed on a fresh Debian as root)" 0 "$(grep -c sudo <<<"$first")"
assert_true "installs make before using it" grep -q 'apt-get install -y make && make run' <<<"$first"
assert_true "the test command" grep -q 'apt-get install -y make && make test' <<<"$first"

echo "the installs leave no system service behind"
if command -v systemctl >/dev/null; then
	for svc in nginx prometheus nghttpx; do
		assert_true "$svc.service is not enabled" \
			bash -c "! systemctl list-unit-files $svc.service 2>/dev/null | grep -q '^$svc.service *enabled'"
	done
fi
assert_eq "no system nginx or Prometheus running" "" \
	"$(pgrep -a -f '^(/usr/sbin/nginx|/usr/bin/prometheus)( |$)' | grep -v -e "$MS_STATE_DIR" -e '/tmp/' || true)"

echo "make help lists every target"
help=$(make -s -C "$MS_REPO" help)
for t in $(sed -n 's/^\.PHONY: *//p' "$MS_REPO/Makefile"); do
	assert_true "make help lists $t" grep -qE "^  $t " <<<"$help"
done

echo "the JSON example is a real edge's shape"
pod_create cli 1
pod_create srv 2
printf '10.200.1.2 workload=frontend namespace=shop\n10.200.2.2 workload=checkout namespace=shop service=checkout\n' \
	>"$MS_STATE_DIR/ids"
pod_spawn srv "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen srv 8080 || ms_die "httpd did not start"
agent_start --identities "$MS_STATE_DIR/ids"
pod_exec cli curl -s -o /dev/null --max-time 10 http://10.200.2.2:8080/status/200 \
	http://10.200.2.2:8080/status/503 || ms_fail "curl failed"
wait_edge_field 10.200.1.2 10.200.2.2 8080 http .requests 2 >/dev/null
real=$(edge_get 10.200.1.2 10.200.2.2 8080 http)
example=$(awk '/^```json/ { on = 1; next } on && /^```/ { exit } on' "$README")
# Every path of an object, status-code keys folded (they are data, not fields).
shape() { jq -c '[paths | map(tostring) | join(".")] | map(sub("status_codes\\.[0-9]+"; "status_codes.N")) | unique'; }
assert_eq "the same fields" "$(shape <<<"$real")" "$(shape <<<"$example")"
agent_stop

ms_finish

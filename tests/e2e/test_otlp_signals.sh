#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Which OpenTelemetry variables turn which signal on, as the README says:
# a signal's own endpoint variable turns that signal on (and only it), and
# OTEL_<SIGNAL>_EXPORTER=none turns one off.

set -u
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

require_root_kernel
require_cmds node npm curl jq "$MS_PYTHON"

pod_create otc 1
pod_create ots 2
pod_spawn ots "$MS_STATE_DIR/httpd.log" "$MS_PYTHON" "$MS_E2E_DIR/httpd.py" 8080 >/dev/null
wait_listen ots 8080 || ms_die "httpd did not start"
otlp_receiver_start

count() { curl -fsS "$RECV/received?signal=$1" | jq length; }
reset() { curl -fsS -X POST "$RECV/reset" >/dev/null || ms_fail "receiver reset failed"; }

# run WHAT EXPECT_METRICS EXPECT_TRACES [ENV=V...]: agent with that
# environment, traffic, then whether each signal arrived (yes/no).
run() {
	local what=$1 want_m=$2 want_t=$3 m t
	shift 3
	reset
	for kv in "$@"; do export "${kv?}"; done
	agent_start
	for kv in "$@"; do unset "${kv%%=*}"; done
	pod_exec otc curl -s -o /dev/null --max-time 10 http://10.200.2.2:8080/status/200 ||
		ms_fail "$what: curl failed"
	sleep 2
	m=$(count metrics) t=$(count traces)
	agent_stop
	assert_eq "$what: metrics exported" "$want_m" "$([ "$m" -gt 0 ] && echo yes || echo no)"
	assert_eq "$what: traces exported" "$want_t" "$([ "$t" -gt 0 ] && echo yes || echo no)"
}

export OTEL_METRIC_EXPORT_INTERVAL=300 OTEL_BSP_SCHEDULE_DELAY=200
run "OTEL_EXPORTER_OTLP_ENDPOINT" yes yes OTEL_EXPORTER_OTLP_ENDPOINT="$RECV"
run "only OTEL_EXPORTER_OTLP_METRICS_ENDPOINT" yes no \
	OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="$RECV/v1/metrics"
run "only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" no yes \
	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="$RECV/v1/traces"
run "OTEL_TRACES_EXPORTER=none" yes no OTEL_EXPORTER_OTLP_ENDPOINT="$RECV" OTEL_TRACES_EXPORTER=none
run "OTEL_METRICS_EXPORTER=none" no yes OTEL_EXPORTER_OTLP_ENDPOINT="$RECV" OTEL_METRICS_EXPORTER=none
run "no OTLP variable" no no

ms_finish

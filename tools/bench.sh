#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# What does the agent cost? nginx in pod "srv" serves a small static file,
# wrk in pod "load" hammers it over keep-alive connections through the node,
# once without the agent and once with it attached to the pods' cgroup
# subtree; BENCH_ROUNDS (2) such pairs, alternating which goes first, so the
# spread between rounds shows the noise. Prints figures only; it is not a
# pass/fail test.
#
#   BENCH_SECONDS=10 BENCH_ROUNDS=2 BENCH_CONNS=32 tools/bench.sh
#   BENCH_NO_AGENT=1 tools/bench.sh      # baseline only
#   BENCH_AGENT_FLAGS="--identities F"   # extra agent flags
#   BENCH_TLS=1 tools/bench.sh           # HTTPS (nginx and wrk on OpenSSL), agent with --tls on
#   BENCH_H2=1 tools/bench.sh            # h2c: h2load -m10 against nghttpd, streams for requests
#
# Besides v2 (the default agent) and v1 (--http-parser userspace), each
# HTTP/1 round measures the floor (do-nothing programs on the same hooks,
# tests/bpf/skb_floor: the cost of any program there on this machine, in
# this run) and L4 only (--no-http).
#
# Needs root, wrk and nginx (apt-get install wrk nginx-light); installs
# nothing. Agent CPU is utime+stime from /proc/PID/stat across the wrk run,
# max RSS is VmHWM, events/s is the growth of /api/v1/stats events_seen.

set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/../tests/e2e/lib.sh
. "$repo/tests/e2e/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}
BENCH_CONNS=${BENCH_CONNS:-32}
BENCH_NO_AGENT=${BENCH_NO_AGENT:-0}
BENCH_TLS=${BENCH_TLS:-0}
BENCH_H2=${BENCH_H2:-0}
BENCH_STREAMS=${BENCH_STREAMS:-10} # h2load -m: concurrent streams per connection
url=http://10.200.2.2:8080/
FLOOR_BIN=${FLOOR_BIN:-$repo/build/tests/skb_floor}     # do-nothing skb programs' loader
FLOOR_OBJ=${FLOOR_OBJ:-$repo/build/tests/skb_floor.bpf.o}
read -ra agent_flags <<<"${BENCH_AGENT_FLAGS:-}" # extra agent flags, e.g. --identities FILE
if [ "$BENCH_TLS" = 1 ]; then
	# HTTPS: the agent reads it through libssl's uprobes; v1 and export are not measured.
	url=https://10.200.2.2:8443/
	agent_flags+=(--tls on)
	BENCH_EXPORT=0
fi

if [ "$BENCH_H2" = 1 ]; then
	# h2c by prior knowledge: parsed in userspace from captured bytes (no v2 kernel
	# path for HTTP/2), so v1 is the same datapath and is not measured.
	url=http://10.200.2.2:8090/
	agent_flags+=(--capture-bytes 4096)
	BENCH_EXPORT=0
fi

require_root_kernel
require_cmds ip curl jq ss wrk nginx bpftool openssl
[ "$BENCH_NO_AGENT" = 1 ] || [ -x "$FLOOR_BIN" ] ||
	ms_die "$FLOOR_BIN not found: build it with 'make build/tests/skb_floor' (make bench does)"
[ "$BENCH_H2" = 1 ] && require_cmds h2load nghttpd
[ "$BENCH_NO_AGENT" = 1 ] || [ -x "$MESHSIGHT_BIN" ] ||
	ms_die "$MESHSIGHT_BIN not found: build it with 'make' (or BENCH_NO_AGENT=1 for a baseline)"

pod_create load 1
pod_create srv 2

# nginx_conf DIR: a self-contained nginx under DIR (no system paths).
nginx_conf() {
	local d=$1
	mkdir -p "$d/www" "$d/tmp"
	printf 'hello from the meshsight bench\n' >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_timeout 75s;
	keepalive_requests 10000000;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	default_type text/plain;
	server {
		listen 8080;
		root $d/www;
		index index.html;
	}
	server {
		listen 8443 ssl;
		ssl_certificate $d/cert.pem;
		ssl_certificate_key $d/key.pem;
		root $d/www;
		index index.html;
	}
}
EOF
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=10.200.2.2 \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null || ms_die "openssl req failed"
}

nginx_dir=$MS_STATE_DIR/nginx
nginx_conf "$nginx_dir"
nginx -t -q -p "$nginx_dir" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/error.log" ||
	ms_die "nginx rejected $nginx_dir/nginx.conf"
pod_spawn srv "$MS_STATE_DIR/nginx.out" nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf" \
	-e "$nginx_dir/error.log" >/dev/null
wait_listen srv 8080 || ms_die "nginx did not start: $(cat "$nginx_dir/error.log")"
if [ "$BENCH_H2" = 1 ]; then
	pod_spawn srv "$MS_STATE_DIR/nghttpd.out" nghttpd --no-tls -d "$nginx_dir/www" 8090 >/dev/null
	wait_listen srv 8090 || ms_die "nghttpd did not start: $(cat "$MS_STATE_DIR/nghttpd.out")"
	pod_exec load h2load -c4 -m4 -D1 "$url" >/dev/null || ms_die "h2load warm-up against $url failed"
else
	pod_exec load wrk -t1 -c4 -d1s "$url" >/dev/null || ms_die "wrk warm-up against $url failed"
fi

# load_run ROUND MODE: one load run into R[rps|p50|p99|reqs|errs,ROUND,MODE]: wrk
# (p50/p99 of requests) or, with BENCH_H2, h2load (its mean per stream as p50).
load_run() {
	local r=$1 mode=$2 out
	if [ "$BENCH_H2" = 1 ]; then
		out=$(pod_exec load h2load -t1 "-c$BENCH_CONNS" "-m$BENCH_STREAMS" "-D$BENCH_SECONDS" \
			"$url" 2>&1) || ms_die "h2load failed: $out"
		R[rps,$r,$mode]=$(awk '/^finished in/ { print $4 }' <<<"$out")
		R[reqs,$r,$mode]=$(awk '/^requests:/ { print $8 }' <<<"$out")
		R[p50,$r,$mode]=$(to_us "$(awk '/^time for request:/ { print $6 }' <<<"$out")")
		R[p99,$r,$mode]="?"
		R[errs,$r,$mode]=$(awk '/^requests:/ && ($10 + $12) > 0 { printf "%s failed/errored", $10 + $12 }' <<<"$out")
		return
	fi
	out=$(pod_exec load wrk -t1 "-c$BENCH_CONNS" "-d${BENCH_SECONDS}s" --latency "$url") ||
		ms_die "wrk failed: $out"
	R[rps,$r,$mode]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	R[p50,$r,$mode]=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	R[p99,$r,$mode]=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	R[reqs,$r,$mode]=$(awk '/requests in/ { print $1 }' <<<"$out")
	R[errs,$r,$mode]=$(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' <<<"$out")
}

# to_us VALUE_WITH_UNIT: wrk's "850.00us" / "1.23ms" / "1.02s" / "2.00m" in µs.
to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		f = (u == "us") ? 1 : (u == "ms") ? 1e3 : (u == "s") ? 1e6 : (u == "m") ? 6e7 : -1
		if (f < 0) { print "?"; exit } printf "%.0f\n", n * f }'
}

# bpf_prog_stats: "name run_time_ns run_cnt" of the agent's programs, by
# name (one agent runs at a time here; kernel.bpf_stats_enabled is on while
# the bench runs).
bpf_prog_stats() {
	bpftool prog show -j 2>/dev/null | jq -r '.[] | select(.name | test("^ms_(skb|sockops|ssl_|tls_)"))
		| "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' | sort
}
# bpf_per_request BEFORE AFTER N: "prog=ns/req (runs/req) ... total=ns/req".
bpf_per_request() {
	awk -v n="$3" 'NR == FNR { t[$1] = $2; c[$1] = $3; next }
		{ dt = ($2 - t[$1]) / n; dc = ($3 - c[$1]) / n; tot += dt
		  sub(/^ms_/, "", $1); printf "%s=%.0f(%.1f) ", $1, dt, dc }
		END { printf "total=%.0f\n", tot }' <(echo "$1") <(echo "$2")
}
agent_event_bytes() { stats_json | jq '.event_bytes // 0'; }

# agent_cpu_ticks / agent_events / agent_hwm_kb: the agent's counters now.
agent_cpu_ticks() { sed 's/.*) //' "/proc/$MS_AGENT_PID/stat" | awk '{ print $12 + $13 }'; }
agent_events() { stats_json | jq '[.events_seen[] | numbers] | add // 0'; }
agent_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$MS_AGENT_PID/status"; }

declare -A R # R[metric,round,off|on]

# floor_measure ROUND: one wrk run with only the do-nothing programs attached.
floor_measure() {
	local r=$1 s0 s1 pid out=$MS_STATE_DIR/floor.out
	"$FLOOR_BIN" "$FLOOR_OBJ" "$MS_CG_ROOT" {MS_LOCK_FD}>&- >"$out" 2>&1 </dev/null &
	pid=$!
	ms_record_pid "$pid"
	for _ in $(seq 50); do grep -q attached "$out" && break; sleep 0.1; done
	grep -q attached "$out" || ms_die "skb_floor did not attach: $(cat "$out")"
	s0=$(bpf_prog_stats)
	load_run "$r" floor
	s1=$(bpf_prog_stats)
	kill "$pid" && wait "$pid" 2>/dev/null
	R[bpf,$r,floor]=$(bpf_per_request "$s0" "$s1" "${R[reqs,$r,floor]}")
	R[bpfns,$r,floor]=${R[bpf,$r,floor]##*total=}
	echo "  round $r, floor: BPF ns per request (runs): ${R[bpf,$r,floor]}" >&2
	echo "  round $r, floor: ${R[rps,$r,floor]} req/s" >&2
}

# measure ROUND off|on|v1|l4|exp|floor: one wrk run; with "on" (v2), "v1" and
# "l4" the agent runs around it, with "exp" the agent also exports OTLP to
# the local receiver; "floor" has only the do-nothing programs.
measure() {
	local r=$1 mode=$2 out t0 t1 c0 c1 e0 e1 hz
	if [ "$mode" = floor ]; then
		floor_measure "$r"
		return
	fi
	if [ "$mode" = exp ]; then
		OTEL_BSP_SCHEDULE_DELAY=1000 OTEL_BSP_MAX_QUEUE_SIZE=65536 \
			OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2048 agent_start "${agent_flags[@]}" \
			--otlp-endpoint "http://127.0.0.1:$EXPORT_PORT" --max-spans-per-second 0 \
			--metric-export-interval-ms 1000
		c0=$(agent_cpu_ticks)
	elif [ "$mode" = on ] || [ "$mode" = v1 ] || [ "$mode" = l4 ]; then
		if [ "$mode" = v1 ]; then
			agent_start "${agent_flags[@]}" --http-parser userspace
		elif [ "$mode" = l4 ]; then
			agent_start "${agent_flags[@]}" --no-http
		else
			agent_start "${agent_flags[@]}"
		fi
		c0=$(agent_cpu_ticks)
		e0=$(agent_events)
		b0=$(agent_event_bytes)
		s0=$(bpf_prog_stats)
	fi
	t0=$(date +%s.%N)
	load_run "$r" "$mode"
	t1=$(date +%s.%N)
	if [ "$mode" = on ] || [ "$mode" = v1 ] || [ "$mode" = l4 ]; then
		c1=$(agent_cpu_ticks)
		e1=$(agent_events)
		b1=$(agent_event_bytes)
		s1=$(bpf_prog_stats)
		hz=$(getconf CLK_TCK)
		n=${R[reqs,$r,$mode]}
		R[cpu,$r,$mode]=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="$n" \
			'BEGIN { printf "%.4f", c / hz / (n / 1000) }')
		R[rss,$r,$mode]=$(awk -v k="$(agent_hwm_kb)" 'BEGIN { printf "%.1f", k / 1024 }')
		R[evs,$r,$mode]=$(awk -v e="$((e1 - e0))" -v t0="$t0" -v t1="$t1" \
			'BEGIN { printf "%.0f", e / (t1 - t0) }')
		R[epr,$r,$mode]=$(awk -v e="$((e1 - e0))" -v n="$n" 'BEGIN { printf "%.2f", e / n }')
		R[bpr,$r,$mode]=$(awk -v b="$((b1 - b0))" -v n="$n" 'BEGIN { printf "%.0f", b / n }')
		R[bpf,$r,$mode]=$(bpf_per_request "$s0" "$s1" "$n")
		R[bpfns,$r,$mode]=${R[bpf,$r,$mode]##*total=}
		echo "  round $r, agent $mode: BPF ns per request (runs): ${R[bpf,$r,$mode]}" >&2
		agent_stop >/dev/null || ms_die "agent did not stop cleanly"
	elif [ "$mode" = exp ]; then
		c1=$(agent_cpu_ticks)
		hz=$(getconf CLK_TCK)
		R[spans,$r,exp]=$(ms_get /metrics |
			awk '$1 == "meshsight_otlp_items_total{signal=\"traces\",outcome=\"sent\"}" { print $2 }')
		R[cpu,$r,exp]=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="${R[reqs,$r,exp]}" \
			'BEGIN { printf "%.4f", c / hz / (n / 1000) }')
		# the export's share: CPU beyond what the same requests cost without export
		R[spancpu,$r,exp]=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v n="${R[reqs,$r,exp]}" \
			-v base="${R[cpu,$r,on]:-0}" -v sp="${R[spans,$r,exp]:-0}" \
			'BEGIN { x = c / hz - base * n / 1000; if (x < 0) x = 0;
				 if (sp > 0) printf "%.4f", x / (sp / 1000); else printf "-" }')
		agent_stop >/dev/null || ms_die "agent did not stop cleanly"
	fi
	echo "  round $r, agent $mode: ${R[rps,$r,$mode]} req/s, p50 ${R[p50,$r,$mode]} us," \
		"p99 ${R[p99,$r,$mode]} us ${R[errs,$r,$mode]}" >&2
}

[ "$BENCH_TLS" = 1 ] && echo "bench: HTTPS; BPF ns per request include sys_enter," \
	"which runs for every syscall on the host (other work on it too)" >&2

# Export cost: the agent ships every span (no ceiling) and its metrics to a
# local OTLP receiver (tests/otlp, Node) during one more wrk run per round.
BENCH_EXPORT=${BENCH_EXPORT:-1}
EXPORT_PORT=${EXPORT_PORT:-14319}
if [ "$BENCH_EXPORT" = 1 ] && [ "$BENCH_NO_AGENT" != 1 ]; then
	if command -v node >/dev/null &&
		{ [ -d "$repo/tests/otlp/node_modules" ] ||
			npm ci --prefix "$repo/tests/otlp" --no-audit --no-fund >/dev/null 2>&1; }; then
		# its own fds: not the e2e lock, which would outlive this run with it
		node "$repo/tests/otlp/receiver.mjs" --port "$EXPORT_PORT" --quiet --max-stored 4 {MS_LOCK_FD}>&- \
			>/dev/null 2>&1 &
		ms_record_pid $!
		wait_http "http://127.0.0.1:$EXPORT_PORT/healthz" 10 || ms_die "OTLP receiver did not start"
	else
		echo "bench: no node/npm: export cost not measured" >&2
		BENCH_EXPORT=0
	fi
else
	BENCH_EXPORT=0
fi

# BPF run time per program, as the brief measures it; restored on exit.
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 || echo "bench: cannot enable kernel.bpf_stats_enabled" >&2
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; cleanup_all' EXIT

[ "$BENCH_H2" = 1 ] && echo "bench: h2c; a request is a stream, p50 is h2load's mean" \
	"time for request, and BPF ns per request include the captured bytes' copy" >&2
echo "bench: $([ "$BENCH_H2" = 1 ] && echo "h2load -t1 -c$BENCH_CONNS -m$BENCH_STREAMS -D$BENCH_SECONDS" ||
	echo "wrk -t1 -c$BENCH_CONNS -d${BENCH_SECONDS}s --latency") $url" \
	"(nginx, 1 worker; $(nproc) CPUs shared by wrk, nginx and the agent)" >&2
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	if [ "$BENCH_NO_AGENT" = 1 ]; then
		measure "$r" off
	elif { [ "$BENCH_TLS" = 1 ] || [ "$BENCH_H2" = 1 ]; } && [ $((r % 2)) -eq 1 ]; then
		measure "$r" off
		measure "$r" on
	elif [ "$BENCH_TLS" = 1 ] || [ "$BENCH_H2" = 1 ]; then
		measure "$r" on
		measure "$r" off
	elif [ $((r % 2)) -eq 1 ]; then
		measure "$r" off
		measure "$r" floor
		measure "$r" on
		measure "$r" l4
		measure "$r" v1
	else
		measure "$r" v1
		measure "$r" l4
		measure "$r" on
		measure "$r" floor
		measure "$r" off
	fi
	[ "$BENCH_EXPORT" = 1 ] && measure "$r" exp
done

# ------------------------------------------------------------ the table

val() { printf '%s' "${R[$1]:--}"; }
# derived KIND ROUND: ratio or added µs, "-" without an agent run.
derived() {
	local a b
	case $1 in
	ratio) a=${R[rps,$2,off]:-} b=${R[rps,$2,${3:-on}]:-} ;;
	p50) a=${R[p50,$2,off]:-} b=${R[p50,$2,${3:-on}]:-} ;;
	p99) a=${R[p99,$2,off]:-} b=${R[p99,$2,${3:-on}]:-} ;;
	floor) a=${R[bpfns,$2,floor]:-} b=${R[bpfns,$2,${3:-on}]:-} ;;
	esac
	if [ -z "$a" ] || [ -z "$b" ] || [ "$a" = "?" ] || [ "$b" = "?" ]; then
		printf -- -
	elif [ "$1" = ratio ]; then
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }'
	elif [ "$1" = floor ]; then
		awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.1f", b / a; else printf "-" }'
	else
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%+d", b - a }'
	fi
}

# "v2" is the default datapath (HTTP/1 parsed in the kernel), "v1" the same
# agent with --http-parser userspace (every payload copied and parsed in
# userspace, the design before it).
rows=(
	"requests/s without agent|val rps,R,off"
	"requests/s, agent v2|val rps,R,on"
	"requests/s, agent v1|val rps,R,v1"
	"ratio with/without, v2|derived ratio R on"
	"ratio with/without, v1|derived ratio R v1"
	"p50 latency us without|val p50,R,off"
	"p50 added us, v2|derived p50 R on"
	"p50 added us, v1|derived p50 R v1"
	"p99 latency us without|val p99,R,off"
	"p99 added us, v2|derived p99 R on"
	"p99 added us, v1|derived p99 R v1"
	"BPF ns per request (both ends), v2|val bpfns,R,on"
	"BPF ns per request (both ends), v1|val bpfns,R,v1"
	"BPF ns per request (both ends), L4 only|val bpfns,R,l4"
	"BPF ns per request (both ends), floor|val bpfns,R,floor"
	"BPF time / floor, v2|derived floor R on"
	"BPF time / floor, v1|derived floor R v1"
	"BPF time / floor, L4 only|derived floor R l4"
	"requests/s, L4 only|val rps,R,l4"
	"ratio with/without, L4 only|derived ratio R l4"
	"events per request, v2|val epr,R,on"
	"events per request, v1|val epr,R,v1"
	"ring bytes per request, v2|val bpr,R,on"
	"ring bytes per request, v1|val bpr,R,v1"
	"agent CPU s per 1000 requests, v2|val cpu,R,on"
	"agent CPU s per 1000 requests, v1|val cpu,R,v1"
	"agent max RSS MiB (VmHWM), v2|val rss,R,on"
	"agent max RSS MiB (VmHWM), v1|val rss,R,v1"
)
if [ "$BENCH_EXPORT" = 1 ]; then
	rows+=(
		"requests/s, agent + OTLP export|val rps,R,exp"
		"spans exported|val spans,R,exp"
		"agent CPU s per 1000 requests, export on|val cpu,R,exp"
		"export CPU s per 1000 spans|val spancpu,R,exp"
	)
fi
{
	printf 'metric'
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do printf '\tround %d' "$r"; done
	printf '\n'
	for row in "${rows[@]}"; do
		printf '%s' "${row%%|*}"
		for ((r = 1; r <= BENCH_ROUNDS; r++)); do
			cmd=${row#*|}
			# shellcheck disable=SC2086 # "val KEY" / "derived KIND ROUND", split on purpose
			printf '\t%s' "$(${cmd//R/$r})"
		done
		printf '\n'
	done
} | column -t -s $'\t'

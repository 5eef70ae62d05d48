#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Tests the Helm chart in helm/meshsight without a cluster: renders it with the default values,
# with a non-default values file, with --set overrides, and checks every rendered manifest with
# tests/helm/check (least privilege, RBAC, cross-references, the agent's command line). Then
# renders values that must be refused (the chart fails with a message) or that grant too much
# (check must fail: the checks can fail).
#
# Rendering uses `helm lint` + `helm template` when helm is on the PATH; otherwise
# tests/helm/render, a stand-in for `helm template` built from Debian's Go packages (golang-go,
# golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v3-dev; see tools/install-deps.sh).
# The real helm is the reference: the stand-in covers what this chart uses, no more.
#
#   tests/helm/run.sh          (OUTPUT=DIR: build directory, default build; HELM=path to helm)
#
# Exit 0 and "helm: N checks passed"; 1 on any failure; 77 when Go is missing (a failure under
# CI=true).

set -u

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$dir/../.." && pwd)
chart=$repo/helm/meshsight
out=$repo/${OUTPUT:-build}/helm
ns=meshsight
release=meshsight
total=0 failures=0

mkdir -p "$out" || { echo "helm: cannot create $out" >&2; exit 1; }

skip() {
	if [ "${CI:-}" = true ]; then
		echo "helm: FAIL: $* (CI=true forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

fail() {
	echo "  FAIL  $*"
	failures=$((failures + 1))
}

# go_build PKG: builds tests/helm/PKG into $out/PKG in GOPATH mode from Debian's packages, so
# that nothing is downloaded.
go_build() {
	(
		cd "$dir" || exit 1
		export GO111MODULE=off GOFLAGS='' GOPATH="/usr/share/gocode:$out/gopath" GOCACHE="$out/gocache"
		go build -o "$out/$1" "./$1"
	) || { echo "helm: cannot build tests/helm/$1" >&2; exit 1; }
}

command -v go >/dev/null || skip "go not installed (apt-get install golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev)"
[ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] ||
	skip "sprig not installed (apt-get install golang-github-masterminds-sprig-dev)"
go_build check

helm_bin=${HELM:-$(command -v helm || true)}
if [ -n "$helm_bin" ]; then
	echo "rendering with $helm_bin"
else
	echo "rendering with tests/helm/render (no helm on the PATH; helm template is the reference)"
	go_build render
fi

# render NAME ARGS...: the chart rendered with ARGS (-f FILE, --set K=V) into $out/NAME.yaml;
# the renderer's errors go to $out/NAME.err.
render() {
	local name=$1
	shift
	if [ -n "$helm_bin" ]; then
		"$helm_bin" template "$release" "$chart" --namespace "$ns" "$@" \
			>"$out/$name.yaml" 2>"$out/$name.err"
	else
		"$out/render" --name "$release" --namespace "$ns" "$@" "$chart" \
			>"$out/$name.yaml" 2>"$out/$name.err"
	fi
}

# scenario NAME "RENDER ARGS" CHECK_FLAGS...: render and check; counts check's passes.
scenario() {
	local name=$1 log n
	local -a rargs
	read -r -a rargs <<<"$2"
	shift 2
	echo "== $name"
	if ! render "$name" "${rargs[@]}"; then
		fail "$name: rendering failed: $(cat "$out/$name.err")"
		return
	fi
	log=$out/$name.check
	"$out/check" -namespace "$ns" "$@" "$out/$name.yaml" >"$log" 2>&1
	local rc=$?
	n=$(sed -n 's/^checks: \([0-9]*\) passed.*/\1/p' "$log")
	total=$((total + ${n:-0}))
	if [ "$rc" -ne 0 ]; then
		grep -v '^  ok' "$log"
		fail "$name: $(tail -n 1 "$log")"
	else
		echo "  ok    ${n:-0} checks"
	fi
}

# refused NAME PATTERN "RENDER ARGS": the chart must refuse these values, saying PATTERN.
refused() {
	local -a rargs
	read -r -a rargs <<<"$3"
	if render "$1" "${rargs[@]}"; then
		fail "$1: rendered, expected the chart to refuse with '$2'"
	elif grep -qF -e "$2" "$out/$1.err"; then
		echo "  ok    $1: refused with '$2'"
		total=$((total + 1))
	else
		fail "$1: refused, but without '$2': $(cat "$out/$1.err")"
	fi
}

# caught NAME FAIL_TEXT "RENDER ARGS": renders, and check must fail naming FAIL_TEXT.
caught() {
	local -a rargs
	read -r -a rargs <<<"$3"
	if ! render "$1" "${rargs[@]}"; then
		fail "$1: rendering failed: $(cat "$out/$1.err")"
	elif "$out/check" -namespace "$ns" "$out/$1.yaml" >"$out/$1.check" 2>&1; then
		fail "$1: check passed manifests that grant too much"
	elif grep -q "FAIL  .*$2" "$out/$1.check"; then
		echo "  ok    $1: check fails: $(grep -m1 "FAIL  .*$2" "$out/$1.check" | cut -c9-130)"
		total=$((total + 1))
	else
		fail "$1: check failed but not on '$2': $(grep FAIL "$out/$1.check" | head -3)"
	fi
}

if [ -n "$helm_bin" ]; then
	echo "== helm lint"
	for f in "" "$dir/values-custom.yaml"; do
		if "$helm_bin" lint --strict "$chart" ${f:+-f "$f"} >"$out/lint.log" 2>&1; then
			echo "  ok    helm lint ${f:+-f $(basename "$f")}"
			total=$((total + 1))
		else
			cat "$out/lint.log"
			fail "helm lint ${f:+-f $f}"
		fi
	done
fi

IMG=image.repository=registry.example.com/meshsight
scenario defaults "--set $IMG" \
	-port 9464 -arg --k8s=auto -arg --k8s-watch=cluster -arg --cluster-name=Kubernetes \
	-arg --cluster-domain=cluster.local -arg --mesh-tunnel-ports=15008,15001,15006 \
	-arg --trust-domain=cluster.local \
	-arg --capture-bytes=1024 -no-arg --otlp-endpoint -no-arg --no-http -no-arg -v \
	-no-arg --k8s-virtualservices

scenario virtualservices "--set $IMG,k8s.virtualServices=v1" \
	-virtualservices -arg --k8s-virtualservices=v1

scenario custom "-f $dir/values-custom.yaml --set $IMG" \
	-port 9555 -servicemonitor -configmap -scrape-annotations=false \
	-memory-limit 512Mi -priority-class meshsight-high -toleration dedicated \
	-sm-label release=kube-prometheus-stack \
	-arg --k8s-watch=node -arg --cluster-name=east -arg --trust-domain=east.example \
	-arg --otlp-endpoint=http://otel-collector.observability.svc.cluster.local:4318 \
	-arg --otlp-compression=gzip -arg --identities=/etc/meshsight/identities \
	-arg --scan-interval-ms=5000

scenario no-k8s-no-http "--set $IMG,k8s.enabled=false,agent.http=false,agent.verbose=true" \
	-k8s=false -arg --k8s=off -arg --no-http -arg -v -no-arg --k8s-watch -no-arg --capture-bytes

scenario pod-network "--set $IMG,hostNetwork=false,listen.host=\$(POD_IP),cgroup.watch=/sys/fs/cgroup/kubepods.slice" \
	-host-network=false -arg --cgroup=/sys/fs/cgroup/kubepods.slice

scenario host-pid "--set $IMG,hostPID=true" -host-pid

scenario tls "--set $IMG,hostPID=true,agent.tls=true" -host-pid -tls -arg --tls=on

scenario monitoring "--set $IMG,grafanaDashboard.enabled=true,prometheusRule.enabled=true,prometheusRule.labels.release=kps" \
	-dashboard -prometheusrule -rules-out "$out/rules.yaml"

# The rules as Prometheus itself parses them (promtool ships with Debian's prometheus package).
if command -v promtool >/dev/null; then
	echo "== promtool check rules (the PrometheusRule's groups)"
	if promtool check rules "$out/rules.yaml" >"$out/promtool.log" 2>&1; then
		echo "  ok    $(grep -m1 SUCCESS "$out/promtool.log")"
		total=$((total + 1))
	else
		fail "promtool check rules: $(cat "$out/promtool.log")"
	fi
fi

# Every flag the chart can pass must be one the agent accepts; checked against the agent's
# --help when the agent is built.
agent=${MESHSIGHT_BIN:-$repo/${OUTPUT:-build}/meshsight}
if [ -x "$agent" ]; then
	echo "== the agent ($agent) knows every flag the chart passes"
	help=$("$agent" --help 2>&1)
	while read -r f; do
		if grep -qF -e "$f " <<<"$help"; then
			total=$((total + 1))
		else
			fail "the chart passes $f, which '$agent --help' does not list"
		fi
	done < <(sed -n 's/^ *- "\{0,1\}\(--[a-z0-9-]*\).*/\1/p' \
		"$out"/{defaults,custom,no-k8s-no-http,pod-network}.yaml | sort -u)
	echo "  done"
	echo "== every meshsight_* family the dashboard and the rules query is one the agent exports"
	while read -r m; do
		if grep -aqF -e "\"$m\"" -e "\"${m%_bucket}\"" "$agent" || grep -aqF "$m" "$agent"; then
			total=$((total + 1))
		else
			fail "the monitoring manifests query $m, which $agent never exports"
		fi
	done < <(grep -o 'meshsight_[a-z0-9_]*' "$out/monitoring.yaml" | grep -v '^meshsight_$' | sed 's/_bucket$//' | sort -u |
		grep -vxF -e meshsight -e meshsight_events)
	echo "  done"
else
	echo "== (agent not built at $agent: its flags are not cross-checked)"
fi

echo "== values the chart refuses"
refused bad-watch 'k8s.watch must be "cluster" or "node"' "--set $IMG,k8s.watch=everything"
refused bad-virtualservices 'k8s.virtualServices must be "off", "v1" or "v1beta1"' "--set $IMG,k8s.virtualServices=v2"
refused tls-without-host-pid 'agent.tls needs hostPID: true' "--set $IMG,agent.tls=true"
refused monitor-without-service "serviceMonitor.enabled needs service.enabled" \
	"--set $IMG,serviceMonitor.enabled=true,service.enabled=false"
refused default-image "no meshsight image is published; build it from the repository's Dockerfile" ""

echo "== manifests that grant too much fail the checks"
caught sys-admin "capabilities added are exactly" \
	"--set $IMG,securityContext.capabilities.add={BPF,PERFMON,NET_ADMIN,SYS_ADMIN}"
caught privileged "not privileged" "--set $IMG,securityContext.privileged=true"
caught writable-root "readOnlyRootFilesystem" "--set $IMG,securityContext.readOnlyRootFilesystem=false"
caught host-root "host paths are exactly" "--set $IMG,cgroup.hostPath=/"
caught host-pid-unasked "no hostPID" "--set $IMG,hostPID=true"
caught ptrace-unasked "capabilities added are exactly" "--set $IMG,hostPID=true,agent.tls=true"
caught no-drop "capabilities drop ALL" "--set $IMG,securityContext.capabilities.drop=null"

if [ "$failures" -gt 0 ]; then
	echo "helm: $total checks passed, $failures failed"
	exit 1
fi
echo "helm: $total checks passed"

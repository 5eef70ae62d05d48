#!/usr/bin/env bash
# Installs the Debian packages one use of meshsight needs, and only those
# missing, so a repeated run costs one dpkg query:
#
#   tools/install-deps.sh run     build and run the agent (make, make run, make demo)
#   tools/install-deps.sh test    + the test tiers' tools (make test)
#   tools/install-deps.sh bench   + wrk and nginx (make bench)
#
# Services that packages bring (nginx, Prometheus) are neither started nor
# left enabled: the tests and the benchmark start their own instances.
set -eu -o pipefail

profile=${1:-run}
RUN_PKGS=(
	# build
	clang llvm make gcc libc6-dev libbpf-dev bpftool libelf-dev zlib1g-dev
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libyaml-dev
	libnetfilter-conntrack-dev pkg-config
	# make demo: pods in network namespaces calling each other
	iproute2 curl jq python3
)
TEST_PKGS=(
	clang-format libcmocka-dev prometheus nftables openssl
	chromium # tests/e2e/test_page.sh: the live page in a real browser
	nghttp2-server nghttp2-client nghttp2-proxy python3-grpcio python3-h2 # test_h2_grpc.sh: nghttpd, h2load, nghttpx, gRPC, GOAWAY
	nginx-light # test_tls.sh: HTTPS through OpenSSL (nginx, curl and python3 all use libssl3)
	golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev # tests/helm
)
BENCH_PKGS=(wrk nginx-light)
SERVICES=(nginx prometheus nghttpx)

case $profile in
run) pkgs=("${RUN_PKGS[@]}") ;;
test) pkgs=("${RUN_PKGS[@]}" "${TEST_PKGS[@]}") ;;
bench) pkgs=("${RUN_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
*)
	echo "meshsight: install-deps.sh: unknown profile '$profile': expected run, test or bench" >&2
	exit 2
	;;
esac

# Leave nothing enabled to start at boot (an earlier install may have).
disable_services() {
	local s listing
	command -v systemctl >/dev/null || return 0
	# Read the listing whole: under pipefail, grep -q quitting at its match
	# can SIGPIPE systemctl and make the match look like a miss.
	for s in "${SERVICES[@]}"; do
		listing=$(systemctl list-unit-files "$s.service" 2>/dev/null || true)
		if grep -q "^$s.service *enabled" <<<"$listing"; then
			systemctl disable "$s.service" >/dev/null 2>&1 || true
		fi
	done
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
# The OTLP test receiver runs on Node.js; any node on the PATH will do.
if [ "$profile" = test ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
	missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
	[ "$(id -u)" != 0 ] || disable_services
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "meshsight: missing packages: ${missing[*]}" >&2
	echo "meshsight: run this as root to install them, or apt-get install them yourself" >&2
	exit 1
fi
echo "meshsight: installing ${#missing[@]} package(s) for '$profile': ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# No service may start while it installs (invoke-rc.d honours policy-rc.d).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
echo "meshsight: apt-get update"
apt-get update -q
echo "meshsight: apt-get install (progress below)"
if ! apt-get install -y --no-install-recommends -o Dpkg::Progress-Fancy=0 "${missing[@]}" |
	{ grep -E '^(Setting up|Unpacking|Get:)' || true; }; then
	echo "meshsight: apt-get install failed; run apt-get install ${missing[*]} to see why" >&2
	exit 1
fi
disable_services
echo "meshsight: packages installed"

#!/usr/bin/env bash
# Installs the Debian packages meshsight needs to build, run and test, and
# only those missing, so repeated runs cost one dpkg query.
set -eu

PKGS=(
	# build
	clang llvm make gcc libbpf-dev bpftool libelf-dev zlib1g-dev clang-format
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libyaml-dev
	libnetfilter-conntrack-dev pkg-config
	# tests
	libcmocka-dev iproute2 curl jq python3 prometheus nftables openssl
	golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev # tests/helm
	# bench
	wrk nginx-light
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
# The OTLP test receiver runs on Node.js; any node on the PATH will do.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "meshsight: missing packages: ${missing[*]}" >&2
	echo "meshsight: run as root (sudo make ...) to install them, or apt-get install them yourself" >&2
	exit 1
fi
echo "meshsight: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The agent's container image for the Helm chart (helm/meshsight).
#
#   docker build -t <registry>/meshsight:0.1.0 .
#
# Build stage: the same Debian packages tools/install-deps.sh installs for a
# build. Runtime stage: only the shared libraries the binary links (found
# with ldd on a Debian 12 build) and CA certificates for https OTLP
# endpoints and the API server. The BPF object is embedded in the binary
# (skeleton), so nothing else is copied. Runs as root with only the
# capabilities the chart grants; the root filesystem can be read-only.
FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
	clang llvm make gcc libc6-dev libbpf-dev bpftool libelf-dev zlib1g-dev \
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libyaml-dev \
	libnetfilter-conntrack-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY bpf bpf
COPY include include
COPY user user
COPY vmlinux vmlinux
RUN make OUTPUT=/out /out/meshsight

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
	libbpf1 libelf1 zlib1g libcurl4 libmicrohttpd12 libjansson4 libyaml-0-2 \
	libnetfilter-conntrack3 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/meshsight /usr/bin/meshsight
ENTRYPOINT ["/usr/bin/meshsight"]

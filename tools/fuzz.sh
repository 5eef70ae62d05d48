#!/usr/bin/env bash
# Builds the HTTP/1 parser fuzzer (libFuzzer + ASan + UBSan) and runs it for
# $1 seconds (default 60) from the seed corpus. A crash leaves its input in
# build/fuzz/ and fails the run.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
mkdir -p build/fuzz build/fuzz/corpus
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Iinclude -Iuser tests/fuzz/fuzz_http1.c user/http1.c -o build/fuzz/fuzz_http1
cp -n tests/fuzz/corpus/http1/* build/fuzz/corpus/ 2>/dev/null || true
build/fuzz/fuzz_http1 -max_total_time="$secs" -artifact_prefix=build/fuzz/ \
	build/fuzz/corpus 2>&1 | tail -5

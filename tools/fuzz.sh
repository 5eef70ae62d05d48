#!/usr/bin/env bash
# Builds the parser fuzzers (libFuzzer + ASan + UBSan): HTTP/1 (user/core/http1.c),
# HTTP/2 with HPACK (user/core/h2.c, user/core/hpack.c) and the OTLP response
# reader (user/otlp/response.c), and runs each for $1
# seconds (default 60) from its seed corpus. A crash leaves its input in
# build/fuzz/ and fails the run.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
san=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude -Iuser)

run() { # name, sources...
	local name=$1
	shift
	mkdir -p "build/fuzz/$name" "build/fuzz/corpus-$name"
	clang "${san[@]}" "$@" -o "build/fuzz/fuzz_$name"
	cp -n "tests/fuzz/corpus/$name"/* "build/fuzz/corpus-$name/" 2>/dev/null || true
	echo "fuzz: $name for ${secs}s"
	"build/fuzz/fuzz_$name" -max_total_time="$secs" -artifact_prefix=build/fuzz/ \
		"build/fuzz/corpus-$name" 2>&1 | tail -5
	return "${PIPESTATUS[0]}"
}

run http1 tests/fuzz/fuzz_http1.c user/core/http1.c user/lib/str.c
run h2 tests/fuzz/fuzz_h2.c user/core/h2.c user/core/hpack.c user/lib/str.c
run otlp_response tests/fuzz/fuzz_otlp_response.c user/otlp/protobuf.c user/otlp/json.c \
	user/otlp/response.c -ljansson

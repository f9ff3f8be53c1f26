#!/usr/bin/env bash
# Builds the Kafka request decoder fuzzer (clang++, libFuzzer with the address and undefined
# behaviour sanitizers) in build-fuzz and runs it for SECONDS (default 60), starting from the
# seed requests in tests/fuzz/corpus/. New inputs it finds go to a temporary directory that is
# removed afterwards; a crashing input is kept as build-fuzz/artifacts/crash-* and the script
# exits non-zero.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

CXX=clang++ CC=clang cmake -S . -B build-fuzz -G Ninja -DRUNNEL_FUZZ=ON \
  -DRUNNEL_BUILD_TESTS=OFF -DRUNNEL_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz --target request_decoder_fuzz | tail -n 1

work=$(mktemp -d "${TMPDIR:-/tmp}/runnel-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/artifacts
echo "== fuzzing the request decoder for ${seconds}s"
build-fuzz/bin/request_decoder_fuzz -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ "$work" tests/fuzz/corpus

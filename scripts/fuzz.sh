#!/usr/bin/env bash
# Builds the fuzzers (clang++, libFuzzer with the address and undefined behaviour sanitizers)
# in build-fuzz and runs them within SECONDS (default 60) in all: the Kafka request decoder for
# half of it, starting from the seed requests in tests/fuzz/corpus/ (one at least per
# (API, version) of the handler list, which broker_protocol_seed_corpus_test checks and
# build/bin/make_fuzz_seeds completes), then the connection
# layer's framing (byte streams in arbitrary chunks) for a quarter, then the SASL state machine
# fed the frames of byte streams (seeds in tests/fuzz/sasl_corpus/) for the rest. New inputs they find go to
# temporary directories removed afterwards; a crashing input is kept as
# build-fuzz/artifacts/crash-* and the script exits non-zero.
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
cmake --build build-fuzz --target request_decoder_fuzz frame_assembler_fuzz sasl_fuzz | tail -n 1

work=$(mktemp -d "${TMPDIR:-/tmp}/runnel-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/artifacts
decoder_seconds=$((seconds / 2))
framing_seconds=$((seconds / 4))
sasl_seconds=$((seconds - decoder_seconds - framing_seconds))
mkdir -p "$work/decoder" "$work/framing" "$work/sasl"
echo "== fuzzing the request decoder for ${decoder_seconds}s"
build-fuzz/bin/request_decoder_fuzz -max_total_time="$decoder_seconds" -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ "$work/decoder" tests/fuzz/corpus
echo "== fuzzing the connection framing for ${framing_seconds}s"
build-fuzz/bin/frame_assembler_fuzz -max_total_time="$framing_seconds" -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ "$work/framing"
echo "== fuzzing the SASL state machine for ${sasl_seconds}s"
build-fuzz/bin/sasl_fuzz -max_total_time="$sasl_seconds" -print_final_stats=1 \
  -artifact_prefix=build-fuzz/artifacts/ "$work/sasl" tests/fuzz/sasl_corpus

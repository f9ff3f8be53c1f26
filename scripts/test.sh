#!/usr/bin/env bash
# Builds Runnel and runs its tests: README command (2).
#
#   scripts/test.sh             everything, in build/ (unit, integration, structure)
#   scripts/test.sh --sanitize  the unit tests built with ASan/UBSan, in build-sanitize/
#
# Ends with CTest's summary line; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=()
build_args=()
ctest_args=()
case "${1:-}" in
  "") ;;
  --sanitize)
    build_dir=build-sanitize
    cmake_args=(-DRUNNEL_SANITIZE=address,undefined -DRUNNEL_BUILD_BENCHMARKS=OFF)
    build_args=(--target unit_tests)
    ctest_args=(-L unit)
    ;;
  *) echo "usage: scripts/test.sh [--sanitize]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" "${build_args[@]}"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "${ctest_args[@]}"

#!/usr/bin/env bash
# Builds the newest librdkafka a registry offers here: the sources bundled in the npm package
# @confluentinc/kafka-javascript (pinned below), configured against Debian's OpenSSL, zlib,
# zstd and lz4 (mklove's own dependency downloads reach GitHub, which this machine cannot).
# Debian's librdkafka is 2.0.2; this one negotiates the flexible versions newer clients prefer.
# test_newest_librdkafka.py runs Debian's confluent-kafka over it (LD_LIBRARY_PATH: the
# library's ABI is stable across 2.x).
#
#   tests/integration/newest_librdkafka/build.sh OUT_DIR   -> OUT_DIR/librdkafka.so.1
set -euo pipefail

readonly package="@confluentinc/kafka-javascript@1.10.1"  # bundles librdkafka 2.15.1
out=${1:?usage: build.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/built-from"
if [ -f "$out/librdkafka.so.1" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$package" ]; then
  exit 0
fi

work="$out/work"
rm -rf "$work"
mkdir -p "$work"
# npm keeps the tarball in its cache, so a second build needs no network.
(cd "$work" && npm pack --silent --no-audit --no-fund "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/deps/librdkafka
src="$work/package/deps/librdkafka"
cc="gcc"
if command -v ccache >/dev/null; then cc="ccache gcc"; fi
(cd "$src" && CC="$cc" ./configure --disable-curl --disable-gssapi >"$work/configure.log" 2>&1) ||
  { cat "$work/configure.log" >&2; exit 1; }
make -C "$src/src" -j "$(nproc)" librdkafka.so.1 >"$work/make.log" 2>&1 ||
  { tail -40 "$work/make.log" >&2; exit 1; }
cp "$src/src/librdkafka.so.1" "$out/librdkafka.so.1"
echo "$package" >"$stamp"
rm -rf "$work"

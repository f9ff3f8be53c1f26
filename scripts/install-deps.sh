#!/usr/bin/env bash
# Installs the Debian packages Runnel needs to build, test and run, and nothing else.
# Idempotent: installs only what is missing. As root it runs apt-get; otherwise it prints
# the one command that would, and fails.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config
  # libraries
  libboost-dev libprotobuf-dev protobuf-compiler librocksdb-dev librdkafka-dev
  libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  # SASL/SCRAM: PBKDF2, HMAC, SHA-2 and a CSPRNG from OpenSSL's libcrypto; TLS listeners
  # through libssl
  libssl-dev
  # test_tls.py makes its throwaway CA and certificates with the openssl command
  openssl
  # jemalloc: the fraud demo's allocator (glibc malloc was ~20% of its CPU; examples/fraud_detection)
  libjemalloc-dev
  # xxhash (header only, inlined in operators/internal/fk_join_wire.cc): the 128-bit hash of
  # a foreign-key join's left value that tells a stale answer from a current one
  libxxhash-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # independent Kafka clients the integration tests drive
  kcat python3 python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard
  # the Prometheus project's text-format parser: test_metrics.py reads /metrics with it
  python3-prometheus-client
  # Sarama 1.22, a Go client that picks request versions from its configured Kafka release
  # instead of negotiating: tests/integration/sarama builds against it offline (GOPATH mode)
  golang-go golang-github-shopify-sarama-dev
  # the protocol fuzzer (libFuzzer ships with clang's runtime)
  clang libclang-rt-14-dev
)

# KafkaJS (tests/integration/kafkajs) needs Node.js and npm; a machine may have them from
# elsewhere than Debian (NodeSource bundles npm in its nodejs package), so ask for Debian's
# only when the commands are missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Runnel needs these Debian packages, which are not installed:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them as root, then run this command again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${#missing[@]} Debian package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Dependencies installed."

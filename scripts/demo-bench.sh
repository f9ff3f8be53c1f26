#!/usr/bin/env bash
# Runs the fraud demo once against a fresh runneld for measurement (docs/BENCHMARKS.md): an
# ephemeral loopback port, a fresh data directory and state directory, no rebuild, and the
# demo process's wall and CPU time from /usr/bin/time. Stops the broker and removes its data
# whatever happens.
#
#   scripts/demo-bench.sh BUILD_DIR [fraud_demo options...]
#   e.g. scripts/demo-bench.sh build --transactions 100000 --config processing.guarantee=at_least_once
set -euo pipefail

build=${1:?usage: scripts/demo-bench.sh BUILD_DIR [fraud_demo options...]}
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/runnel-demo-bench.XXXXXX")
broker_pid=""
cleanup() {
  if [ -n "$broker_pid" ]; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

"$build/bin/runneld" --data-dir "$dir/data" --listen 127.0.0.1:0 \
  --group-initial-rebalance-delay-ms 0 >"$dir/runneld.log" 2>&1 &
broker_pid=$!
address=""
for _ in $(seq 1 300); do
  address=$(sed -n 's/^runneld listening on \(.*\)$/\1/p' "$dir/runneld.log" | head -n 1)
  [ -n "$address" ] && break
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "runneld did not report ready:" >&2
  cat "$dir/runneld.log" >&2
  exit 1
fi

RUNNEL_LOG_LEVEL=${RUNNEL_LOG_LEVEL:-warn} /usr/bin/time -f "demo: %e s wall %U user %S sys" \
  "$build/bin/fraud_demo" --bootstrap-server "$address" --state-dir "$dir/state" "$@"

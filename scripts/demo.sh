#!/usr/bin/env bash
# README command (1): builds Runnel, starts the bundled broker runneld on a fresh data
# directory and an ephemeral loopback port, and runs the fraud-detection demo against it.
# Stops everything it started, whatever happens. See docs/DEMO.md for what it shows.
#
#   scripts/demo.sh [--count N]    (default 200000 transactions)
set -euo pipefail
cd "$(dirname "$0")/.."

count=200000
case "${1:-}" in
  "") ;;
  --count) count=${2:?--count needs a number} ;;
  *) echo "usage: scripts/demo.sh [--count N]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
echo "== building (first build takes a few minutes; later ones are incremental)"
cmake -S . -B build -G Ninja >/dev/null
# Every binary the README shows: the broker, the runnel tool and the examples.
cmake --build build --target runneld runnel fraud_demo word_count event_sourcing_demo \
  transactions_demo | tail -n 1

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/runnel-demo.XXXXXX")
broker_log="$data_dir.runneld.log"
broker_pid=""
stop_broker() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  broker_pid=""
}
cleanup() {
  stop_broker
  rm -rf "$data_dir" "$data_dir.state" "$broker_log"
}
trap cleanup EXIT

# Starts runneld on an ephemeral port and waits for its "runneld listening on HOST:PORT" line.
start_broker() {
  build/bin/runneld --data-dir "$data_dir" --listen 127.0.0.1:0 >"$broker_log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 1 300); do
    address=$(sed -n 's/^runneld listening on \(.*\)$/\1/p' "$broker_log" | head -n 1)
    if [ -n "$address" ]; then return 0; fi
    if ! kill -0 "$broker_pid" 2>/dev/null; then
      echo "runneld exited during start-up:" >&2
      cat "$broker_log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "runneld did not report ready within 30 s:" >&2
  cat "$broker_log" >&2
  exit 1
}

start_broker
echo
echo "== runneld (pid $broker_pid) listening on $address, data in $data_dir"
echo
RUNNEL_LOG_LEVEL=warn build/bin/fraud_demo --bootstrap-server "$address" --transactions "$count" --seed 42 \
  --state-dir "$data_dir.state"
echo
echo "== runneld stopped; its data directory and the detector's state removed."

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/result.h"
#include "core/status.h"
#include "state/operation_stats.h"

namespace runnel::state::internal {

// Adds to a counter that only one thread writes.
inline void add(std::atomic<std::uint64_t>& counter, std::uint64_t by) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// The live counters behind an OperationStats. Written by the thread that owns the store only,
// read by any thread (a metrics reporter): atomics with relaxed order, and load-then-store
// updates, which cannot lose an update with a single writer.
class OperationCounters {
 public:
  // One call in this many is timed: two steady_clock reads cost about as much as an
  // in-memory store's get, so timing every call would add several percent to a stateful
  // record's processing (bench/operators/metrics_overhead_bench.cc).
  static constexpr std::uint64_t kTimeOneIn = 16;

  // Whether the next call is to be timed (the first one is).
  bool time_next() const { return count_.load(std::memory_order_relaxed) % kTimeOneIn == 0; }

  void record(std::uint64_t ns, bool ok) {
    add(count_, 1);
    if (!ok) add(errors_, 1);
    add(timed_, 1);
    add(total_ns_, ns);
    if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
  }

  void record_untimed(bool ok) {
    add(count_, 1);
    if (!ok) add(errors_, 1);
  }

  OperationStats snapshot() const {
    return OperationStats{
        count_.load(std::memory_order_relaxed), errors_.load(std::memory_order_relaxed),
        total_ns_.load(std::memory_order_relaxed), max_ns_.load(std::memory_order_relaxed),
        timed_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> total_ns_{0};
  std::atomic<std::uint64_t> max_ns_{0};
  std::atomic<std::uint64_t> timed_{0};
};

inline bool succeeded(const Status& status) { return status.ok(); }
template <typename T>
bool succeeded(const Result<T>& result) {
  return result.ok();
}

// Runs `op` (returning a Status or a Result), recording its outcome, and its latency when
// the counters sample this call.
template <typename Op>
auto timed(OperationCounters& counters, Op&& op) {
  if (!counters.time_next()) {
    auto result = op();
    counters.record_untimed(succeeded(result));
    return result;
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = op();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  counters.record(static_cast<std::uint64_t>(ns), succeeded(result));
  return result;
}

}  // namespace runnel::state::internal

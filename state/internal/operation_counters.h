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
  void record(std::uint64_t ns, bool ok) {
    add(count_, 1);
    if (!ok) add(errors_, 1);
    add(total_ns_, ns);
    if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
  }

  OperationStats snapshot() const {
    return OperationStats{
        count_.load(std::memory_order_relaxed), errors_.load(std::memory_order_relaxed),
        total_ns_.load(std::memory_order_relaxed), max_ns_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> total_ns_{0};
  std::atomic<std::uint64_t> max_ns_{0};
};

inline bool succeeded(const Status& status) { return status.ok(); }
template <typename T>
bool succeeded(const Result<T>& result) {
  return result.ok();
}

// Runs `op` (returning a Status or a Result), recording its latency and outcome.
template <typename Op>
auto timed(OperationCounters& counters, Op&& op) {
  const auto start = std::chrono::steady_clock::now();
  auto result = op();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  counters.record(static_cast<std::uint64_t>(ns), succeeded(result));
  return result;
}

}  // namespace runnel::state::internal

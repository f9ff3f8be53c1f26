#pragma once

#include <atomic>
#include <cstdint>

namespace runnel {

// Where the time comes from, so that anything with time-based behaviour (segment rolling,
// retention, windows) can be tested by moving a manual clock instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t now_ms() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
};

// A clock that moves only when told; thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t now_ms() const override { return now_ms_.load(); }
  void set_ms(int64_t now_ms) { now_ms_.store(now_ms); }
  void advance_ms(int64_t delta_ms) { now_ms_.fetch_add(delta_ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

// The process-wide SystemClock.
Clock& system_clock();

}  // namespace runnel

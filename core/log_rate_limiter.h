#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "core/log.h"

namespace runnel::log {

// Keeps a repeated warning from flooding the log: the first occurrence is logged, then at most
// one line per `interval`, which says how many occurrences were dropped since the last line.
// One limiter per call site (a function-local static), so that one noisy condition does not
// hide another. Thread-safe.
//
// Why: an acceptor out of file descriptors, a full disk or a flood of refused connections
// repeat the same line thousands of times a second, and the log itself then fills the disk.
class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether to log the occurrence at `now`; if so, the number of occurrences suppressed since
  // the last logged one. nullopt: suppress this one (it is counted).
  std::optional<uint64_t> admit(std::chrono::steady_clock::time_point now);
  std::optional<uint64_t> admit() { return admit(std::chrono::steady_clock::now()); }

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_logged_;
  uint64_t suppressed_ = 0;
};

// log::warn through `limiter`: " (N similar lines suppressed)" is appended when N > 0.
template <typename... Args>
void warn_limited(RateLimiter& limiter, fmt::format_string<Args...> format, Args&&... args) {
  if (!enabled(Level::kWarn)) return;
  const std::optional<uint64_t> suppressed = limiter.admit();
  if (!suppressed) return;
  std::string line = fmt::format(format, std::forward<Args>(args)...);
  if (*suppressed > 0) line += fmt::format(" ({} similar lines suppressed)", *suppressed);
  write(Level::kWarn, line);
}

// log::error through `limiter`, as warn_limited.
template <typename... Args>
void error_limited(RateLimiter& limiter, fmt::format_string<Args...> format, Args&&... args) {
  if (!enabled(Level::kError)) return;
  const std::optional<uint64_t> suppressed = limiter.admit();
  if (!suppressed) return;
  std::string line = fmt::format(format, std::forward<Args>(args)...);
  if (*suppressed > 0) line += fmt::format(" ({} similar lines suppressed)", *suppressed);
  write(Level::kError, line);
}

}  // namespace runnel::log

#include "core/log_rate_limiter.h"

#include <gtest/gtest.h>

namespace runnel::log {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(LogRateLimiterTest, TheFirstOccurrenceIsLoggedWithNothingSuppressed) {
  RateLimiter limiter(10s);
  EXPECT_EQ(limiter.admit(Clock::time_point{} + 1h), 0u);
}

TEST(LogRateLimiterTest, RepeatsWithinTheIntervalAreSuppressedAndCountedInTheNextLine) {
  RateLimiter limiter(10s);
  const auto start = Clock::time_point{} + 1h;
  ASSERT_EQ(limiter.admit(start), 0u);
  for (int i = 1; i <= 1000; ++i) EXPECT_FALSE(limiter.admit(start + i * 5ms).has_value());
  EXPECT_EQ(limiter.admit(start + 10s), 1000u);
  EXPECT_FALSE(limiter.admit(start + 11s).has_value());
  EXPECT_EQ(limiter.admit(start + 20s), 1u);
}

TEST(LogRateLimiterTest, AfterAQuietSpellTheNextOccurrenceIsLoggedAtOnce) {
  RateLimiter limiter(1s);
  const auto start = Clock::time_point{} + 1h;
  ASSERT_EQ(limiter.admit(start), 0u);
  EXPECT_EQ(limiter.admit(start + 1h), 0u);
}

TEST(LogRateLimiterTest, AFloodOfOccurrencesLogsAtMostOneLinePerInterval) {
  RateLimiter limiter(1s);
  const auto start = Clock::time_point{} + 1h;
  int logged = 0;
  // 10 seconds of one occurrence per millisecond.
  for (int ms = 0; ms < 10'000; ++ms) {
    if (limiter.admit(start + std::chrono::milliseconds(ms))) ++logged;
  }
  EXPECT_EQ(logged, 10);
}

}  // namespace
}  // namespace runnel::log

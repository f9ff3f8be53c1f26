#include "core/clock.h"

#include <chrono>

namespace runnel {

int64_t SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

}  // namespace runnel

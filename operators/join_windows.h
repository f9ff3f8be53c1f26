#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace runnel {

// How close in time two records of a KStream-KStream join must be (Kafka Streams'
// JoinWindows): a left record at t joins right records with timestamps in [t - before,
// t + after] (both equal to the time difference unless changed). Grace: how long after a
// record's window has passed (by stream time) late records are still joined, and how long a
// left/outer join waits before emitting a record that found no partner.
struct JoinWindows {
  std::int64_t before_ms = 0;
  std::int64_t after_ms = 0;
  std::int64_t grace_ms = 0;

  static JoinWindows of_time_difference_with_no_grace(std::chrono::milliseconds difference) {
    return JoinWindows{difference.count(), difference.count(), 0};
  }
  static JoinWindows of_time_difference_and_grace(std::chrono::milliseconds difference,
                                                  std::chrono::milliseconds grace) {
    return JoinWindows{difference.count(), difference.count(), grace.count()};
  }
  JoinWindows before(std::chrono::milliseconds b) const {
    JoinWindows w = *this;
    w.before_ms = b.count();
    return w;
  }
  JoinWindows after(std::chrono::milliseconds a) const {
    JoinWindows w = *this;
    w.after_ms = a.count();
    return w;
  }
  Status validate() const {
    if (before_ms + after_ms < 0 || grace_ms < 0) {
      return invalid_argument_error("JoinWindows: need before + after >= 0 and grace >= 0");
    }
    return ok_status();
  }
};

}  // namespace runnel

#pragma once

#include <cstdint>

namespace runnel::state {

// Calls, failed calls and time spent in one kind of store operation, as the metered store
// decorators count them (steady clock, nanoseconds). Every call is counted; one call in
// OperationCounters::kTimeOneIn is timed (the first one included), so that the clock reads
// stay off most calls: total_ns and max_ns are over the `timed` calls.
struct OperationStats {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t max_ns = 0;
  std::uint64_t timed = 0;

  double mean_ns() const { return timed == 0 ? 0.0 : static_cast<double>(total_ns) / timed; }
};

}  // namespace runnel::state

#pragma once

#include <cstdint>

namespace runnel::state {

// Calls, failed calls and time spent in one kind of store operation, as the metered store
// decorators count them (steady clock, nanoseconds).
struct OperationStats {
  std::uint64_t count = 0;
  std::uint64_t errors = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t max_ns = 0;

  double mean_ns() const { return count == 0 ? 0.0 : static_cast<double>(total_ns) / count; }
};

}  // namespace runnel::state

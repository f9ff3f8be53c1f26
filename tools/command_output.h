#pragma once

#include <cstdio>

#include "core/status.h"

namespace runnel::tools {

// Prints "runnel: <error>" to stderr and returns the exit code for a failed command (1).
inline int fail(const Status& status) {
  std::fprintf(stderr, "runnel: %s\n", status.to_string().c_str());
  return 1;
}

}  // namespace runnel::tools

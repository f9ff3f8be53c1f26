#pragma once

#include <compare>

#include "core/timestamp.h"

namespace runnel::state {

// A time window [start_ms, end_ms]. For a session both ends are inclusive timestamps of the
// session's first and last record; for a fixed-size window, end_ms = start_ms + size.
struct Window {
  Timestamp start_ms = 0;
  Timestamp end_ms = 0;

  friend bool operator==(const Window&, const Window&) = default;
  friend auto operator<=>(const Window&, const Window&) = default;
};

// A key together with the window it belongs to: the key type of windowed aggregations and of
// session stores.
template <typename K>
struct Windowed {
  K key;
  Window window;

  friend bool operator==(const Windowed&, const Windowed&) = default;
};

}  // namespace runnel::state

#pragma once

#include <optional>
#include <ostream>

namespace runnel {

// The value a KTable's processors pass downstream: the key's new value and the value it
// replaces. A null new_value is a tombstone (the key was deleted); a null old_value means
// the key had no value before (or the old value is not known).
template <typename V>
struct Change {
  std::optional<V> new_value;
  std::optional<V> old_value;

  friend bool operator==(const Change&, const Change&) = default;
};

template <typename V>
std::ostream& operator<<(std::ostream& os, const Change<V>& change) {
  os << "Change(new: ";
  if (change.new_value)
    os << *change.new_value;
  else
    os << "null";
  os << ", old: ";
  if (change.old_value)
    os << *change.old_value;
  else
    os << "null";
  return os << ")";
}

}  // namespace runnel

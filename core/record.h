#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/headers.h"
#include "core/timestamp.h"

namespace runnel {

// Where a record was read from. Known for records that came from a topic; absent for records
// made by an operator (a flat_map's outputs, a punctuator's forwards).
struct RecordPosition {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;

  friend bool operator==(const RecordPosition&, const RecordPosition&) = default;
};

// A typed record as it moves between the processors of one task: between nodes, values are
// C++ objects, not bytes; they are serialized once, at a sink or a store.
//
// A null key or value (std::nullopt) is distinct from an empty one everywhere: a KTable
// reads a null value as a tombstone, and an empty string is a value like any other.
template <typename K, typename V>
struct Record {
  std::optional<K> key;
  std::optional<V> value;
  Timestamp timestamp = kNoTimestamp;
  Headers headers;
  std::optional<RecordPosition> position;

  // A copy with another value and the same key, timestamp, headers and position; what
  // map_values-like operators forward.
  template <typename V2>
  Record<K, V2> with_value(std::optional<V2> new_value) const {
    return Record<K, V2>{key, std::move(new_value), timestamp, headers, position};
  }
  // A copy with another key and the same value, timestamp, headers and position.
  template <typename K2>
  Record<K2, V> with_key(std::optional<K2> new_key) const {
    return Record<K2, V>{std::move(new_key), value, timestamp, headers, position};
  }

  friend bool operator==(const Record&, const Record&) = default;
};

}  // namespace runnel

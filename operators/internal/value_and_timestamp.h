#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "core/bytes.h"
#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "operators/windows.h"

namespace runnel::internal {

// A stored aggregate with the largest timestamp of the records in it (Kafka Streams'
// ValueAndTimestamp). Sliding-window aggregations keep it per window: a record's timestamp
// is the largest of its left window, which is how the processor finds the records near a new
// one without a store of its own for them.
template <typename V>
struct ValueAndTimestamp {
  V value;
  Timestamp timestamp = 0;
};

// Store layout of ValueAndTimestamp<V>, as Kafka's ValueAndTimestampSerializer: the timestamp
// (8 bytes, big-endian), then the value's bytes.
template <typename V>
class ValueAndTimestampSerde final : public Serde<ValueAndTimestamp<V>> {
 public:
  explicit ValueAndTimestampSerde(std::shared_ptr<const Serde<V>> inner)
      : inner_(std::move(inner)) {}
  std::string_view name() const override { return "ValueAndTimestampSerde"; }
  Status serialize_to(const ValueAndTimestamp<V>& value, Bytes& out) const override {
    append_big_endian(out, value.timestamp);
    return inner_->serialize_to(value.value, out);
  }
  Result<ValueAndTimestamp<V>> deserialize(BytesView data) const override {
    if (data.size() < 8) return corruption_error("timestamped value shorter than 8 bytes");
    RUNNEL_ASSIGN_OR_RETURN(V value,
                            inner_->deserialize(BytesView(data.data() + 8, data.size() - 8)));
    return ValueAndTimestamp<V>{std::move(value), read_big_endian(data, 0)};
  }

 private:
  std::shared_ptr<const Serde<V>> inner_;
};

// The plain values of a store laid out as ValueAndTimestampSerde writes them: what a
// StoreDef records as the store's value serde, so that typed reads of the store (tests,
// tools) see aggregates, as Kafka's facades over timestamped stores do. A value written
// through it carries no timestamp (-1, Kafka's NO_TIMESTAMP).
template <typename V>
class ValueWithoutTimestampSerde final : public Serde<V> {
 public:
  explicit ValueWithoutTimestampSerde(std::shared_ptr<const Serde<V>> inner)
      : inner_(std::move(inner)) {}
  std::string_view name() const override { return "ValueWithoutTimestampSerde"; }
  Status serialize_to(const V& value, Bytes& out) const override {
    append_big_endian(out, -1);
    return inner_->serialize_to(value, out);
  }
  Result<V> deserialize(BytesView data) const override {
    if (data.size() < 8) return corruption_error("timestamped value shorter than 8 bytes");
    return inner_->deserialize(BytesView(data.data() + 8, data.size() - 8));
  }

 private:
  std::shared_ptr<const Serde<V>> inner_;
};

}  // namespace runnel::internal

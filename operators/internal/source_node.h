#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/record.h"
#include "core/serde.h"
#include "operators/consumed.h"
#include "operators/internal/processor_node.h"
#include "operators/timestamp_extractor.h"

namespace runnel::internal {

// The source of a sub-topology: deserializes each raw record with the topic's serdes (the one
// place besides sinks and stores where bytes become values), stamps it with the extracted
// timestamp, advances the task's stream time and forwards it.
template <typename K, typename V>
class SourceNode final : public SourceNodeBase, public Forwarder<K, V> {
 public:
  SourceNode(std::string name, std::shared_ptr<const Serde<K>> key_serde,
             std::shared_ptr<const Serde<V>> value_serde, TimestampExtractor<K, V> extractor)
      : SourceNodeBase(std::move(name)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        extractor_(std::move(extractor)) {}

  Status process_raw(const RawRecordView& raw, Status& deserialization_error) override {
    Result<std::optional<K>> key = key_serde_->deserialize_nullable(raw.key);
    if (!key.ok()) {
      deserialization_error = key.status().with_context("key");
      return ok_status();
    }
    Result<std::optional<V>> value = value_serde_->deserialize_nullable(raw.value);
    if (!value.ok()) {
      deserialization_error = value.status().with_context("value");
      return ok_status();
    }
    Record<K, V> record{std::move(*key), std::move(*value), raw.timestamp,
                        raw.headers != nullptr ? *raw.headers : Headers(),
                        RecordPosition{std::string(raw.topic), raw.partition, raw.offset}};
    if (extractor_) {
      record.timestamp = extractor_(record, context_->stream_time());
    } else {
      const DefaultTimestampExtractor kind = context_->default_timestamp_extractor();
      Result<Timestamp> timestamp =
          extract_timestamp(kind, raw.timestamp, context_->stream_time(),
                            kind == DefaultTimestampExtractor::kWallclockTimestampExtractor
                                ? context_->wall_clock_ms()
                                : 0);
      if (!timestamp.ok()) {
        return timestamp.status().with_context(std::string(raw.topic) + "-" +
                                               std::to_string(raw.partition) + " offset " +
                                               std::to_string(raw.offset));
      }
      record.timestamp = *timestamp;
    }
    if (record.timestamp < 0) {
      context_->record_dropped(name(), "invalid (negative) timestamp");
      return ok_status();
    }
    context_->observe_timestamp(record.timestamp);
    return this->forward(std::move(record));
  }

 private:
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  TimestampExtractor<K, V> extractor_;
};

}  // namespace runnel::internal

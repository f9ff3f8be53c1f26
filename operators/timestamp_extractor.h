#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/record.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace runnel {

// Chooses a record's timestamp from the deserialized record (whose `timestamp` is the one the
// topic carries) and the largest timestamp its task has seen so far (kNoTimestamp before the
// first). A negative result makes the task drop the record and count it as dropped, as Kafka
// Streams does. Called on the task's thread only. Set per source with Consumed.
template <typename K, typename V>
using TimestampExtractor =
    std::function<Timestamp(const Record<K, V>& record, Timestamp partition_time)>;

// The extractor a source without its own (Consumed::timestamp_extractor) uses: Kafka Streams'
// built-in extractors, chosen by the application's `default.timestamp.extractor`.
enum class DefaultTimestampExtractor : std::uint8_t {
  // The record's own timestamp; a negative one stops the task with an error naming the record
  // (Kafka's FailOnInvalidTimestamp, its default).
  kFailOnInvalidTimestamp,
  // The record's own timestamp; a record with a negative one is dropped, logged and counted.
  kLogAndSkipOnInvalidTimestamp,
  // The record's own timestamp; a negative one is replaced by the task's stream time, and the
  // record is dropped when there is none yet.
  kUsePartitionTimeOnInvalidTimestamp,
  // The wall-clock time at which the record is processed (processing-time semantics).
  kWallclockTimestampExtractor,
};

// Parses Kafka's class names (with or without the package org.apache.kafka.streams.processor.)
// and the short forms fail-on-invalid, log-and-skip-on-invalid, use-partition-time-on-invalid
// and wall-clock. InvalidArgument otherwise.
[[nodiscard]] Result<DefaultTimestampExtractor> parse_default_timestamp_extractor(
    std::string_view name);
const char* to_string(DefaultTimestampExtractor extractor);

// The timestamp `extractor` gives a record stamped `record_timestamp`: a negative result means
// drop the record; an InvalidArgument error means fail (kFailOnInvalidTimestamp only).
[[nodiscard]] Result<Timestamp> extract_timestamp(DefaultTimestampExtractor extractor,
                                                  Timestamp record_timestamp,
                                                  Timestamp partition_time,
                                                  std::int64_t wall_clock_ms);

}  // namespace runnel

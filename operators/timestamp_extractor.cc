#include "operators/timestamp_extractor.h"

#include <array>
#include <string>
#include <utility>

namespace runnel {
namespace {

struct ExtractorName {
  DefaultTimestampExtractor extractor;
  std::string_view class_name;
  std::string_view short_name;
};

constexpr std::array<ExtractorName, 4> kNames{{
    {DefaultTimestampExtractor::kFailOnInvalidTimestamp, "FailOnInvalidTimestamp",
     "fail-on-invalid"},
    {DefaultTimestampExtractor::kLogAndSkipOnInvalidTimestamp, "LogAndSkipOnInvalidTimestamp",
     "log-and-skip-on-invalid"},
    {DefaultTimestampExtractor::kUsePartitionTimeOnInvalidTimestamp,
     "UsePartitionTimeOnInvalidTimestamp", "use-partition-time-on-invalid"},
    {DefaultTimestampExtractor::kWallclockTimestampExtractor, "WallclockTimestampExtractor",
     "wall-clock"},
}};

constexpr std::string_view kKafkaPackage = "org.apache.kafka.streams.processor.";

}  // namespace

Result<DefaultTimestampExtractor> parse_default_timestamp_extractor(std::string_view name) {
  std::string_view bare = name;
  if (bare.starts_with(kKafkaPackage)) bare.remove_prefix(kKafkaPackage.size());
  for (const ExtractorName& n : kNames) {
    if (bare == n.class_name || bare == n.short_name) return n.extractor;
  }
  return invalid_argument_error(
      "unknown timestamp extractor '" + std::string(name) +
      "' (FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp, "
      "UsePartitionTimeOnInvalidTimestamp or WallclockTimestampExtractor)");
}

const char* to_string(DefaultTimestampExtractor extractor) {
  for (const ExtractorName& n : kNames) {
    if (n.extractor == extractor) return n.class_name.data();
  }
  return "?";
}

Result<Timestamp> extract_timestamp(DefaultTimestampExtractor extractor, Timestamp record_timestamp,
                                    Timestamp partition_time, std::int64_t wall_clock_ms) {
  switch (extractor) {
    case DefaultTimestampExtractor::kWallclockTimestampExtractor:
      return Timestamp{wall_clock_ms};
    case DefaultTimestampExtractor::kFailOnInvalidTimestamp:
      if (record_timestamp < 0) {
        return invalid_argument_error(
            "record has an invalid (negative) timestamp " + std::to_string(record_timestamp) +
            " (default.timestamp.extractor FailOnInvalidTimestamp; LogAndSkipOnInvalidTimestamp "
            "drops such records instead)");
      }
      return record_timestamp;
    case DefaultTimestampExtractor::kLogAndSkipOnInvalidTimestamp:
      return record_timestamp;
    case DefaultTimestampExtractor::kUsePartitionTimeOnInvalidTimestamp:
      return record_timestamp >= 0 ? record_timestamp : partition_time;
  }
  return record_timestamp;
}

}  // namespace runnel

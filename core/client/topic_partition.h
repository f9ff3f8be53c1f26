#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace runnel::client {

// One partition of one topic.
struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;

  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// A position in a partition: the offset of the next record to read, as Kafka commits it.
struct TopicPartitionOffset {
  TopicPartition topic_partition;
  std::int64_t offset = -1;
  std::string metadata;  // Carried with a commit; Kafka's OffsetAndMetadata.metadata.

  friend bool operator==(const TopicPartitionOffset&, const TopicPartitionOffset&) = default;
};

// Special offsets for Consumer::assign and seek, as librdkafka numbers them.
inline constexpr std::int64_t kOffsetBeginning = -2;
inline constexpr std::int64_t kOffsetEnd = -1;
// The group's committed offset, or auto.offset.reset when there is none.
inline constexpr std::int64_t kOffsetStored = -1000;
// No offset: nothing committed, nothing consumed yet.
inline constexpr std::int64_t kOffsetInvalid = -1001;

}  // namespace runnel::client

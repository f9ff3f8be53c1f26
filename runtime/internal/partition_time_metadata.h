#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace runnel::internal {

// The commit metadata that carries a task's stream time across a restart, in Kafka Streams'
// format (TopicPartitionMetadata): base64 of a version byte then the time as a big-endian
// 64-bit integer. Version 1 is written; version 2, which Kafka Streams 3.x writes with its
// processor metadata after the time, is read too (the processor metadata is ignored).
//
// Without it a restarted task's stream time starts unknown: the first record after the
// restart sets it, so a late record arriving first is accepted into a window that had
// closed before the restart, and stream-time punctuators and suppression wait for a record.
std::string encode_partition_time(Timestamp partition_time);

// The time in `metadata`; nullopt when it is empty or not in the format (metadata committed
// by another client of the group, or damaged): the caller then starts without one.
std::optional<Timestamp> decode_partition_time(std::string_view metadata);

}  // namespace runnel::internal

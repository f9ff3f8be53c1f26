#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace runnel::state {

// A partition of a topic, e.g. a store's changelog partition.
struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// The changelog topic of a store: <application.id>-<store>-changelog.
std::string changelog_topic_name(std::string_view application_id, std::string_view store_name);

// One write to a store as it goes to the store's changelog. Borrowed bytes, valid for the
// call only: a collector that buffers copies them.
struct ChangelogRecord {
  std::string_view topic;
  std::int32_t partition = 0;
  BytesView key;
  NullableBytesView value;  // Null: a tombstone (the key was deleted).
  Timestamp timestamp = kNoTimestamp;
};

// Where change-logging stores send their writes: the runtime implements it over the task's
// record collector (a Kafka producer); tests implement it over a vector. Called from the
// thread that owns the store. An error returned fails the store write that caused it.
class ChangelogCollector {
 public:
  virtual ~ChangelogCollector() = default;
  [[nodiscard]] virtual Status send(const ChangelogRecord& record) = 0;
};

// The timestamp of the record being processed, which a changelog record carries (Kafka
// Streams uses the processor context's timestamp). The runtime supplies its task's.
using TimestampSupplier = std::function<Timestamp()>;

}  // namespace runnel::state

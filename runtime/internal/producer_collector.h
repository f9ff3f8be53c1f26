#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/client/admin.h"
#include "core/client/producer.h"
#include "core/result.h"
#include "operators/internal/task_context.h"

namespace runnel::internal {

// The partition count of each topic an application writes, asked of the cluster once and
// remembered. Shared by the application's threads; thread-safe.
class TopicPartitionCounts {
 public:
  // `admin` is borrowed and must outlive this object.
  explicit TopicPartitionCounts(client::Admin& admin) : admin_(admin) {}

  // Records a count already known (the internal topics the application created).
  void put(const std::string& topic, std::int32_t partitions);
  // The count of `topic`; NotFound when the cluster does not have it.
  [[nodiscard]] Result<std::int32_t> get(const std::string& topic);

 private:
  client::Admin& admin_;
  std::mutex mutex_;
  std::map<std::string, std::int32_t> counts_;  // Guarded by mutex_.
};

// Sinks' output to a librdkafka producer: a sink's own partitioner result is used as it is,
// a keyed record otherwise goes where Kafka's default partitioner (murmur2 of the key) puts
// it, so that a Java or Runnel consumer of the same key agrees; a keyless record goes to the
// producer's choice. Broker-side failures surface in Producer::flush(), which the committing
// thread calls. Owned by a StreamThread and used by its thread only.
class ProducerCollector final : public RecordCollector {
 public:
  // Both borrowed; must outlive the collector.
  ProducerCollector(client::Producer& producer, TopicPartitionCounts& counts)
      : producer_(producer), counts_(counts) {}

  [[nodiscard]] Status send(const std::string& topic, NullableBytesView key,
                            NullableBytesView value, Timestamp timestamp, const Headers& headers,
                            std::optional<std::int32_t> partition) override;
  std::int32_t partition_count(const std::string& topic) override;

 private:
  // The shared counts behind a thread-local copy, so that a send takes no lock.
  [[nodiscard]] Result<std::int32_t> count_of(const std::string& topic);

  client::Producer& producer_;
  TopicPartitionCounts& counts_;
  std::map<std::string, std::int32_t, std::less<>> local_counts_;
  // A failure of partition_count() (whose signature has no Status), returned by the next send.
  Status deferred_;
};

}  // namespace runnel::internal

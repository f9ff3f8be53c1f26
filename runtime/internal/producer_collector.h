#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/client/admin.h"
#include "core/client/producer.h"
#include "core/client/topic_partition.h"
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
// thread calls. For changelog topics it keeps the last acknowledged offset per partition, which
// checkpoints record. Owned by a StreamThread and used by its thread only (delivery reports
// run inside the producer's flush, on that thread).
//
// Under exactly_once_v2 (set_transactional) the producer is transactional and send() begins
// a transaction before the first record after a commit or an abort (Kafka Streams'
// maybeBeginTransaction); the thread ends it with commit_transaction / abort_transaction and
// tells the collector (transaction_ended).
class ProducerCollector final : public RecordCollector {
 public:
  // Both borrowed; must outlive the collector.
  // `changelog_topics`: full names of the application's changelog topics.
  ProducerCollector(client::Producer& producer, TopicPartitionCounts& counts,
                    std::set<std::string, std::less<>> changelog_topics)
      : producer_(&producer), counts_(counts), changelog_topics_(std::move(changelog_topics)) {
    track_changelogs();
  }

  [[nodiscard]] Status send(const std::string& topic, NullableBytesView key,
                            NullableBytesView value, Timestamp timestamp, const Headers& headers,
                            std::optional<std::int32_t> partition) override;
  std::int32_t partition_count(const std::string& topic) override;

  // Per changelog partition, the largest offset the brokers acknowledged so far (through
  // every producer this collector has sent with, since the last aborted transaction).
  std::map<client::TopicPartition, std::int64_t> acknowledged_changelog_offsets();

  // Sends through `producer` from now on (a fenced producer is replaced by a new one);
  // borrowed, must outlive the collector or be replaced again. The old producer may already
  // be gone: what it acknowledged since the last acknowledged_changelog_offsets() is not
  // asked for (a replaced producer's transaction was aborted, which forgets it anyway).
  void set_producer(client::Producer& producer);
  void set_transactional(bool transactional) { transactional_ = transactional; }
  // Transactional only: begins a transaction unless one is open. Errors as
  // Producer::begin_transaction.
  [[nodiscard]] Status begin_transaction_if_needed();
  // Whether a transaction is open (begun and not yet ended).
  bool in_transaction() const { return in_transaction_; }
  // The open transaction committed (`aborted` false) or was aborted. An abort also forgets
  // the changelog offsets acknowledged inside it: they are not part of any store's state.
  void transaction_ended(bool aborted);

 private:
  // The shared counts behind a thread-local copy, so that a send takes no lock.
  [[nodiscard]] Result<std::int32_t> count_of(const std::string& topic);

  // Has the producer remember the changelog partitions' acknowledged offsets (no callback
  // per record: a changelog record is the hot path of every store write).
  void track_changelogs();
  // Moves the producer's acknowledged offsets into acknowledged_.
  void collect_acknowledged();

  client::Producer* producer_;  // Never null.
  bool transactional_ = false;
  bool in_transaction_ = false;
  TopicPartitionCounts& counts_;
  std::map<std::string, std::int32_t, std::less<>> local_counts_;
  const std::set<std::string, std::less<>> changelog_topics_;
  // What earlier producers and earlier collect_acknowledged() calls gathered.
  std::map<client::TopicPartition, std::int64_t> acknowledged_;
  // A failure of partition_count() (whose signature has no Status), returned by the next send.
  Status deferred_;
};

}  // namespace runnel::internal

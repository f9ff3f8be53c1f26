#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/client/client_config.h"
#include "core/client/consumer_group_metadata.h"
#include "core/client/consumer_record.h"
#include "core/client/internal/rdkafka_handle.h"
#include "core/client/topic_partition.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace runnel::client {

// Hears partitions come and go when a subscribed consumer's group rebalances. Called on the
// thread inside Consumer::poll(), before the consumer starts reading newly assigned
// partitions and before it gives up revoked ones, so a revoke handler may still commit.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void on_partitions_assigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void on_partitions_revoked(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions taken away without a chance to commit (the session timed out): their
  // positions may already belong to another member. Defaults to a revoke.
  virtual void on_partitions_lost(const std::vector<TopicPartition>& partitions) {
    on_partitions_revoked(partitions);
  }
};

// A Kafka consumer: librdkafka's high-level consumer. Reads partitions it is assigned by
// its group (subscribe, needs "group.id") or that the caller names (assign). Offsets are
// committed only when the caller says so unless "enable.auto.commit" is set.
//
// Thread safety: one thread uses a Consumer (Kafka's rule for KafkaConsumer).
class Consumer {
 public:
  // Where fetched records wait until the caller takes them.
  enum class Queueing {
    // In one queue for every partition, in fetch order (librdkafka's default), for poll().
    // A partition with a backlog fetched ahead holds up other partitions' records behind it.
    kShared,
    // In a queue per assigned partition, for poll_partitions(): the caller takes from each
    // partition what it has room for, and one partition's backlog never holds up another's
    // records. librdkafka's queued.min.messages and queued.max.messages.kbytes then bound each
    // partition's queue rather than the shared one.
    kPerPartition,
  };

  // A consumer with `config` (librdkafka property names). `listener`, when given, must
  // outlive the consumer. Does not contact the brokers.
  [[nodiscard]] static Result<std::unique_ptr<Consumer>> create(
      const ClientConfig& config, RebalanceListener* listener = nullptr,
      Queueing queueing = Queueing::kShared);

  // Leaves the group (as close()) if still in it.
  ~Consumer();

  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Joins the group and follows its assignment of `topics`' partitions.
  [[nodiscard]] Status subscribe(const std::vector<std::string>& topics);
  // Reads exactly these partitions from these offsets (or kOffsetBeginning, kOffsetEnd,
  // kOffsetStored), with no group management. Replaces any earlier assignment.
  [[nodiscard]] Status assign(const std::vector<TopicPartitionOffset>& partitions);
  // The partitions currently assigned, by the group or by assign().
  [[nodiscard]] Result<std::vector<TopicPartition>> assignment() const;

  // Up to `max_records` records, waiting up to `timeout` for the first; an empty batch when
  // none came. Rebalance callbacks run inside. Reaching the end of a partition is not an
  // error. A consumer error (an unknown topic, a fatal client error) is returned once, after
  // the records read before it.
  [[nodiscard]] Result<std::vector<ConsumerRecord>> poll(std::chrono::milliseconds timeout,
                                                         std::size_t max_records = 500);
  // Queueing::kPerPartition only (InvalidArgument otherwise). Serves the consumer's events
  // (rebalance callbacks run inside), then takes up to `room(partition)` records (0: none)
  // from the queue of each assigned partition, each partition's in offset order, one
  // partition after another. Waits up to `timeout` while none of the partitions with room
  // has a record. Reaching the end of a partition is not an error; a consumer error is
  // returned once, after the records read before it.
  [[nodiscard]] Result<std::vector<ConsumerRecord>> poll_partitions(
      std::chrono::milliseconds timeout,
      const std::function<std::size_t(const TopicPartition&)>& room);

  // Commits `offsets` (each the next offset to read) for the group, waiting for the answer.
  [[nodiscard]] Status commit(const std::vector<TopicPartitionOffset>& offsets);
  // The group's committed offsets for `partitions` (-1001 when none), waiting up to `timeout`.
  [[nodiscard]] Result<std::vector<TopicPartitionOffset>> committed(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) const;

  // Moves the read position of an assigned partition.
  [[nodiscard]] Status seek(const TopicPartition& partition, std::int64_t offset,
                            std::chrono::milliseconds timeout);
  [[nodiscard]] Status pause(const std::vector<TopicPartition>& partitions);
  [[nodiscard]] Status resume(const std::vector<TopicPartition>& partitions);

  // The log start offset and the high watermark of `partition`, asked of the broker.
  [[nodiscard]] Result<std::pair<std::int64_t, std::int64_t>> watermark_offsets(
      const TopicPartition& partition, std::chrono::milliseconds timeout) const;
  // The high watermark of `partition` as the last fetch response reported it, without asking
  // the broker; -1 when no fetch has answered yet. For lag metrics on the polling thread.
  [[nodiscard]] Result<std::int64_t> cached_high_watermark(const TopicPartition& partition) const;
  // The first offset whose timestamp is at or after `timestamp`; the high watermark if none.
  [[nodiscard]] Result<std::int64_t> offset_for_time(const TopicPartition& partition,
                                                     Timestamp timestamp,
                                                     std::chrono::milliseconds timeout) const;

  // The next offset this consumer returns for `partition` (one past the last record or
  // transaction marker it consumed: under read_committed, markers and aborted records occupy
  // offsets that poll() never returns, and the position moves past them); kOffsetInvalid
  // (-1001) before anything was consumed from it. Local: asks no broker.
  [[nodiscard]] Result<std::int64_t> position(const TopicPartition& partition) const;

  // The group membership as of now (group id, generation, member id, group.instance.id),
  // for Producer::send_offsets_to_transaction. Fails on a consumer without "group.id".
  [[nodiscard]] Result<ConsumerGroupMetadata> group_metadata() const;

  // Leaves the group (revoking through the listener) and stops fetching. Idempotent. A static
  // member (group.instance.id set) does not leave: librdkafka (2.0) sends no LeaveGroup for
  // it, so its partitions stay with it until it rejoins or session.timeout.ms passes.
  [[nodiscard]] Status close();

 private:
  // What librdkafka's rebalance callback needs; made before the handle, whose opaque it is.
  struct RebalanceContext {
    RebalanceListener* listener = nullptr;
    Consumer* consumer = nullptr;  // Set once the Consumer exists.
  };
  struct QueueDeleter {
    void operator()(rd_kafka_queue_t* queue) const;
  };
  using QueueHandle = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

  Consumer(internal::RdKafkaHandle handle, std::unique_ptr<RebalanceContext> context,
           Queueing queueing);
  static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  // kPerPartition: gives each of `partitions` a queue of its own, before they are assigned
  // (so that librdkafka never forwards their records to the shared queue).
  void attach_partition_queues(const rd_kafka_topic_partition_list_t* partitions);
  // kPerPartition: lets go of the queues of `partitions` (null: of every partition).
  void detach_partition_queues(const rd_kafka_topic_partition_list_t* partitions);
  // Appends what `message` holds to `records`; false on an error, kept in deferred_error_.
  bool take(internal::RdKafkaMessage message, std::vector<ConsumerRecord>& records);
  // Empties the wake-up pipe.
  void drain_wakeups() const;

  internal::RdKafkaHandle handle_;
  std::unique_ptr<RebalanceContext> context_;
  Queueing queueing_;
  // kPerPartition: the queue of each assigned partition, and the consumer queue (events),
  // all of which write a byte to wake_write_ when a record or event lands in them empty.
  std::map<TopicPartition, QueueHandle> partition_queues_;
  QueueHandle consumer_queue_;
  int wake_read_ = -1;
  int wake_write_ = -1;
  // An error met while a batch was being filled, returned by the next poll().
  Status deferred_error_;
  bool closed_ = false;
};

}  // namespace runnel::client

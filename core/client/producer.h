#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/client/client_config.h"
#include "core/client/consumer_group_metadata.h"
#include "core/client/internal/rdkafka_handle.h"
#include "core/client/topic_partition.h"
#include "core/headers.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace runnel::client {

// Lets the producer's partitioner choose the partition from the key.
inline constexpr std::int32_t kAnyPartition = -1;

// One record to send. Views only: send() copies what it needs before it returns.
struct OutgoingRecord {
  std::string_view topic;
  std::int32_t partition = kAnyPartition;
  NullableBytesView key;
  NullableBytesView value;             // nullopt: a tombstone, distinct from an empty value.
  Timestamp timestamp = kNoTimestamp;  // kNoTimestamp: the producer's wall clock.
  const Headers* headers = nullptr;
};

// What became of one sent record.
struct DeliveryReport {
  Status status;  // OK: acknowledged as the producer's `acks` setting asks.
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;  // -1 when not known (failed, or acks=0).
};
using DeliveryCallback = std::function<void(const DeliveryReport&)>;

// A Kafka producer: librdkafka's, with records batched per partition and sent in the
// background. Works against runneld and any Kafka cluster.
//
// Transactions (KIP-98, with KIP-447's group metadata): a producer made with
// "transactional.id" calls init_transactions() once, then for each transaction
// begin_transaction() → send()… → send_offsets_to_transaction() → commit_transaction() (or
// abort_transaction()). Records sent inside a transaction, and the consumer offsets sent with
// it, become visible to read_committed consumers together, or never. Sending outside a
// transaction fails. The transactional calls' errors say what the caller may do next:
//   - Timeout / Unavailable (is_retryable): call the same method again;
//   - Aborted: the transaction cannot commit (a send failed, the group moved on); call
//     abort_transaction() and start a new one from the last committed state;
//   - Fenced: another producer with this transactional.id took over (PRODUCER_FENCED,
//     INVALID_PRODUCER_EPOCH, or the transaction outlived transaction.timeout.ms); this
//     producer can do nothing more and must be destroyed;
//   - anything else (InvalidArgument for a call in the wrong state or without
//     transactional.id, Internal for another fatal error): this producer cannot go on; see
//     fatal_error().
//
// Thread safety: send() may be called from several threads at once. Delivery callbacks run
// on whichever thread is inside poll() or flush() at the time. The transactional calls are
// made by one thread at a time (librdkafka refuses concurrent ones).
class Producer {
 public:
  // A producer with `config` (librdkafka property names; "bootstrap.servers" at least).
  // "partitioner" defaults to "murmur2_random", Java's partitioner, not librdkafka's CRC32:
  // keyed records land on the partitions Kafka Streams and Java producers choose. Fails on a
  // property librdkafka refuses; does not contact the brokers.
  [[nodiscard]] static Result<std::unique_ptr<Producer>> create(const ClientConfig& config);

  // Drops whatever was not yet delivered, without waiting: call flush() first to keep it.
  ~Producer();

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `record` for sending; `on_delivery`, when given, hears its fate. Blocks (serving
  // deliveries) while the local queue is full. Fails at once for a record the client refuses
  // (too large, unknown partition of a known topic); broker-side failures arrive as delivery
  // reports and as flush()'s result.
  [[nodiscard]] Status send(const OutgoingRecord& record, DeliveryCallback on_delivery = {});

  // Serves delivery reports that have arrived, waiting up to `timeout` for the first.
  void poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Waits until every record sent so far is delivered or has failed. OK only if all were
  // delivered and none failed since the previous flush(); otherwise the first failure (with
  // its topic and partition), or a timeout_error with the number still in flight.
  [[nodiscard]] Status flush(std::chrono::milliseconds timeout);

  // Records sent and not yet delivered or failed.
  std::int64_t in_flight() const;

  // From now on, remembers per partition of `topic` the largest offset the brokers
  // acknowledged for a record sent there (acknowledged_offsets()): what a changelog writer
  // checkpoints, without a DeliveryCallback per record. Idempotent.
  void track_acknowledged_offsets(std::string_view topic);
  // For each partition of a tracked topic that had a record acknowledged since the last
  // clear_acknowledged_offsets(), the largest such offset. Reports are counted once they
  // have been served (poll, flush, commit_transaction).
  [[nodiscard]] std::map<TopicPartition, std::int64_t> acknowledged_offsets() const;
  void clear_acknowledged_offsets();

  // Registers the transactional.id with its coordinator: aborts or completes any transaction
  // a previous producer with the same id left open and fences that producer (its later
  // writes fail). Call once, before the first transaction; waits up to `timeout` (a Timeout
  // may be retried with another call).
  [[nodiscard]] Status init_transactions(std::chrono::milliseconds timeout);
  // Starts a transaction locally (the coordinator hears of it with the first send).
  [[nodiscard]] Status begin_transaction();
  // Adds the consumer positions `offsets` (each the next offset to read) of the group that
  // `group` describes to the current transaction: they commit with it, or not at all.
  [[nodiscard]] Status send_offsets_to_transaction(const std::vector<TopicPartitionOffset>& offsets,
                                                   const ConsumerGroupMetadata& group,
                                                   std::chrono::milliseconds timeout);
  // Flushes what is in flight, then commits the current transaction. OK: every record sent in
  // it is written and visible to read_committed consumers, with the offsets sent with it.
  [[nodiscard]] Status commit_transaction(std::chrono::milliseconds timeout);
  // Aborts the current transaction: its records are never visible to read_committed
  // consumers, its offsets not committed. Records still queued are purged.
  [[nodiscard]] Status abort_transaction(std::chrono::milliseconds timeout);

  // The error that made this producer unusable (Fenced when fenced), or OK while it works.
  [[nodiscard]] Status fatal_error() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  // What the delivery reports tell: the first failure since the last flush(), and the
  // acknowledged offsets of tracked topics. It is librdkafka's opaque, so it must exist
  // before the handle: it lives apart from the Producer, which owns it.
  struct FailureLog {
    std::mutex mutex;
    Status first;  // Guarded by mutex.
    // Tracked topic -> largest acknowledged offset by partition (-1: none). Guarded by mutex.
    StringMap<std::vector<std::int64_t>> acknowledged;
  };

  Producer(std::unique_ptr<FailureLog> failures, internal::RdKafkaHandle handle)
      : failures_(std::move(failures)), handle_(std::move(handle)) {}
  static void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  // librdkafka's handle for `topic`, made on first use and kept: producing by name would
  // look the topic up (under librdkafka's lock) and copy its name for every record.
  rd_kafka_topic_t* topic_handle(std::string_view topic);

  // Declared first: destroyed after the handle, whose last reports may still touch it.
  std::unique_ptr<FailureLog> failures_;
  internal::RdKafkaHandle handle_;
  std::mutex topics_mutex_;
  StringMap<rd_kafka_topic_t*> topics_;  // Guarded by topics_mutex_; destroyed with the producer.
};

}  // namespace runnel::client

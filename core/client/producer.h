#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/client/client_config.h"
#include "core/client/internal/rdkafka_handle.h"
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
// Thread safety: send() may be called from several threads at once. Delivery callbacks run
// on whichever thread is inside poll() or flush() at the time.
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

 private:
  // The first delivery failure since the last flush(). It is librdkafka's opaque, so it
  // must exist before the handle: it lives apart from the Producer, which owns it.
  struct FailureLog {
    std::mutex mutex;
    Status first;  // Guarded by mutex.
  };

  Producer(std::unique_ptr<FailureLog> failures, internal::RdKafkaHandle handle)
      : failures_(std::move(failures)), handle_(std::move(handle)) {}
  static void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);

  // Declared first: destroyed after the handle, whose last reports may still touch it.
  std::unique_ptr<FailureLog> failures_;
  internal::RdKafkaHandle handle_;
};

}  // namespace runnel::client

#pragma once

#include <cstdint>

namespace runnel::broker {

// Why an append was refused. The values are Kafka's error codes, so that a request handler
// can send them as they are.
enum class AppendError : int16_t {
  kNone = 0,
  kCorruptMessage = 2,    // bad lengths or CRC, unknown compression codec
  kMessageTooLarge = 10,  // a batch above the topic's max.message.bytes
  kRecordListTooLarge = 18,
  kInvalidTimestamp = 32,
  kUnsupportedForMessageFormat = 43,  // magic 0 or 1: only record batches (v2) are stored
  kOutOfOrderSequenceNumber = 45,     // an idempotent producer's batch after a gap
  kInvalidProducerEpoch = 47,         // an idempotent producer's batch from an older epoch
  kKafkaStorageError = 56,            // the disk refused the write (full, I/O error)
  kInvalidRecord = 87,                // a control batch from a client, inconsistent counts
};

}  // namespace runnel::broker

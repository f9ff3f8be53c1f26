#pragma once

#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/client/internal/rdkafka_handle.h"
#include "core/headers.h"
#include "core/timestamp.h"

namespace runnel::client {

// One record read from a partition. Owns librdkafka's message; key(), value() and topic()
// are views into it, valid while this object lives: no copy is made on the consume path.
// Move-only. A record must be destroyed before the Consumer that returned it: librdkafka's
// client waits, when it is destroyed, for every message it handed out.
class ConsumerRecord {
 public:
  explicit ConsumerRecord(internal::RdKafkaMessage message) : message_(std::move(message)) {}

  std::string_view topic() const { return rd_kafka_topic_name(message_->rkt); }
  std::int32_t partition() const { return message_->partition; }
  std::int64_t offset() const { return message_->offset; }
  // The record's timestamp (CreateTime or LogAppendTime, as the topic says), or kNoTimestamp.
  Timestamp timestamp() const {
    rd_kafka_timestamp_type_t type;
    const int64_t ts = rd_kafka_message_timestamp(message_.get(), &type);
    return type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? kNoTimestamp : ts;
  }
  // nullopt for a null key or value, distinct from an empty one.
  NullableBytesView key() const {
    if (message_->key == nullptr) return std::nullopt;
    return BytesView(static_cast<const uint8_t*>(message_->key), message_->key_len);
  }
  NullableBytesView value() const {
    if (message_->payload == nullptr) return std::nullopt;
    return BytesView(static_cast<const uint8_t*>(message_->payload), message_->len);
  }
  // The record's headers, copied out in wire order.
  Headers headers() const;

 private:
  internal::RdKafkaMessage message_;
};

}  // namespace runnel::client

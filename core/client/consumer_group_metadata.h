#pragma once

#include <memory>
#include <string>

#include "core/client/internal/rdkafka_handle.h"
#include "core/result.h"

namespace runnel::client {

// A consumer's group membership as a transaction needs it (KIP-447): group id, generation,
// member id and group.instance.id. Handed to Producer::send_offsets_to_transaction, whose
// coordinator refuses the offsets when the generation is no longer current, so that a member
// the group has moved on from (a zombie) cannot commit input offsets it no longer owns.
//
// A snapshot: taken from Consumer::group_metadata() after the last rebalance, it does not
// follow later ones. Move-only; thread-compatible.
class ConsumerGroupMetadata {
 public:
  // Metadata naming only `group_id`, with no generation or member (the broker then checks
  // nothing but the group): for tests and for producers outside a group.
  [[nodiscard]] static ConsumerGroupMetadata for_group(const std::string& group_id) {
    return ConsumerGroupMetadata(
        internal::RdKafkaGroupMetadata(rd_kafka_consumer_group_metadata_new(group_id.c_str())));
  }

  ConsumerGroupMetadata(ConsumerGroupMetadata&&) noexcept = default;
  ConsumerGroupMetadata& operator=(ConsumerGroupMetadata&&) noexcept = default;

  // librdkafka's handle, owned by this object.
  const rd_kafka_consumer_group_metadata_t* get() const { return metadata_.get(); }

 private:
  friend class Consumer;
  explicit ConsumerGroupMetadata(internal::RdKafkaGroupMetadata metadata)
      : metadata_(std::move(metadata)) {}

  internal::RdKafkaGroupMetadata metadata_;
};

}  // namespace runnel::client

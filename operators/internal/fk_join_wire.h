#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/big_endian.h"
#include "core/bytes.h"
#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"

// What the two sides of a foreign-key table join (KTable::join with a foreign-key extractor,
// KIP-213) send each other through their internal topics, and how it is laid out in bytes:
// - a subscription (left side -> foreign side, keyed by the foreign key, in
//   <app>-...-SUBSCRIPTION-REGISTRATION-<n>-topic): which left key subscribes to (or
//   unsubscribes from) a foreign key, and a hash of the left value it was made for;
// - a response (foreign side -> left side, keyed by the left key, in
//   <app>-...-SUBSCRIPTION-RESPONSE-<n>-topic): the foreign value, with the hash of the
//   subscription it answers, so that the left side drops answers to values it no longer has.
// Both formats start with a version byte so that they can grow.

namespace runnel::internal {

// A 128-bit hash of a serialized left value (XXH3-128), or none for a deleted value.
using ValueHash = std::array<std::uint8_t, 16>;
ValueHash hash_value(BytesView serialized);

template <typename T>
void append_int_be(T value, Bytes& out) {
  std::uint8_t buffer[sizeof(T)];
  store_big_endian(buffer, value);
  out.append(BytesView(buffer, sizeof(T)));
}

// [has hash][hash, 16 bytes if present]
inline void append_hash(const std::optional<ValueHash>& hash, Bytes& out) {
  out.push_back(hash ? 1 : 0);
  if (hash) out.append(BytesView(hash->data(), hash->size()));
}
inline Result<std::optional<ValueHash>> read_hash(BytesView data, std::size_t& at) {
  if (data.size() < at + 1) return corruption_error("fk-join: truncated hash");
  if (data[at++] == 0) return std::optional<ValueHash>();
  if (data.size() < at + 16) return corruption_error("fk-join: truncated hash");
  ValueHash hash;
  for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = data[at + i];
  at += 16;
  return std::optional<ValueHash>(hash);
}

// What the foreign side does with a subscription (Kafka's SubscriptionWrapper.Instruction).
enum class SubscriptionInstruction : std::uint8_t {
  // The left key left this foreign key and was deleted: unsubscribe, and answer with no
  // foreign value so that the left side deletes (or, left join, re-joins) its result.
  kDeleteKeyAndPropagate = 0,
  // The left key moved to another foreign key: unsubscribe silently; the new foreign key's
  // answer updates the result.
  kDeleteKeyNoPropagate = 1,
  // Subscribe, and answer even when the foreign key has no value (a left join's null right
  // side, or an inner join's deletion of a result the previous foreign key made).
  kPropagateNullIfNoForeignValue = 2,
  // Subscribe, and answer only when the foreign key has a value (a new inner-join key).
  kPropagateOnlyIfForeignValue = 3,
};

template <typename K>
struct SubscriptionWrapper {
  SubscriptionInstruction instruction = SubscriptionInstruction::kPropagateNullIfNoForeignValue;
  std::optional<ValueHash> hash;       // Of the left value after the change; none when deleted.
  std::int32_t primary_partition = 0;  // The left task's partition: where the answer goes.
  K primary_key{};
};

template <typename VO>
struct SubscriptionResponse {
  std::optional<ValueHash> hash;  // The hash of the subscription answered.
  std::int32_t primary_partition = 0;
  std::optional<VO> foreign_value;
};

// Layout: [version 0][instruction][has hash][hash, 16 bytes if present][partition, int32 BE]
// [primary key, the rest].
template <typename K>
class SubscriptionWrapperSerde final : public Serde<SubscriptionWrapper<K>> {
 public:
  explicit SubscriptionWrapperSerde(std::shared_ptr<const Serde<K>> key_serde)
      : key_serde_(std::move(key_serde)) {}
  std::string_view name() const override { return "fk-join-subscription"; }
  Status serialize_to(const SubscriptionWrapper<K>& value, Bytes& out) const override {
    out.push_back(0);
    out.push_back(static_cast<std::uint8_t>(value.instruction));
    append_hash(value.hash, out);
    append_int_be(value.primary_partition, out);
    return key_serde_->serialize_to(value.primary_key, out);
  }
  Result<SubscriptionWrapper<K>> deserialize(BytesView data) const override {
    if (data.size() < 3 || data[0] != 0 || data[1] > 3) {
      return corruption_error("fk-join subscription: unknown version or instruction");
    }
    SubscriptionWrapper<K> out;
    out.instruction = static_cast<SubscriptionInstruction>(data[1]);
    std::size_t at = 2;
    RUNNEL_ASSIGN_OR_RETURN(out.hash, read_hash(data, at));
    if (data.size() < at + 4) return corruption_error("fk-join subscription: truncated");
    out.primary_partition = load_big_endian<std::int32_t>(data.data() + at);
    at += 4;
    RUNNEL_ASSIGN_OR_RETURN(out.primary_key, key_serde_->deserialize(data.subview(at)));
    return out;
  }

 private:
  std::shared_ptr<const Serde<K>> key_serde_;
};

// Layout: [version 0][has hash][hash, 16 bytes if present][partition, int32 BE][has value]
// [foreign value, the rest].
template <typename VO>
class SubscriptionResponseSerde final : public Serde<SubscriptionResponse<VO>> {
 public:
  explicit SubscriptionResponseSerde(std::shared_ptr<const Serde<VO>> value_serde)
      : value_serde_(std::move(value_serde)) {}
  std::string_view name() const override { return "fk-join-response"; }
  Status serialize_to(const SubscriptionResponse<VO>& value, Bytes& out) const override {
    out.push_back(0);
    append_hash(value.hash, out);
    append_int_be(value.primary_partition, out);
    out.push_back(value.foreign_value ? 1 : 0);
    if (!value.foreign_value) return ok_status();
    return value_serde_->serialize_to(*value.foreign_value, out);
  }
  Result<SubscriptionResponse<VO>> deserialize(BytesView data) const override {
    if (data.empty() || data[0] != 0) return corruption_error("fk-join response: unknown version");
    SubscriptionResponse<VO> out;
    std::size_t at = 1;
    RUNNEL_ASSIGN_OR_RETURN(out.hash, read_hash(data, at));
    if (data.size() < at + 5) return corruption_error("fk-join response: truncated");
    out.primary_partition = load_big_endian<std::int32_t>(data.data() + at);
    at += 4;
    if (data[at++] != 0) {
      RUNNEL_ASSIGN_OR_RETURN(VO value, value_serde_->deserialize(data.subview(at)));
      out.foreign_value = std::move(value);
    }
    return out;
  }

 private:
  std::shared_ptr<const Serde<VO>> value_serde_;
};

// The subscription store's keys: [foreign key length, uint32 BE][foreign key][primary key],
// so that every subscription of one foreign key is one prefix scan.
inline Bytes subscription_prefix(BytesView foreign_key) {
  Bytes out;
  append_int_be(static_cast<std::uint32_t>(foreign_key.size()), out);
  out.append(foreign_key);
  return out;
}
inline Bytes subscription_store_key(BytesView foreign_key, BytesView primary_key) {
  Bytes out = subscription_prefix(foreign_key);
  out.append(primary_key);
  return out;
}

}  // namespace runnel::internal

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/record.h"
#include "core/serde.h"

namespace runnel {

// Chooses the partition of an outgoing record from its typed key and value (either may be
// null) and the topic's partition count; std::nullopt leaves the choice to the default
// partitioner (murmur2 of the serialized key, as Kafka's producer does). Runs on the task's
// thread.
template <typename K, typename V>
using StreamPartitioner = std::function<std::optional<std::int32_t>(
    const std::string& topic, const std::optional<K>& key, const std::optional<V>& value,
    std::int32_t num_partitions)>;

// Chooses the topic of an outgoing record: KStream::to with a function of the record.
template <typename K, typename V>
using TopicNameExtractor = std::function<std::string(const Record<K, V>& record)>;

// How KStream::to writes a topic: serdes (null means the stream's serde when it knows one,
// else the type's DefaultSerde), an optional partitioner and an optional sink name.
template <typename K, typename V>
struct Produced {
  std::shared_ptr<const Serde<K>> key_serde;
  std::shared_ptr<const Serde<V>> value_serde;
  StreamPartitioner<K, V> partitioner;
  std::string name;

  static Produced with(std::shared_ptr<const Serde<K>> key_serde,
                       std::shared_ptr<const Serde<V>> value_serde) {
    return Produced{std::move(key_serde), std::move(value_serde), {}, {}};
  }
};

}  // namespace runnel

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/serde.h"
#include "operators/produced.h"

namespace runnel {

// How KStream::repartition writes and reads back its internal topic
// `<application.id>-<name>-repartition`: the name (generated as KSTREAM-REPARTITION-<n> when
// empty), the partition count (std::nullopt: the same as the upstream input; 1 in the
// TopologyTestDriver), serdes (null: the stream's, else the DefaultSerde) and a partitioner.
template <typename K, typename V>
struct Repartitioned {
  std::string name;
  std::optional<std::int32_t> partitions;
  std::shared_ptr<const Serde<K>> key_serde;
  std::shared_ptr<const Serde<V>> value_serde;
  StreamPartitioner<K, V> partitioner;

  static Repartitioned as(std::string name) {
    Repartitioned r;
    r.name = std::move(name);
    return r;
  }
  Repartitioned&& with_partitions(std::int32_t n) && {
    partitions = n;
    return std::move(*this);
  }
};

}  // namespace runnel

#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/serde.h"

namespace runnel {

namespace internal {
class BuilderState;
}  // namespace internal

// A table holding every partition of its topic in every application instance (Kafka
// Streams' GlobalKTable), made by StreamsBuilder::global_table. Per key the latest value; a
// null value deletes the key. Streams join it with KStream::join / left_join and a key
// selector, so the stream needs no co-partitioning with the table's topic and no
// repartitioning: the lookup key may be any function of the record.
//
// Its store is kept up to date by the runtime's global state maintainer (in KafkaStreams a
// thread of its own, which bootstraps it from the whole topic before any task processes; in
// the TopologyTestDriver at once, as records are piped). Its topic is its changelog: the
// store has no changelog topic. Updates of the table never produce output.
//
// A cheap handle; it holds no reference to its builder.
template <typename K, typename V>
class GlobalKTable {
 public:
  using Key = K;
  using Value = V;

  // The name of the store the table is materialized in (Materialized's, or
  // <topic>-STATE-STORE-<n>).
  const std::string& queryable_store_name() const { return store_name_; }

 private:
  friend class StreamsBuilder;
  template <typename, typename>
  friend class KStream;

  GlobalKTable(std::string store_name, std::shared_ptr<const Serde<K>> key_serde,
               std::shared_ptr<const Serde<V>> value_serde)
      : store_name_(std::move(store_name)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  std::string store_name_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
};

}  // namespace runnel

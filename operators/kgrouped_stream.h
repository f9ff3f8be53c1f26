#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/serde.h"
#include "core/serdes.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/store_def.h"
#include "operators/ktable.h"
#include "operators/materialized.h"
#include "operators/named.h"

namespace runnel {

template <typename K, typename V>
class KStream;

// A stream grouped by key, ready to be aggregated per key (KStream::group_by_key,
// KStream::group_by). When the key may have changed upstream (map, select_key, flat_map,
// process, or group_by itself), the aggregation first writes the stream to the repartition
// topic <name>-repartition (name: Grouped's, else the store's) and reads it back, dropping
// records with a null key, so that each key is aggregated by one task.
//
// Aggregations are stateful: the result is a KTable materialized in a key-value store
// (named by Materialized, else KSTREAM-AGGREGATE-STATE-STORE-<n>, KSTREAM-REDUCE-STATE-STORE-<n>
// for reduce; processor name prefix KSTREAM-AGGREGATE-, KSTREAM-REDUCE- for reduce, as in
// Kafka Streams). A record with a null key or value is skipped.
template <typename K, typename V>
class KGroupedStream {
 public:
  // The number of records per key. Value serde: Materialized's, else Int64Serde.
  KTable<K, std::int64_t> count(Materialized<K, std::int64_t> materialized = {},
                                const Named& named = {}) const {
    auto step = [](const K&, const V&, const std::optional<std::int64_t>& old) {
      return old.value_or(0) + 1;
    };
    auto value_serde =
        materialized.value_serde ? materialized.value_serde : std::make_shared<Int64Serde>();
    return aggregate_with<std::int64_t>(std::move(step), std::move(materialized), value_serde,
                                        named);
  }

  // Combines the values of each key: the first value as is, then reducer(aggregate, value).
  template <typename F>
  KTable<K, V> reduce(F reducer, Materialized<K, V> materialized = {},
                      const Named& named = {}) const {
    static_assert(std::is_invocable_r_v<V, F&, const V&, const V&>,
                  "reduce: the reducer must be callable as V(const V& aggregate, const V& value)");
    auto step = [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
      return old ? reducer(*old, value) : value;
    };
    auto value_serde = internal::resolve_serde<V>(*state_, materialized.value_serde, value_serde_,
                                                  "reduce: value");
    return aggregate_with<V>(std::move(step), std::move(materialized), value_serde, named,
                             "KSTREAM-REDUCE-");
  }

  // Folds the values of each key into an aggregate: initializer() for a new key, then
  // aggregator(key, value, aggregate). VA is what the initializer returns; without a
  // Materialized, VA must have a DefaultSerde.
  template <typename I, typename A, typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<K, VA> aggregate(I initializer, A aggregator) const {
    static_assert(require_default_serdes<VA>());
    return aggregate(std::move(initializer), std::move(aggregator), Materialized<K, VA>{});
  }
  template <typename I, typename A, typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<K, VA> aggregate(I initializer, A aggregator,
                          std::type_identity_t<Materialized<K, VA>> materialized,
                          const Named& named = {}) const {
    static_assert(std::is_invocable_r_v<VA, A&, const K&, const V&, const VA&>,
                  "aggregate: the aggregator must be callable as VA(const K&, const V&, const "
                  "VA&) with VA the initializer's type");
    auto step = [initializer, aggregator](const K& key, const V& value,
                                          const std::optional<VA>& old) mutable -> VA {
      return old ? aggregator(key, value, *old) : aggregator(key, value, initializer());
    };
    auto value_serde =
        internal::resolve_serde<VA>(*state_, materialized.value_serde, nullptr, "aggregate: value");
    return aggregate_with<VA>(std::move(step), std::move(materialized), value_serde, named);
  }

  // Windowed aggregations (operators/kwindowed_stream.h): by TimeWindows, SlidingWindows or
  // SessionWindows.
  template <typename W>
  auto windowed_by(const W& windows) const;

 private:
  template <typename, typename>
  friend class KStream;
  template <typename, typename>
  friend class TimeWindowedKStream;
  template <typename, typename>
  friend class SessionWindowedKStream;
  template <typename, typename>
  friend class SlidingWindowedKStream;

  KGroupedStream(internal::BuilderState* state, std::string node,
                 std::shared_ptr<const Serde<K>> key_serde,
                 std::shared_ptr<const Serde<V>> value_serde, bool repartition_required,
                 Grouped<K, V> grouped)
      : state_(state),
        node_(std::move(node)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        repartition_required_(repartition_required),
        grouped_(std::move(grouped)) {}

  // The node an aggregation reads from: this stream's, or the source reading back the
  // repartition topic named after `store` (or Grouped). Takes names after the aggregation's
  // (as Kafka Streams does, so generated names match).
  std::string source_for(const std::string& store) const;

  // What every aggregation of this stream, plain or windowed, is named and reads: its store
  // (Materialized's name, else <prefix>STATE-STORE-<n>), its processor, its key serde and the
  // node it reads from, named in that order as Kafka Streams does. `what` starts the key
  // serde's error.
  struct AggregationNames {
    std::string store;
    std::string name;
    std::shared_ptr<const Serde<K>> key_serde;
    std::string parent;
  };
  template <typename VA>
  AggregationNames name_aggregation(const Materialized<K, VA>& materialized, const Named& named,
                                    const std::string& prefix, const std::string& what) const {
    AggregationNames n;
    n.store =
        materialized.store_name.empty() ? state_->new_store_name(prefix) : materialized.store_name;
    n.name = state_->name_or_new(named.name, prefix);
    n.key_serde = internal::resolve_serde<K>(*state_, materialized.key_serde,
                                             grouped_.key_serde ? grouped_.key_serde : key_serde_,
                                             what + " " + n.name + ": key");
    n.parent = source_for(n.store);
    return n;
  }
  // Adds the aggregation's processor, made by `factory`, reading n.parent and using n.store.
  void add_aggregate_node(const AggregationNames& n,
                          std::function<std::unique_ptr<internal::ProcessorNode>()> factory) const {
    internal::NodeDef def;
    def.name = n.name;
    def.predecessors = {n.parent};
    def.stores = {n.store};
    def.factory = std::move(factory);
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
  }

  template <typename VA, typename Step>
  KTable<K, VA> aggregate_with(Step step, Materialized<K, VA> materialized,
                               std::shared_ptr<const Serde<VA>> value_serde, const Named& named,
                               const char* prefix = "KSTREAM-AGGREGATE-") const {
    const AggregationNames n = name_aggregation(materialized, named, prefix, "aggregation");
    const std::string& store = n.store;
    const std::string& name = n.name;
    const auto& key_serde = n.key_serde;
    state_->add_store(
        internal::key_value_store_def<K, VA>(store, materialized, key_serde, value_serde));
    add_aggregate_node(n, [name, store, key_serde, value_serde, step] {
      return std::unique_ptr<internal::ProcessorNode>(
          std::make_unique<internal::KStreamAggregate<K, V, VA, Step>>(name, store, key_serde,
                                                                       value_serde, step));
    });
    return KTable<K, VA>(state_, name, key_serde, value_serde, store,
                         internal::store_getter<K, VA>(store, key_serde, value_serde), {store});
  }

  internal::BuilderState* state_;
  std::string node_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  bool repartition_required_;
  Grouped<K, V> grouped_;
};

}  // namespace runnel

#include "operators/kstream.h"

namespace runnel {

template <typename K, typename V>
std::string KGroupedStream<K, V>::source_for(const std::string& store) const {
  if (!repartition_required_) return node_;
  KStream<K, V> stream(state_, node_, key_serde_, value_serde_);
  return stream
      .repartition_for(grouped_.name.empty() ? store : grouped_.name, grouped_.key_serde,
                       grouped_.value_serde)
      .node_name();
}

}  // namespace runnel

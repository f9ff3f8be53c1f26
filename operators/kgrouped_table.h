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
#include "operators/change.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/callable_traits.h"
#include "operators/internal/change_serde.h"
#include "operators/internal/kgrouped_table_nodes.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/sink_node.h"
#include "operators/internal/source_node.h"
#include "operators/internal/store_def.h"
#include "operators/ktable.h"
#include "operators/materialized.h"
#include "operators/named.h"

namespace runnel {

// A table regrouped by a new key (KTable::group_by), ready to be aggregated per group: a
// table's key is in one group at a time, so an aggregation adds each key's current value to
// its group and, when the key is updated or deleted, subtracts the value it had. Hence each
// aggregation takes an adder and a subtractor; count is the one that counts keys.
//
// Aggregations always repartition: the selector's output is written to the repartition
// topic <name>-repartition (name: Grouped's, else the store's) and read back by the task that
// owns each group. Each record of that topic carries what its group must subtract and/or add
// (internal/change_serde.h: Kafka Streams' Change format, old and new value with a flag
// byte), so that an update that stays in its group is one record, subtracted then added in
// one step with a single result emitted (Kafka Streams 3.5+); an update that moves a key to
// another group is two records: a subtraction from the old group, then an addition to the
// new one. A tombstone only subtracts; a new key only adds.
//
// Aggregations are stateful: the result is a KTable materialized in a key-value store
// (Materialized's name, else KTABLE-AGGREGATE-STATE-STORE-<n> for count and aggregate,
// KTABLE-REDUCE-STATE-STORE-<n> for reduce), change-logged and optionally cached as for
// KGroupedStream; name prefixes KTABLE-AGGREGATE- / KTABLE-REDUCE-. As in Kafka Streams, a
// group stays in the table when its last key leaves it (a count of 0 stays 0), unless an
// adder or subtractor returns std::nullopt, which deletes the group and forwards a
// tombstone.
template <typename K, typename V>
class KGroupedTable {
 public:
  // The number of table keys per group. Value serde: Materialized's, else Int64Serde.
  KTable<K, std::int64_t> count(Materialized<K, std::int64_t> materialized = {},
                                const Named& named = {}) const {
    Adder<std::int64_t> add = [](const K&, const V&, const std::optional<std::int64_t>& agg) {
      return std::optional<std::int64_t>(agg.value_or(0) + 1);
    };
    Subtractor<std::int64_t> subtract = [](const K&, const V&, const std::int64_t& agg) {
      return std::optional<std::int64_t>(agg - 1);
    };
    auto value_serde =
        materialized.value_serde ? materialized.value_serde : std::make_shared<Int64Serde>();
    return aggregate_with<std::int64_t>("KTABLE-AGGREGATE-", std::move(add), std::move(subtract),
                                        std::move(materialized), std::move(value_serde), named);
  }

  // Combines the values of each group: a group's first value as is, then adder(aggregate,
  // value) for each value added and subtractor(aggregate, value) for each value removed. Both
  // return V, or std::optional<V> where null deletes the group.
  template <typename A, typename S>
  KTable<K, V> reduce(A adder, S subtractor, Materialized<K, V> materialized = {},
                      const Named& named = {}) const {
    static_assert(
        std::is_invocable_v<A&, const V&, const V&> && std::is_invocable_v<S&, const V&, const V&>,
        "reduce: the adder and subtractor must be callable as V(const V& aggregate, "
        "const V& value)");
    Adder<V> add = [adder](const K&, const V& value,
                           const std::optional<V>& agg) mutable -> std::optional<V> {
      if (!agg) return value;
      return internal::to_optional(adder(*agg, value));
    };
    Subtractor<V> subtract = [subtractor](const K&, const V& value,
                                          const V& agg) mutable -> std::optional<V> {
      return internal::to_optional(subtractor(agg, value));
    };
    auto value_serde = internal::resolve_serde<V>(
        *state_, materialized.value_serde,
        grouped_.value_serde ? grouped_.value_serde : value_serde_, "reduce: value");
    return aggregate_with<V>("KTABLE-REDUCE-", std::move(add), std::move(subtract),
                             std::move(materialized), std::move(value_serde), named);
  }

  // Folds the values of each group into an aggregate: initializer() for a new group, then
  // adder(key, value, aggregate) for each value added and subtractor(key, value, aggregate)
  // for each value removed (key: the group's). Both return VA, or std::optional<VA> where
  // null deletes the group. VA is what the initializer returns; without a Materialized, VA
  // must have a DefaultSerde.
  template <typename I, typename A, typename S,
            typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<K, VA> aggregate(I initializer, A adder, S subtractor) const {
    static_assert(require_default_serdes<VA>());
    return aggregate(std::move(initializer), std::move(adder), std::move(subtractor),
                     Materialized<K, VA>{});
  }
  template <typename I, typename A, typename S,
            typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<K, VA> aggregate(I initializer, A adder, S subtractor,
                          std::type_identity_t<Materialized<K, VA>> materialized,
                          const Named& named = {}) const {
    static_assert(std::is_invocable_v<A&, const K&, const V&, const VA&> &&
                      std::is_invocable_v<S&, const K&, const V&, const VA&>,
                  "aggregate: the adder and subtractor must be callable as VA(const K&, const "
                  "V&, const VA&) with VA the initializer's type");
    Adder<VA> add = [initializer, adder](const K& key, const V& value,
                                         const std::optional<VA>& agg) mutable {
      return internal::to_optional(adder(key, value, agg ? *agg : VA(initializer())));
    };
    Subtractor<VA> subtract = [subtractor](const K& key, const V& value, const VA& agg) mutable {
      return internal::to_optional(subtractor(key, value, agg));
    };
    auto value_serde =
        internal::resolve_serde<VA>(*state_, materialized.value_serde, nullptr, "aggregate: value");
    return aggregate_with<VA>("KTABLE-AGGREGATE-", std::move(add), std::move(subtract),
                              std::move(materialized), std::move(value_serde), named);
  }

 private:
  template <typename, typename>
  friend class KTable;

  template <typename VA>
  using Adder = typename internal::KTableAggregate<K, V, VA>::Adder;
  template <typename VA>
  using Subtractor = typename internal::KTableAggregate<K, V, VA>::Subtractor;

  // `node`: the KTABLE-SELECT- node that maps the table's changes to their groups. The value
  // serde is the table's when the selector keeps the value type, else null.
  KGroupedTable(internal::BuilderState* state, std::string node,
                std::shared_ptr<const Serde<V>> value_serde, Grouped<K, V> grouped)
      : state_(state),
        node_(std::move(node)),
        value_serde_(std::move(value_serde)),
        grouped_(std::move(grouped)) {}

  // The repartition (sink and source) and the aggregating node, named in Kafka Streams'
  // order: store, sink, source, then the aggregation.
  template <typename VA>
  KTable<K, VA> aggregate_with(const std::string& prefix, Adder<VA> add, Subtractor<VA> subtract,
                               Materialized<K, VA> materialized,
                               std::shared_ptr<const Serde<VA>> value_serde,
                               const Named& named) const {
    const std::string store =
        materialized.store_name.empty() ? state_->new_store_name(prefix) : materialized.store_name;
    const std::string sink_name = state_->new_name("KSTREAM-SINK-");
    const std::string source_name = state_->new_name("KSTREAM-SOURCE-");
    const std::string name = state_->name_or_new(named.name, prefix);
    const std::string topic = (grouped_.name.empty() ? store : grouped_.name) + "-repartition";

    auto key_serde = internal::resolve_serde<K>(
        *state_, grouped_.key_serde ? grouped_.key_serde : materialized.key_serde, nullptr,
        "group_by " + topic + ": key");
    auto repartition_value_serde = internal::resolve_serde<V>(
        *state_, grouped_.value_serde, value_serde_, "group_by " + topic + ": value");
    auto store_key_serde = materialized.key_serde ? materialized.key_serde : key_serde;
    std::shared_ptr<const Serde<Change<V>>> change_serde;
    if (repartition_value_serde) {
      change_serde = std::make_shared<internal::ChangeSerde<V>>(repartition_value_serde);
    }

    internal::InternalTopicDef internal_topic;
    internal_topic.name = topic;
    state_->add_internal_topic(std::move(internal_topic));

    internal::NodeDef sink;
    sink.name = sink_name;
    sink.kind = internal::NodeKind::kSink;
    sink.predecessors = {node_};
    sink.sink_topic = topic;
    sink.sink_internal = true;
    sink.factory = [sink_name, topic, key_serde,
                    change_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SinkNode<K, Change<V>>>(sink_name, topic, true, nullptr,
                                                                key_serde, change_serde, nullptr);
    };
    sink.attach = &internal::attach<K, Change<V>>;
    state_->add_node(std::move(sink));

    internal::NodeDef source;
    source.name = source_name;
    source.kind = internal::NodeKind::kSource;
    source.topics = {topic};
    source.internal_topics = true;
    source.factory = [source_name, key_serde,
                      change_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SourceNode<K, Change<V>>>(source_name, key_serde,
                                                                  change_serde, nullptr);
    };
    state_->add_node(std::move(source));

    state_->add_store(
        internal::key_value_store_def<K, VA>(store, materialized, store_key_serde, value_serde));
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {source_name};
    def.stores = {store};
    def.factory = [name, store, store_key_serde, value_serde, add,
                   subtract]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableAggregate<K, V, VA>>(name, store, store_key_serde,
                                                                   value_serde, add, subtract);
    };
    def.attach = &internal::attach<K, Change<V>>;
    state_->add_node(std::move(def));
    return KTable<K, VA>(state_, name, store_key_serde, value_serde, store,
                         internal::store_getter<K, VA>(store, store_key_serde, value_serde),
                         {store});
  }

  internal::BuilderState* state_;  // Borrowed from the StreamsBuilder.
  std::string node_;
  std::shared_ptr<const Serde<V>> value_serde_;  // Null when unknown.
  Grouped<K, V> grouped_;
};

template <typename K, typename V>
template <typename F>
auto KTable<K, V>::group_by(
    F selector,
    Grouped<internal::table_group_key_t<F, K, V>, internal::table_group_value_t<F, K, V>> grouped)
    const {
  using K2 = internal::table_group_key_t<F, K, V>;
  using V2 = internal::table_group_value_t<F, K, V>;
  static_assert(!std::is_void_v<K2>,
                "KTable::group_by: the selector must be callable as KeyValue<K2, V2>(const K&, "
                "const V&) or std::pair<K2, V2>(const K&, const V&)");
  using Parts = internal::key_value_parts_t<std::invoke_result_t<F&, const K&, const V&>>;
  const std::string name = state_->name_or_new(grouped.name, "KTABLE-SELECT-");
  std::function<KeyValue<K2, V2>(const K&, const V&)> fn = [selector](const K& key,
                                                                      const V& value) mutable {
    return Parts::to_key_value(selector(key, value));
  };
  add_node(name, [name, fn]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KTableRepartitionMap<K, V, K2, V2>>(name, fn);
  });
  std::shared_ptr<const Serde<V2>> value_serde;
  if constexpr (std::is_same_v<V, V2>) value_serde = value_serde_;
  return KGroupedTable<K2, V2>(state_, name, std::move(value_serde), std::move(grouped));
}

}  // namespace runnel

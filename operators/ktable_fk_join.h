#pragma once

// KTable's foreign-key joins (KIP-213): the DSL side, which names and wires the nodes of
// operators/internal/fk_join_nodes.h, their two internal topics and their stores. Included
// by operators/ktable.h; include that one.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "operators/internal/fk_join_nodes.h"
#include "operators/internal/fk_join_wire.h"
#include "operators/internal/sink_node.h"
#include "operators/internal/source_node.h"
#include "operators/internal/store_def.h"
#include "operators/ktable.h"

namespace runnel {
namespace internal {

// The foreign-key extractor as (key, value) -> std::optional<KO>, from a callable taking
// (value) or (key, value) and returning KO or std::optional<KO>.
template <typename K, typename V, typename KO, typename FK>
std::function<std::optional<KO>(const K&, const V&)> foreign_key_extractor(FK extractor) {
  auto adapted = key_value_adaptor<K, V>(std::move(extractor));
  using R = std::remove_cvref_t<std::invoke_result_t<decltype(adapted)&, const K&, const V&>>;
  static_assert(std::is_same_v<unwrap_optional_t<R>, KO>,
                "foreign-key join: the extractor must return the other table's key type (or "
                "std::optional of it)");
  return [adapted](const K& k, const V& v) mutable -> std::optional<KO> { return adapted(k, v); };
}

}  // namespace internal

template <typename K, typename V>
template <typename KO, typename VO, typename FK, typename F, typename VR>
KTable<K, VR> KTable<K, V>::join(const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner,
                                 const Named& named,
                                 std::type_identity_t<Materialized<K, VR>> materialized) const {
  std::function<VR(const V&, const std::optional<VO>&)> fn =
      [joiner](const V& v, const std::optional<VO>& o) mutable { return joiner(v, *o); };
  return fk_join<KO, VO, VR>(
      other, internal::foreign_key_extractor<K, V, KO>(std::move(foreign_key_extractor)),
      std::move(fn), false, named, std::move(materialized));
}

template <typename K, typename V>
template <typename KO, typename VO, typename FK, typename F, typename VR>
KTable<K, VR> KTable<K, V>::left_join(
    const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner, const Named& named,
    std::type_identity_t<Materialized<K, VR>> materialized) const {
  std::function<VR(const V&, const std::optional<VO>&)> fn =
      [joiner](const V& v, const std::optional<VO>& o) mutable { return joiner(v, o); };
  return fk_join<KO, VO, VR>(
      other, internal::foreign_key_extractor<K, V, KO>(std::move(foreign_key_extractor)),
      std::move(fn), true, named, std::move(materialized));
}

template <typename K, typename V>
template <typename KO, typename VO, typename VR>
KTable<K, VR> KTable<K, V>::fk_join(const KTable<KO, VO>& other,
                                    std::function<std::optional<KO>(const K&, const V&)> extractor,
                                    std::function<VR(const V&, const std::optional<VO>&)> joiner,
                                    bool left_join, const Named& named,
                                    Materialized<K, VR> materialized) const {
  using Wrapper = internal::SubscriptionWrapper<K>;
  using Response = internal::SubscriptionResponse<VO>;
  // Kafka Streams' names, taken in Kafka's order so that generated indexes match: with a
  // Named, <name><suffix> and no index; else <prefix><next index>.
  auto name_of = [&](const char* suffix, const char* prefix) {
    return named.name.empty() ? state_->new_name(prefix) : named.name + suffix;
  };
  const std::string registration_topic =
      name_of("-subscription-registration", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-") + "-topic";
  const std::string send_name =
      name_of("-subscription-registration-processor", "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-");
  const std::string registration_sink = name_of("-subscription-registration-sink", "KTABLE-SINK-");
  const std::string registration_source =
      name_of("-subscription-registration-source", "KTABLE-SOURCE-");
  const std::string subscription_store =
      name_of("-subscription-store", "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-");
  const std::string receive_name =
      name_of("-subscription-receive", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  const std::string join_foreign_name =
      name_of("-subscription-join-foreign", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  const std::string foreign_change_name =
      name_of("-foreign-join-subscription", "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-");
  const std::string response_topic =
      name_of("-subscription-response", "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-") + "-topic";
  const std::string response_sink = name_of("-subscription-response-sink", "KTABLE-SINK-");
  const std::string response_source = name_of("-subscription-response-source", "KTABLE-SOURCE-");
  const std::string resolver_name =
      name_of("-subscription-response-resolver",
              "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-");
  const std::string result_name = name_of("-result", "KTABLE-FK-JOIN-OUTPUT-");
  const std::string result_store = materialized.store_name.empty()
                                       ? state_->new_store_name("KTABLE-FK-JOIN-OUTPUT-")
                                       : materialized.store_name;

  const std::string what = "foreign-key join " + result_name;
  auto key_serde = internal::resolve_serde<K>(*state_, nullptr, key_serde_, what + " (this key)");
  auto value_serde =
      internal::resolve_serde<V>(*state_, nullptr, value_serde_, what + " (this value)");
  auto foreign_key_serde = internal::resolve_serde<KO>(*state_, nullptr, other.key_serde_,
                                                       what + " (the other table's key)");
  auto foreign_value_serde = internal::resolve_serde<VO>(*state_, nullptr, other.value_serde_,
                                                         what + " (the other table's value)");
  auto result_key_serde = materialized.key_serde ? materialized.key_serde : key_serde;
  auto result_value_serde =
      internal::resolve_serde<VR>(*state_, materialized.value_serde, nullptr, what + " (result)");
  std::shared_ptr<const Serde<Wrapper>> wrapper_serde =
      std::make_shared<internal::SubscriptionWrapperSerde<K>>(key_serde);
  std::shared_ptr<const Serde<Response>> response_serde =
      std::make_shared<internal::SubscriptionResponseSerde<VO>>(foreign_value_serde);

  auto add = [&](internal::NodeDef def) { state_->add_node(std::move(def)); };

  // Left side: subscribe.
  {
    internal::NodeDef def;
    def.name = send_name;
    def.predecessors = {node_};
    def.factory = [send_name, extractor, foreign_key_serde, value_serde,
                   left_join]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::FkSubscriptionSend<K, V, KO>>(
          send_name, extractor, foreign_key_serde, value_serde, left_join);
    };
    def.attach = &internal::attach<K, Change<V>>;
    add(std::move(def));
  }
  state_->add_internal_topic({registration_topic, std::nullopt});
  {
    // Keyed by the foreign key, partitioned as the other table's input (murmur2 of the key);
    // a null foreign key (left join) has no foreign partition, and any one will do: its
    // answer is routed back by the primary partition it carries.
    StreamPartitioner<KO, Wrapper> partitioner =
        [](const std::string&, const std::optional<KO>& key, const std::optional<Wrapper>&,
           std::int32_t) -> std::optional<std::int32_t> {
      if (!key) return 0;
      return std::nullopt;
    };
    internal::NodeDef def;
    def.name = registration_sink;
    def.kind = internal::NodeKind::kSink;
    def.predecessors = {send_name};
    def.sink_topic = registration_topic;
    def.sink_internal = true;
    def.factory = [registration_sink, registration_topic, foreign_key_serde, wrapper_serde,
                   partitioner]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SinkNode<KO, Wrapper>>(
          registration_sink, registration_topic, true, nullptr, foreign_key_serde, wrapper_serde,
          partitioner);
    };
    def.attach = &internal::attach<KO, Wrapper>;
    add(std::move(def));
  }
  // Foreign side: keep the subscriptions, answer them, and answer again on every change of
  // the foreign table.
  {
    internal::NodeDef def;
    def.name = registration_source;
    def.kind = internal::NodeKind::kSource;
    def.topics = {registration_topic};
    def.internal_topics = true;
    def.factory = [registration_source, foreign_key_serde,
                   wrapper_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SourceNode<KO, Wrapper>>(
          registration_source, foreign_key_serde, wrapper_serde, nullptr);
    };
    add(std::move(def));
  }
  state_->add_copartition_group({registration_source, other.node_});
  {
    internal::StoreDef def;
    def.name = subscription_store;
    def.kind = StoreKind::kKeyValue;
    def.logging = true;
    def.caching = false;  // Every subscription must be seen by the next foreign change.
    state_->add_store(std::move(def));
  }
  {
    internal::NodeDef def;
    def.name = receive_name;
    def.predecessors = {registration_source};
    def.stores = {subscription_store};
    def.factory = [receive_name, subscription_store, foreign_key_serde,
                   key_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::FkSubscriptionReceive<K, KO>>(
          receive_name, subscription_store, foreign_key_serde, key_serde);
    };
    def.attach = &internal::attach<KO, Wrapper>;
    add(std::move(def));
  }
  {
    internal::NodeDef def;
    def.name = join_foreign_name;
    def.predecessors = {receive_name};
    def.stores = other.getter_stores_;
    def.factory = [join_foreign_name,
                   getter = other.getter_]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::FkSubscriptionJoinForeign<K, KO, VO>>(join_foreign_name,
                                                                              getter);
    };
    def.attach = &internal::attach<KO, Wrapper>;
    add(std::move(def));
  }
  {
    internal::NodeDef def;
    def.name = foreign_change_name;
    def.predecessors = {other.node_};
    def.stores = {subscription_store};
    def.factory = [foreign_change_name, subscription_store, foreign_key_serde,
                   key_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::FkForeignTableChange<K, KO, VO>>(
          foreign_change_name, subscription_store, foreign_key_serde, key_serde);
    };
    def.attach = &internal::attach<KO, Change<VO>>;
    add(std::move(def));
  }
  state_->add_internal_topic({response_topic, std::nullopt});
  {
    // Back to the partition of the left task that subscribed: the response topic has as
    // many partitions as this table's input, whatever partitioner wrote that input.
    StreamPartitioner<K, Response> partitioner =
        [](const std::string&, const std::optional<K>&, const std::optional<Response>& response,
           std::int32_t partitions) -> std::optional<std::int32_t> {
      if (!response || response->primary_partition >= partitions) return std::nullopt;
      return response->primary_partition;
    };
    internal::NodeDef def;
    def.name = response_sink;
    def.kind = internal::NodeKind::kSink;
    def.predecessors = {join_foreign_name, foreign_change_name};
    def.sink_topic = response_topic;
    def.sink_internal = true;
    def.factory = [response_sink, response_topic, key_serde, response_serde,
                   partitioner]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SinkNode<K, Response>>(
          response_sink, response_topic, true, nullptr, key_serde, response_serde, partitioner);
    };
    def.attach = &internal::attach<K, Response>;
    add(std::move(def));
  }
  // Left side: resolve the answers into the result table.
  {
    internal::NodeDef def;
    def.name = response_source;
    def.kind = internal::NodeKind::kSource;
    def.topics = {response_topic};
    def.internal_topics = true;
    def.factory = [response_source, key_serde,
                   response_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SourceNode<K, Response>>(response_source, key_serde,
                                                                 response_serde, nullptr);
    };
    add(std::move(def));
  }
  state_->add_copartition_group({response_source, node_});
  {
    internal::NodeDef def;
    def.name = resolver_name;
    def.predecessors = {response_source};
    def.stores = getter_stores_;
    def.factory = [resolver_name, getter = getter_, value_serde, joiner,
                   left_join]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::FkResponseResolver<K, V, VO, VR>>(
          resolver_name, getter, value_serde, joiner, left_join);
    };
    def.attach = &internal::attach<K, Response>;
    add(std::move(def));
  }
  state_->add_store(internal::key_value_store_def<K, VR>(result_store, materialized,
                                                         result_key_serde, result_value_serde));
  {
    internal::NodeDef def;
    def.name = result_name;
    def.predecessors = {resolver_name};
    def.stores = {result_store};
    def.factory = [result_name, result_store, result_key_serde,
                   result_value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableSource<K, VR>>(result_name, result_store,
                                                             result_key_serde, result_value_serde);
    };
    def.attach = &internal::attach<K, VR>;
    add(std::move(def));
  }
  return KTable<K, VR>(
      state_, result_name, result_key_serde, result_value_serde, result_store,
      internal::store_getter<K, VR>(result_store, result_key_serde, result_value_serde),
      {result_store});
}

}  // namespace runnel

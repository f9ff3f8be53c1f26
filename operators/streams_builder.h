#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "operators/consumed.h"
#include "operators/global_ktable.h"
#include "operators/internal/builder_state.h"
#include "operators/kstream.h"
#include "operators/store_builder.h"
#include "operators/topology.h"
#include "operators/topology_optimization.h"

namespace runnel {

// Where an application describes its processing: streams read from topics, the operators
// applied to them, where results go. build() turns the description into a Topology.
//
//   StreamsBuilder builder;
//   builder.stream<std::string, std::string>("input")
//       .filter([](const std::string&, const std::string& v) { return !v.empty(); })
//       .map_values([](const std::string& v) { return v.size(); })
//       .to("lengths", Produced<std::string, std::size_t>{...});
//   Topology topology = builder.build();
//
// Not thread-safe; describe a topology from one thread. The KStreams it returns borrow it.
class StreamsBuilder {
 public:
  StreamsBuilder() : state_(std::make_unique<internal::BuilderState>()) {}

  // The records of `topic` as Record<K, V>, deserialized with Consumed's serdes (or the types'
  // DefaultSerde). Source name prefix KSTREAM-SOURCE-. Without a Consumed, K and V must have a
  // DefaultSerde: a compile error says how to give one when they have not.
  template <typename K, typename V>
  KStream<K, V> stream(const std::string& topic) {
    static_assert(require_default_serdes<K, V>());
    return stream<K, V>(std::vector<std::string>{topic}, Consumed<K, V>{});
  }
  template <typename K, typename V>
  KStream<K, V> stream(const std::string& topic, Consumed<K, V> consumed) {
    return stream<K, V>(std::vector<std::string>{topic}, std::move(consumed));
  }
  // The records of several topics, read by one source node.
  template <typename K, typename V>
  KStream<K, V> stream(const std::vector<std::string>& topics) {
    static_assert(require_default_serdes<K, V>());
    return stream<K, V>(topics, Consumed<K, V>{});
  }
  template <typename K, typename V>
  KStream<K, V> stream(const std::vector<std::string>& topics, Consumed<K, V> consumed) {
    const std::string name = state_->name_or_new(consumed.name, "KSTREAM-SOURCE-");
    std::string what = "stream(";
    for (std::size_t i = 0; i < topics.size(); ++i) what += (i ? ", " : "") + topics[i];
    what += ")";
    auto key_serde =
        internal::resolve_serde<K>(*state_, consumed.key_serde, nullptr, what + ": key");
    auto value_serde =
        internal::resolve_serde<V>(*state_, consumed.value_serde, nullptr, what + ": value");
    if (topics.empty()) state_->set_error(invalid_argument_error("stream() needs a topic"));
    internal::NodeDef def;
    def.name = name;
    def.kind = internal::NodeKind::kSource;
    def.topics = topics;
    def.factory = [name, key_serde, value_serde,
                   extractor =
                       consumed.timestamp_extractor]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SourceNode<K, V>>(name, key_serde, value_serde, extractor);
    };
    state_->add_node(std::move(def));
    return KStream<K, V>(state_.get(), name, key_serde, value_serde);
  }

  // The topic read as a table (KTable): per key the latest value, a null value deleting the
  // key. Materialized in a key-value store named by Materialized, else
  // <topic>-STATE-STORE-<n>. Stateful; no repartition. Source name prefix KSTREAM-SOURCE-,
  // table processor KTABLE-SOURCE-. Without a Consumed, K and V must have a DefaultSerde.
  template <typename K, typename V>
  KTable<K, V> table(const std::string& topic) {
    static_assert(require_default_serdes<K, V>());
    return table<K, V>(topic, Consumed<K, V>{});
  }
  template <typename K, typename V>
  KTable<K, V> table(const std::string& topic, Consumed<K, V> consumed,
                     Materialized<K, V> materialized = {}) {
    const std::string store = materialized.store_name.empty() ? state_->new_store_name(topic + "-")
                                                              : materialized.store_name;
    KStream<K, V> source = stream<K, V>(topic, consumed);
    const std::string name = state_->new_name("KTABLE-SOURCE-");
    auto key_serde = materialized.key_serde ? materialized.key_serde : source.key_serde_;
    auto value_serde = materialized.value_serde ? materialized.value_serde : source.value_serde_;
    state_->add_store(
        internal::key_value_store_def<K, V>(store, materialized, key_serde, value_serde));
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {source.node_name()};
    def.stores = {store};
    def.factory = [name, store, key_serde,
                   value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableSource<K, V>>(name, store, key_serde, value_serde);
    };
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
    return KTable<K, V>(state_.get(), name, key_serde, value_serde, store,
                        internal::store_getter<K, V>(store, key_serde, value_serde), {store});
  }

  // The topic read as a GlobalKTable: like table(), per key the latest value, but every
  // application instance holds all of the topic's partitions, kept by the runtime's global
  // state maintainer rather than by tasks (see GlobalKTable). Materialized in a key-value
  // store named by Materialized, else <topic>-STATE-STORE-<n>: RocksDB under
  // <state.dir>/<application.id>/global/ by default, in memory with
  // Materialized::with_in_memory_store(); never change-logged or cached (the topic is its
  // changelog). Described as its own sub-topology "for global store"; source name prefix
  // KSTREAM-SOURCE-, store processor KTABLE-SOURCE-, as in Kafka Streams. Stateful; needs no
  // co-partitioning with the streams that join it. Without a Consumed, K and V must have a
  // DefaultSerde.
  template <typename K, typename V>
  GlobalKTable<K, V> global_table(const std::string& topic) {
    static_assert(require_default_serdes<K, V>());
    return global_table<K, V>(topic, Consumed<K, V>{});
  }
  template <typename K, typename V>
  GlobalKTable<K, V> global_table(const std::string& topic, Consumed<K, V> consumed,
                                  Materialized<K, V> materialized = {}) {
    const std::string store = materialized.store_name.empty() ? state_->new_store_name(topic + "-")
                                                              : materialized.store_name;
    KStream<K, V> source = stream<K, V>(topic, consumed);
    const std::string name = state_->new_name("KTABLE-SOURCE-");
    auto key_serde = materialized.key_serde ? materialized.key_serde : source.key_serde_;
    auto value_serde = materialized.value_serde ? materialized.value_serde : source.value_serde_;
    internal::StoreDef store_def;
    store_def.name = store;
    store_def.kind = StoreKind::kKeyValue;
    store_def.logging = false;
    store_def.caching = false;
    store_def.in_memory = materialized.in_memory;
    store_def.global = true;
    internal::set_store_serdes<K, V>(store_def, key_serde, value_serde);
    state_->add_store(std::move(store_def));
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {source.node_name()};
    def.stores = {store};
    // The table's source processor: it upserts and deletes; with no successor, what it
    // forwards goes nowhere.
    def.factory = [name, store, key_serde,
                   value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableSource<K, V>>(name, store, key_serde, value_serde);
    };
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
    return GlobalKTable<K, V>(store, key_serde, value_serde);
  }

  // Defines a state store for hand-written processors (KStream::process names the stores
  // each processor uses). A name defined twice is a build error (Topology::status()).
  StreamsBuilder& add_state_store(const StoreBuilder& store) {
    state_->add_store(store.definition());
    return *this;
  }

  // The topology described so far; check Topology::status() (runtimes do) for errors such
  // as a duplicate name or a missing serde. The builder stays usable.
  Topology build() { return state_->build(); }
  // As build(), with the rewrites the property `topology.optimization` asks for
  // (TopologyOptimizations; Kafka Streams' StreamsBuilder.build(Properties)); the other
  // properties are ignored. Pass the application's properties, the same ones given to
  // KafkaStreams. A value that does not parse becomes the topology's status().
  Topology build(const std::map<std::string, std::string>& properties) {
    auto it = properties.find(TopologyOptimizations::kConfig);
    if (it == properties.end()) return state_->build();
    Result<TopologyOptimizations> optimizations = TopologyOptimizations::parse(it->second);
    if (!optimizations.ok()) return state_->build({}, optimizations.status());
    return state_->build(*optimizations);
  }

 private:
  // Behind a pointer so that KStreams keep a stable address when the builder moves.
  std::unique_ptr<internal::BuilderState> state_;
};

}  // namespace runnel

#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/serde.h"
#include "operators/branched.h"
#include "operators/global_ktable.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/callable_traits.h"
#include "operators/internal/global_ktable_nodes.h"
#include "operators/internal/kstream_nodes.h"
#include "operators/internal/processor_adapter.h"
#include "operators/internal/sink_node.h"
#include "operators/internal/source_node.h"
#include "operators/internal/stream_join_nodes.h"
#include "operators/join_windows.h"
#include "operators/key_value.h"
#include "operators/materialized.h"
#include "operators/named.h"
#include "operators/processor.h"
#include "operators/produced.h"
#include "operators/repartitioned.h"

namespace runnel {

template <typename K, typename V>
class BranchedKStream;
template <typename K, typename V>
class KGroupedStream;
template <typename K, typename V>
class KTable;

// A record stream of Record<K, V>, as described by a StreamsBuilder: every method adds a
// processor to the topology being built and returns the stream it produces. Nothing runs until
// the built Topology is given to a runtime (KafkaStreams, TopologyTestDriver).
//
// Callables. Each callable is copied into every task, so it must be copyable; a task calls
// its copy from one thread. A callable takes the value alone (where the method says so) or the
// key and the value; each of those parameters either as the plain type (const K&, auto) or as
// std::optional<K> to see nulls. Output types are deduced from what the callable returns; a
// returned std::optional<T> means T, with std::nullopt giving a null. A wrong signature is a
// compile error naming the method.
//
// Nulls. A null key or value (std::nullopt) stays distinct from an empty one through every
// operator. A callable parameter of plain type is never given a null: for such a record a
// predicate counts as false, an action is skipped, and a mapper's record is dropped (counted
// by the task as dropped).
//
// A KStream is a cheap handle; it borrows its StreamsBuilder, which must outlive it.
template <typename K, typename V>
class KStream {
 public:
  using Key = K;
  using Value = V;

  // Keeps the records for which predicate(key, value) (or predicate(value)) is true.
  // Stateless; no repartition. Name prefix KSTREAM-FILTER-.
  template <typename F>
  KStream<K, V> filter(F predicate, const Named& named = {}) const {
    return add_filter(std::move(predicate), named, true, "filter");
  }

  // Keeps the records for which the predicate is false (null the predicate cannot take
  // counts as false, so such records are kept). Stateless; no repartition.
  template <typename F>
  KStream<K, V> filter_not(F predicate, const Named& named = {}) const {
    return add_filter(std::move(predicate), named, false, "filter_not");
  }

  // A new value per record: mapper(value) or mapper(key, value) -> V2 (or std::optional<V2>).
  // Key, timestamp and headers are kept. Stateless; no repartition (the key is unchanged).
  template <typename F>
  auto map_values(F mapper, const Named& named = {}) const {
    constexpr bool kValue = internal::is_value_callable_v<F, K, V>;
    constexpr bool kKeyValue = internal::is_key_value_callable_v<F, K, V>;
    if constexpr (!kValue && !kKeyValue) {
      static_assert(internal::dependent_false_v<F>,
                    "map_values: the mapper must be callable as V2(const V&) or "
                    "V2(const K&, const V&)");
      return *this;
    } else {
      using Call = internal::ValueOrKeyValueCall<F, K, V>;
      using R = decltype(Call::call(std::declval<F&>(), std::declval<const Record<K, V>&>()));
      static_assert(!std::is_void_v<R>, "map_values: the mapper must return the new value");
      using V2 = internal::unwrap_optional_t<R>;
      const std::string name = state_->name_or_new(named.name, "KSTREAM-MAPVALUES-");
      return add_processor<K, V2>(
          name,
          [name, mapper]() -> std::unique_ptr<internal::ProcessorNode> {
            return std::make_unique<internal::KStreamMapValues<K, V, V2, F>>(name, mapper);
          },
          key_serde_, same_type_serde<V2>(value_serde_));
    }
  }

  // A new key and value per record: mapper(key, value) -> KeyValue<K2, V2> or
  // std::pair<K2, V2> (either part may be std::optional). Stateless; changes the key, so the
  // stream is marked for repartitioning: a grouping or a join after it first writes it to a
  // repartition topic.
  template <typename F>
  auto map(F mapper, const Named& named = {}) const {
    if constexpr (!internal::is_key_value_callable_v<F, K, V>) {
      static_assert(internal::dependent_false_v<F>,
                    "map: the mapper must be callable as KeyValue<K2, V2>(const K&, const V&)");
      return *this;
    } else {
      using R = internal::key_value_result_t<F, K, V>;
      using Parts = internal::key_value_parts_t<R>;
      static_assert(Parts::ok, "map: the mapper must return KeyValue<K2, V2> or std::pair<K2, V2>");
      using K2 = typename Parts::key;
      using V2 = typename Parts::value;
      const std::string name = state_->name_or_new(named.name, "KSTREAM-MAP-");
      return add_processor<K2, V2>(
          name,
          [name, mapper]() -> std::unique_ptr<internal::ProcessorNode> {
            return std::make_unique<internal::KStreamMap<K, V, K2, V2, F>>(name, mapper);
          },
          nullptr, nullptr, true);
    }
  }

  // A new key per record: selector(key, value) -> K2 (or std::optional<K2>); the value is
  // kept. Stateless; changes the key (see map). Name prefix KSTREAM-KEY-SELECT-.
  template <typename F>
  auto select_key(F selector, const Named& named = {}) const {
    if constexpr (!internal::is_key_value_callable_v<F, K, V>) {
      static_assert(internal::dependent_false_v<F>,
                    "select_key: the selector must be callable as K2(const K&, const V&)");
      return *this;
    } else {
      using R = internal::key_value_result_t<F, K, V>;
      static_assert(!std::is_void_v<R>, "select_key: the selector must return the new key");
      using K2 = internal::unwrap_optional_t<R>;
      const std::string name = state_->name_or_new(named.name, "KSTREAM-KEY-SELECT-");
      return add_processor<K2, V>(
          name,
          [name, selector]() -> std::unique_ptr<internal::ProcessorNode> {
            return std::make_unique<internal::KStreamSelectKey<K, V, K2, F>>(name, selector);
          },
          nullptr, value_serde_, true);
    }
  }

  // Zero or more records per record: mapper(key, value) -> a range of KeyValue<K2, V2> or
  // std::pair<K2, V2>, forwarded in order with the input's timestamp and headers. Stateless;
  // changes the key (see map).
  template <typename F>
  auto flat_map(F mapper, const Named& named = {}) const {
    if constexpr (!internal::is_key_value_callable_v<F, K, V>) {
      static_assert(internal::dependent_false_v<F>,
                    "flat_map: the mapper must be callable as "
                    "std::vector<KeyValue<K2, V2>>(const K&, const V&)");
      return *this;
    } else if constexpr (!internal::Iterable<internal::key_value_result_t<F, K, V>>) {
      static_assert(internal::dependent_false_v<F>,
                    "flat_map: the mapper must return a range (e.g. std::vector) of "
                    "KeyValue<K2, V2> or std::pair<K2, V2>");
      return *this;
    } else {
      using E = internal::range_element_t<internal::key_value_result_t<F, K, V>>;
      using Parts = internal::key_value_parts_t<E>;
      static_assert(Parts::ok, "flat_map: the range's elements must be KeyValue or std::pair");
      using K2 = typename Parts::key;
      using V2 = typename Parts::value;
      const std::string name = state_->name_or_new(named.name, "KSTREAM-FLATMAP-");
      return add_processor<K2, V2>(
          name,
          [name, mapper]() -> std::unique_ptr<internal::ProcessorNode> {
            return std::make_unique<internal::KStreamFlatMap<K, V, K2, V2, F>>(name, mapper);
          },
          nullptr, nullptr, true);
    }
  }

  // Zero or more values per record: mapper(value) or mapper(key, value) -> a range of V2 (or
  // std::optional<V2>), each forwarded with the input's key. Stateless; no repartition.
  template <typename F>
  auto flat_map_values(F mapper, const Named& named = {}) const {
    constexpr bool kValue = internal::is_value_callable_v<F, K, V>;
    constexpr bool kKeyValue = internal::is_key_value_callable_v<F, K, V>;
    if constexpr (!kValue && !kKeyValue) {
      static_assert(internal::dependent_false_v<F>,
                    "flat_map_values: the mapper must be callable as std::vector<V2>(const V&) "
                    "or std::vector<V2>(const K&, const V&)");
      return *this;
    } else {
      using Call = internal::ValueOrKeyValueCall<F, K, V>;
      using R = decltype(Call::call(std::declval<F&>(), std::declval<const Record<K, V>&>()));
      if constexpr (!internal::Iterable<R>) {
        static_assert(internal::dependent_false_v<F>,
                      "flat_map_values: the mapper must return a range (e.g. std::vector) of "
                      "values");
        return *this;
      } else {
        using V2 = internal::unwrap_optional_t<internal::range_element_t<R>>;
        const std::string name = state_->name_or_new(named.name, "KSTREAM-FLATMAPVALUES-");
        return add_processor<K, V2>(
            name,
            [name, mapper]() -> std::unique_ptr<internal::ProcessorNode> {
              return std::make_unique<internal::KStreamFlatMapValues<K, V, V2, F>>(name, mapper);
            },
            key_serde_, same_type_serde<V2>(value_serde_));
      }
    }
  }

  // Calls action(key, value) for each record and forwards it unchanged. Stateless; no
  // repartition.
  template <typename F>
  KStream<K, V> peek(F action, const Named& named = {}) const {
    static_assert(internal::is_key_value_callable_v<F, K, V>,
                  "peek: the action must be callable as void(const K&, const V&)");
    return add_action(std::move(action), state_->name_or_new(named.name, "KSTREAM-PEEK-"));
  }

  // Calls action(key, value) for each record; a terminal operation. Stateless; no
  // repartition.
  template <typename F>
  void foreach (F action, const Named& named = {}) const {
    static_assert(internal::is_key_value_callable_v<F, K, V>,
                  "foreach: the action must be callable as void(const K&, const V&)");
    add_action(std::move(action), state_->name_or_new(named.name, "KSTREAM-FOREACH-"));
  }

  // Splits the stream into named branches: each record goes to the first branch whose
  // predicate holds (see BranchedKStream). Stateless; no repartition. The splitter is named
  // KSTREAM-BRANCH-<n> or by `named`, which also prefixes the branch names.
  BranchedKStream<K, V> split(const Named& named = {}) const;

  // The records of this stream and `other`, interleaved in processing order. Stateless; no
  // repartition. Name prefix KSTREAM-MERGE-.
  KStream<K, V> merge(const KStream<K, V>& other, const Named& named = {}) const {
    const std::string name = state_->name_or_new(named.name, "KSTREAM-MERGE-");
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {node_, other.node_};
    def.factory = [name]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KStreamPassThrough<K, V>>(name);
    };
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
    return KStream<K, V>(state_, name, key_serde_ == other.key_serde_ ? key_serde_ : nullptr,
                         value_serde_ == other.value_serde_ ? value_serde_ : nullptr,
                         repartition_required_ || other.repartition_required_);
  }

  // Writes every record to `topic`, in the partition Produced's partitioner picks (else by
  // murmur2 of the serialized key, as Kafka's producer). Serdes: Produced's, else the
  // stream's, else the types' defaults. A terminal operation; stateless; no repartition. Name
  // prefix KSTREAM-SINK-.
  void to(const std::string& topic, Produced<K, V> produced = {}) const {
    add_sink(topic, {}, std::move(produced));
  }
  // Writes each record to the topic `extractor` returns for it.
  void to(TopicNameExtractor<K, V> extractor, Produced<K, V> produced = {}) const {
    add_sink({}, std::move(extractor), std::move(produced));
  }

  // Writes the stream to the internal topic <application.id>-<name>-repartition and reads it
  // back, so that records are partitioned by their current key (or by the partitioner) for what
  // follows. Stateless, and this is the repartition: it ends a sub-topology and starts another.
  KStream<K, V> repartition(Repartitioned<K, V> repartitioned = {}) const {
    const bool generated = repartitioned.name.empty();
    const std::string base = state_->name_or_new(repartitioned.name, "KSTREAM-REPARTITION-");
    const std::string topic = base + "-repartition";
    // Kafka Streams takes three indexes here whether or not it uses them; so does Runnel.
    const std::string gen_sink = state_->new_name("KSTREAM-SINK-");
    state_->new_name("KSTREAM-FILTER-");
    const std::string gen_source = state_->new_name("KSTREAM-SOURCE-");
    const std::string sink_name = generated ? gen_sink : topic + "-sink";
    const std::string source_name = generated ? gen_source : topic + "-source";

    auto key_serde = internal::resolve_serde<K>(*state_, repartitioned.key_serde, key_serde_,
                                                "repartition " + base + ": key");
    auto value_serde = internal::resolve_serde<V>(*state_, repartitioned.value_serde, value_serde_,
                                                  "repartition " + base + ": value");
    state_->add_internal_topic({topic, repartitioned.partitions});

    internal::NodeDef sink;
    sink.name = sink_name;
    sink.kind = internal::NodeKind::kSink;
    sink.predecessors = {node_};
    sink.sink_topic = topic;
    sink.sink_internal = true;
    sink.factory = [sink_name, topic, key_serde, value_serde,
                    partitioner =
                        repartitioned.partitioner]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SinkNode<K, V>>(sink_name, topic, true, nullptr, key_serde,
                                                        value_serde, partitioner);
    };
    sink.key_partitioner = key_partitioner_of(repartitioned.partitioner);
    sink.attach = &internal::attach<K, V>;
    state_->add_node(std::move(sink));

    internal::NodeDef source;
    source.name = source_name;
    source.kind = internal::NodeKind::kSource;
    source.topics = {topic};
    source.internal_topics = true;
    source.factory = [source_name, key_serde,
                      value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SourceNode<K, V>>(source_name, key_serde, value_serde,
                                                          nullptr);
    };
    state_->add_node(std::move(source));
    return KStream<K, V>(state_, source_name, key_serde, value_serde);
  }

  // Runs a hand-written Processor<K, V, KOut, VOut> on each record; `supplier` makes one
  // instance per task and must return std::unique_ptr to it. `stores` names the state stores
  // the processor uses (defined by StreamsBuilder::add_state_store; reached through
  // ProcessorContext::get_state_store). Stateful when it uses stores, stateless otherwise;
  // no repartition. Name prefix KSTREAM-PROCESSOR-.
  template <typename Supplier>
  auto process(Supplier supplier, const Named& named = {},
               std::vector<std::string> stores = {}) const {
    if constexpr (!std::is_invocable_v<Supplier&>) {
      static_assert(internal::dependent_false_v<Supplier>,
                    "process: the supplier must be callable with no arguments and return "
                    "std::unique_ptr<P> for a Processor<K, V, KOut, VOut> P");
      return *this;
    } else {
      using Ptr = std::invoke_result_t<Supplier&>;
      using P = typename Ptr::element_type;
      using KOut = typename P::KeyOut;
      using VOut = typename P::ValueOut;
      static_assert(std::is_base_of_v<Processor<K, V, KOut, VOut>, P>,
                    "process: the processor's input types must be the stream's K and V");
      const std::string name = state_->name_or_new(named.name, "KSTREAM-PROCESSOR-");
      internal::NodeDef def;
      def.name = name;
      def.predecessors = {node_};
      def.stores = std::move(stores);
      def.factory = [name, supplier]() mutable -> std::unique_ptr<internal::ProcessorNode> {
        std::unique_ptr<Processor<K, V, KOut, VOut>> processor = supplier();
        return std::make_unique<internal::ProcessorAdapter<K, V, KOut, VOut>>(name,
                                                                              std::move(processor));
      };
      def.attach = &internal::attach<K, V>;
      state_->add_node(std::move(def));
      // The processor may change keys: a grouping or join after it repartitions (as Kafka).
      return KStream<KOut, VOut>(state_, name, nullptr, nullptr, true);
    }
  }

  // Groups the records by their current key for an aggregation (KGroupedStream). Stateless
  // itself; the aggregation repartitions first if the key may have changed upstream (map,
  // select_key, flat_map, process), through <name>-repartition (Grouped's name, else the
  // aggregation's store name).
  KGroupedStream<K, V> group_by_key(Grouped<K, V> grouped = {}) const;

  // Groups the records by a new key, selector(key, value) -> K2: a select_key (name prefix
  // KSTREAM-KEY-SELECT-) followed by a grouping that always repartitions.
  template <typename F>
  auto group_by(F selector,
                Grouped<internal::unwrap_optional_t<internal::key_value_result_t<F, K, V>>, V>
                    grouped = {}) const;

  // KStream-KTable join: each record is joined with the table's current value of its key,
  // joiner(value, table value) -> VR; records without a table value are dropped (join) or
  // joined with std::nullopt (left_join: joiner(const V&, const std::optional<VT>&)). Table
  // updates produce no output. Records with a null key or value are dropped. Stateful (reads
  // the table's store); repartitions the stream first if its key may have changed (through
  // <this stream's node>-repartition, shared with every other join of this stream, as in
  // Kafka Streams); the stream and the table must be co-partitioned. Name prefixes
  // KSTREAM-JOIN- / KSTREAM-LEFTJOIN-.
  template <typename VT, typename F>
  auto join(const KTable<K, VT>& table, F joiner, const Named& named = {}) const;
  template <typename VT, typename F>
  auto left_join(const KTable<K, VT>& table, F joiner, const Named& named = {}) const;

  // KStream-GlobalKTable join: each record looks the global table up under
  // key_selector(key, value) -> GK (or std::optional<GK>; the selector may take the key as
  // const std::optional<K>& to see records without one) and is joined with the value found,
  // joiner(value, global value) -> VR; the result keeps the stream's key. join drops a record
  // whose lookup key is null or absent from the table; left_join joins it with std::nullopt
  // (joiner(const V&, const std::optional<GV>&)). Records with a null value are dropped;
  // updates of the global table produce nothing. Stateful (reads the global store); needs no
  // co-partitioning and never repartitions. Name prefixes KSTREAM-JOIN- / KSTREAM-LEFTJOIN-.
  template <typename GK, typename GV, typename KS, typename F>
  auto join(const GlobalKTable<GK, GV>& table, KS key_selector, F joiner,
            const Named& named = {}) const {
    static_assert(std::is_invocable_v<F&, const V&, const GV&>,
                  "join: the joiner must be callable as VR(const V&, const GV&)");
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const GV&>>;
    std::function<VR(const V&, const std::optional<GV>&)> fn =
        [joiner](const V& v, const std::optional<GV>& g) mutable { return joiner(v, *g); };
    return global_table_join<GK, GV, VR>(table, std::move(key_selector), std::move(fn), false,
                                         named);
  }
  template <typename GK, typename GV, typename KS, typename F>
  auto left_join(const GlobalKTable<GK, GV>& table, KS key_selector, F joiner,
                 const Named& named = {}) const {
    static_assert(
        std::is_invocable_v<F&, const V&, const std::optional<GV>&>,
        "left_join: the joiner must be callable as VR(const V&, const std::optional<GV>&)");
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<GV>&>>;
    std::function<VR(const V&, const std::optional<GV>&)> fn = joiner;
    return global_table_join<GK, GV, VR>(table, std::move(key_selector), std::move(fn), true,
                                         named);
  }

  // KStream-KStream joins within a time window: a record of this stream at t joins each
  // record of `other` with the same key and a timestamp in [t - before, t + after]
  // (JoinWindows), and the other way round; results carry the larger timestamp. join:
  // joiner(const V&, const VO&); left_join: joiner(const V&, const std::optional<VO>&), a
  // record of this stream that found no partner is joined with std::nullopt once its window
  // has closed (stream time past t + after + grace); outer_join: joiner(const
  // std::optional<V>&, const std::optional<VO>&), likewise for both sides. Records arriving
  // after their window closed are dropped as late. Stateful: each side's records in a window
  // store (KSTREAM-JOINTHIS-<n>-store, KSTREAM-JOINOTHER-<n>-store; retention before + after
  // + grace), unmatched ones in KSTREAM-...-shared-join-store; repartitions a side whose key
  // may have changed, through <that side's node>-repartition, written once per stream: a
  // re-keyed stream joined with itself, or joined twice, reads one repartition topic (as in
  // Kafka Streams); both sides must be co-partitioned. Name prefixes KSTREAM-WINDOWED-,
  // KSTREAM-JOINTHIS-/-JOINOTHER- (OUTERTHIS/OUTEROTHER), KSTREAM-MERGE-.
  // A self-join, s.join(s, joiner, windows), built with
  // topology.optimization single.store.self.join (StreamsBuilder::build(properties)), runs as
  // one processor (named as the KSTREAM-MERGE- node) over the KSTREAM-JOINTHIS- store alone,
  // with the same output (KIP-862; operators/topology_optimization.h); also after a key
  // change, over the one repartition both sides read.
  template <typename VO, typename F>
  auto join(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
            const Named& named = {}) const {
    static_assert(std::is_invocable_v<F&, const V&, const VO&>,
                  "join: the joiner must be callable as VR(const V&, const VO&)");
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VO&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn =
        [joiner](const std::optional<V>& l, const std::optional<VO>& r) mutable {
          return joiner(*l, *r);
        };
    return stream_stream_join<VO, VR>(other, std::move(fn), windows, internal::JoinKind::kInner,
                                      named);
  }
  template <typename VO, typename F>
  auto left_join(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
                 const Named& named = {}) const {
    static_assert(std::is_invocable_v<F&, const V&, const std::optional<VO>&>,
                  "left_join: the joiner must be callable as VR(const V&, const "
                  "std::optional<VO>&)");
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VO>&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn =
        [joiner](const std::optional<V>& l, const std::optional<VO>& r) mutable {
          return joiner(*l, r);
        };
    return stream_stream_join<VO, VR>(other, std::move(fn), windows, internal::JoinKind::kLeft,
                                      named);
  }
  template <typename VO, typename F>
  auto outer_join(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
                  const Named& named = {}) const {
    using VR = std::remove_cvref_t<
        std::invoke_result_t<F&, const std::optional<V>&, const std::optional<VO>&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn = joiner;
    return stream_stream_join<VO, VR>(other, std::move(fn), windows, internal::JoinKind::kOuter,
                                      named);
  }

  // The stream read as a table: per key the latest value, a null value deleting the key
  // (as StreamsBuilder::table does for a topic). Stateful: materialized in a key-value store
  // (Materialized's name, else KSTREAM-TOTABLE-STATE-STORE-<n>); repartitions first if the key
  // may have changed, through <this operation's name>-repartition (as Kafka Streams names
  // it). Name prefix KSTREAM-TOTABLE-.
  KTable<K, V> to_table(Materialized<K, V> materialized = {}, const Named& named = {}) const;

  // Whether a grouping or join after this stream repartitions it first.
  bool repartition_required() const { return repartition_required_; }

  // The name of the processor that produces this stream.
  const std::string& node_name() const { return node_; }

 private:
  friend class StreamsBuilder;
  template <typename, typename>
  friend class KStream;
  friend class BranchedKStream<K, V>;
  template <typename, typename>
  friend class KGroupedStream;
  template <typename, typename>
  friend class KTable;
  template <typename, typename>
  friend class TimeWindowedKStream;
  template <typename, typename>
  friend class SessionWindowedKStream;

  template <typename VO, typename VR>
  KStream<K, VR> stream_stream_join(
      const KStream<K, VO>& other,
      std::function<VR(const std::optional<V>&, const std::optional<VO>&)> joiner,
      const JoinWindows& windows, internal::JoinKind kind, const Named& named) const;

  template <typename VT, typename VR>
  KStream<K, VR> stream_table_join(const KTable<K, VT>& table,
                                   std::function<VR(const V&, const std::optional<VT>&)> joiner,
                                   bool left, const Named& named) const;

  template <typename GK, typename GV, typename VR, typename KS>
  KStream<K, VR> global_table_join(const GlobalKTable<GK, GV>& table, KS key_selector,
                                   std::function<VR(const V&, const std::optional<GV>&)> joiner,
                                   bool left, const Named& named) const {
    static_assert(internal::is_key_value_callable_v<KS, K, V>,
                  "join: the key selector must be callable as GK(const K&, const V&)");
    using R = internal::key_value_result_t<KS, K, V>;
    static_assert(std::is_convertible_v<internal::unwrap_optional_t<R>, GK>,
                  "join: the key selector must return the global table's key type");
    const std::string name =
        state_->name_or_new(named.name, left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
    using Node = internal::KStreamGlobalKTableJoin<K, V, GK, GV, VR, KS>;
    // The global store is not declared: declaring it would pull this processor into the
    // global store's sub-topology, and processors read global stores without declaring them.
    return add_processor<K, VR>(
        name,
        [name, store = table.store_name_, ks = table.key_serde_, vs = table.value_serde_,
         key_selector, joiner, left]() -> std::unique_ptr<internal::ProcessorNode> {
          return std::make_unique<Node>(name, store, ks, vs, key_selector, joiner, left);
        },
        key_serde_, std::shared_ptr<const Serde<VR>>());
  }

  KStream(internal::BuilderState* state, std::string node,
          std::shared_ptr<const Serde<K>> key_serde, std::shared_ptr<const Serde<V>> value_serde,
          bool repartition_required = false)
      : state_(state),
        node_(std::move(node)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        repartition_required_(repartition_required) {}

  // Writes the stream to <prefix>-repartition through a sink, after a filter that drops
  // records with a null key, and reads it back (the repartition a grouping or join inserts).
  // If this stream was already repartitioned into that topic with the same serdes asked for,
  // returns that repartition's source and adds nothing (a topic has one writer and one reader
  // per sub-topology); it still takes the three generated names, as Kafka Streams does.
  KStream<K, V> repartition_for(const std::string& prefix, std::shared_ptr<const Serde<K>> ks,
                                std::shared_ptr<const Serde<V>> vs) const;

  // The stream's value serde if V2 is V (a mapper that keeps the type keeps its encoding).
  template <typename V2>
  static std::shared_ptr<const Serde<V2>> same_type_serde(
      const std::shared_ptr<const Serde<V>>& s) {
    if constexpr (std::is_same_v<V, V2>) {
      return s;
    } else {
      return nullptr;
    }
  }

  template <typename K2, typename V2, typename Factory>
  KStream<K2, V2> add_processor(const std::string& name, Factory factory,
                                std::shared_ptr<const Serde<K2>> key_serde,
                                std::shared_ptr<const Serde<V2>> value_serde,
                                bool key_changed = false) const {
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {node_};
    def.factory = std::move(factory);
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
    return KStream<K2, V2>(state_, name, std::move(key_serde), std::move(value_serde),
                           key_changed || repartition_required_);
  }

  template <typename F>
  KStream<K, V> add_filter(F predicate, const Named& named, bool keep_when,
                           const char* method) const {
    constexpr bool kValue = internal::is_value_callable_v<F, K, V>;
    constexpr bool kKeyValue = internal::is_key_value_callable_v<F, K, V>;
    if constexpr (!kValue && !kKeyValue) {
      static_assert(internal::dependent_false_v<F>,
                    "filter/filter_not: the predicate must be callable as "
                    "bool(const K&, const V&) or bool(const V&)");
      (void)method;
      return *this;
    } else {
      using Call = internal::ValueOrKeyValueCall<F, K, V>;
      using R = decltype(Call::call(std::declval<F&>(), std::declval<const Record<K, V>&>()));
      static_assert(std::is_convertible_v<R, bool>,
                    "filter/filter_not: the predicate must return bool");
      (void)method;
      const std::string name = state_->name_or_new(named.name, "KSTREAM-FILTER-");
      return add_processor<K, V>(
          name,
          [name, predicate, keep_when]() -> std::unique_ptr<internal::ProcessorNode> {
            return std::make_unique<internal::KStreamFilter<K, V, F>>(name, predicate, keep_when);
          },
          key_serde_, value_serde_);
    }
  }

  template <typename F>
  KStream<K, V> add_action(F action, const std::string& name) const {
    return add_processor<K, V>(
        name,
        [name, action]() -> std::unique_ptr<internal::ProcessorNode> {
          return std::make_unique<internal::KStreamPeek<K, V, F>>(name, action);
        },
        key_serde_, value_serde_);
  }

  void add_sink(const std::string& topic, TopicNameExtractor<K, V> extractor,
                Produced<K, V> produced) const {
    const std::string name = state_->name_or_new(produced.name, "KSTREAM-SINK-");
    const std::string what = "to(" + (extractor ? std::string("extractor") : topic) + ")";
    auto key_serde =
        internal::resolve_serde<K>(*state_, produced.key_serde, key_serde_, what + ": key");
    auto value_serde =
        internal::resolve_serde<V>(*state_, produced.value_serde, value_serde_, what + ": value");
    internal::NodeDef def;
    def.name = name;
    def.kind = internal::NodeKind::kSink;
    def.predecessors = {node_};
    def.sink_topic = topic;
    if (extractor) def.extractor_description = "TopicNameExtractor";
    def.factory = [name, topic, extractor, key_serde, value_serde,
                   partitioner =
                       produced.partitioner]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::SinkNode<K, V>>(name, topic, false, extractor, key_serde,
                                                        value_serde, partitioner);
    };
    def.key_partitioner = key_partitioner_of(produced.partitioner);
    def.attach = &internal::attach<K, V>;
    state_->add_node(std::move(def));
  }

  // A sink's partitioner as NodeDef::key_partitioner keeps it (null without one).
  static decltype(internal::NodeDef::key_partitioner) key_partitioner_of(
      StreamPartitioner<K, V> partitioner) {
    if (!partitioner) return nullptr;
    return [partitioner = std::move(partitioner)](
               const std::string& topic, const std::type_info& key_type, const void* key,
               std::int32_t partitions) -> std::optional<std::int32_t> {
      if (key_type != typeid(K)) return std::nullopt;
      return partitioner(topic, std::optional<K>(*static_cast<const K*>(key)), std::nullopt,
                         partitions);
    };
  }

  internal::BuilderState* state_;  // Borrowed from the StreamsBuilder.
  std::string node_;
  std::shared_ptr<const Serde<K>> key_serde_;  // Null when unknown (the type changed).
  std::shared_ptr<const Serde<V>> value_serde_;
  // Whether the key may have changed since the last repartition (map, select_key, flat_map,
  // process upstream): a grouping or join must repartition first.
  bool repartition_required_ = false;
};

// The branches of KStream::split under construction:
//
//   auto branches = stream.split(Named::as("by-size-"))
//       .branch([](const auto&, const std::string& v) { return v.size() > 100; },
//               Branched::as("large"))
//       .default_branch(Branched::as("small"));
//   branches.at("by-size-large").to("large");
//
// Each record goes to the first branch whose predicate holds, else to the default branch,
// else nowhere. Stateless; no repartition.
template <typename K, typename V>
class BranchedKStream {
 public:
  // Adds a branch; predicate as for KStream::filter. Its stream is named <split name><branch
  // name>, or <split name><position> (1-based) without a name.
  template <typename F>
  BranchedKStream& branch(F predicate, const Branched& branched = {}) {
    constexpr bool kValue = internal::is_value_callable_v<F, K, V>;
    constexpr bool kKeyValue = internal::is_key_value_callable_v<F, K, V>;
    if constexpr (!kValue && !kKeyValue) {
      static_assert(internal::dependent_false_v<F>,
                    "branch: the predicate must be callable as bool(const K&, const V&) or "
                    "bool(const V&)");
    } else {
      using Call = internal::ValueOrKeyValueCall<F, K, V>;
      add_branch(
          [predicate](const Record<K, V>& r) mutable {
            return Call::can_call(r) && static_cast<bool>(Call::call(predicate, r));
          },
          branched);
    }
    return *this;
  }

  // Adds a branch taking every record no other branch took, and returns all branches.
  std::map<std::string, KStream<K, V>> default_branch(const Branched& branched = {}) {
    add_branch(nullptr, branched);
    return std::move(result_);
  }
  // Returns all branches; records no branch takes are dropped.
  std::map<std::string, KStream<K, V>> no_default_branch() { return std::move(result_); }

 private:
  friend class KStream<K, V>;
  using Branches = std::vector<typename internal::KStreamSplit<K, V>::Branch>;

  BranchedKStream(KStream<K, V> source, std::string splitter, std::shared_ptr<Branches> branches)
      : source_(std::move(source)),
        splitter_(std::move(splitter)),
        branches_(std::move(branches)) {}

  void add_branch(std::function<bool(const Record<K, V>&)> predicate, const Branched& branched) {
    const std::string child =
        splitter_ + (branched.name.empty() ? std::to_string(++index_) : branched.name);
    if (!branched.name.empty()) ++index_;
    source_.state_->new_name("KSTREAM-BRANCHCHILD-");  // Kafka takes an index here too.
    branches_->push_back({std::move(predicate), child});
    internal::NodeDef def;
    def.name = child;
    def.predecessors = {splitter_};
    def.factory = [child]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KStreamPassThrough<K, V>>(child);
    };
    def.attach = &internal::attach<K, V>;
    source_.state_->add_node(std::move(def));
    result_.emplace(child, KStream<K, V>(source_.state_, child, source_.key_serde_,
                                         source_.value_serde_, source_.repartition_required_));
  }

  KStream<K, V> source_;
  std::string splitter_;
  // Shared with the splitter's node factory, which reads it when tasks are made (after the
  // builder is done adding branches).
  std::shared_ptr<Branches> branches_;
  int index_ = 0;
  std::map<std::string, KStream<K, V>> result_;
};

template <typename K, typename V>
BranchedKStream<K, V> KStream<K, V>::split(const Named& named) const {
  const std::string name = state_->name_or_new(named.name, "KSTREAM-BRANCH-");
  auto branches = std::make_shared<typename BranchedKStream<K, V>::Branches>();
  internal::NodeDef def;
  def.name = name;
  def.predecessors = {node_};
  def.factory = [name, branches]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamSplit<K, V>>(name, *branches);
  };
  def.attach = &internal::attach<K, V>;
  state_->add_node(std::move(def));
  return BranchedKStream<K, V>(*this, name, std::move(branches));
}

}  // namespace runnel

#include "operators/kgrouped_stream.h"
#include "operators/ktable.h"
#include "operators/kwindowed_stream.h"

namespace runnel {

template <typename K, typename V>
KStream<K, V> KStream<K, V>::repartition_for(const std::string& prefix,
                                             std::shared_ptr<const Serde<K>> ks,
                                             std::shared_ptr<const Serde<V>> vs) const {
  const std::string topic = prefix + "-repartition";
  // The three names are taken even when an earlier repartition is reused, as Kafka Streams
  // takes them, so that later generated names match a Kafka Streams application's.
  const std::string sink_name = state_->new_name("KSTREAM-SINK-");
  const std::string filter_name = state_->new_name("KSTREAM-FILTER-");
  const std::string source_name = state_->new_name("KSTREAM-SOURCE-");
  internal::BuilderState::Repartition wanted;
  wanted.upstream = node_;
  wanted.topic = topic;
  wanted.key_override = ks;
  wanted.value_override = vs;
  wanted.stream_key_serde = key_serde_;
  wanted.stream_value_serde = value_serde_;
  if (const auto* earlier = state_->find_repartition(wanted)) {
    return KStream<K, V>(state_, earlier->source,
                         std::static_pointer_cast<const Serde<K>>(earlier->key_serde),
                         std::static_pointer_cast<const Serde<V>>(earlier->value_serde));
  }
  auto key_serde =
      internal::resolve_serde<K>(*state_, ks, key_serde_, "repartition " + topic + ": key");
  auto value_serde =
      internal::resolve_serde<V>(*state_, vs, value_serde_, "repartition " + topic + ": value");
  wanted.source = source_name;
  wanted.key_serde = key_serde;
  wanted.value_serde = value_serde;
  state_->add_repartition(std::move(wanted));
  internal::InternalTopicDef internal_topic;
  internal_topic.name = topic;
  state_->add_internal_topic(std::move(internal_topic));

  auto has_key = [](const std::optional<K>& key, const std::optional<V>&) {
    return key.has_value();
  };
  internal::NodeDef filter;
  filter.name = filter_name;
  filter.predecessors = {node_};
  filter.factory = [filter_name, has_key]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamFilter<K, V, decltype(has_key)>>(filter_name, has_key,
                                                                              true);
  };
  filter.attach = &internal::attach<K, V>;
  state_->add_node(std::move(filter));

  internal::NodeDef sink;
  sink.name = sink_name;
  sink.kind = internal::NodeKind::kSink;
  sink.predecessors = {filter_name};
  sink.sink_topic = topic;
  sink.sink_internal = true;
  sink.factory = [sink_name, topic, key_serde,
                  value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::SinkNode<K, V>>(sink_name, topic, true, nullptr, key_serde,
                                                      value_serde, nullptr);
  };
  sink.attach = &internal::attach<K, V>;
  state_->add_node(std::move(sink));

  internal::NodeDef source;
  source.name = source_name;
  source.kind = internal::NodeKind::kSource;
  source.topics = {topic};
  source.internal_topics = true;
  source.factory = [source_name, key_serde,
                    value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::SourceNode<K, V>>(source_name, key_serde, value_serde,
                                                        nullptr);
  };
  state_->add_node(std::move(source));
  return KStream<K, V>(state_, source_name, key_serde, value_serde);
}

template <typename K, typename V>
KTable<K, V> KStream<K, V>::to_table(Materialized<K, V> materialized, const Named& named) const {
  const std::string name = state_->name_or_new(named.name, "KSTREAM-TOTABLE-");
  const std::string store = materialized.store_name.empty()
                                ? state_->new_store_name("KSTREAM-TOTABLE-")
                                : materialized.store_name;
  KStream<K, V> input = *this;
  // Named after this operation, not the stream, as Kafka Streams names it: a join of the
  // same re-keyed stream has a repartition of its own.
  if (repartition_required_) input = repartition_for(name, nullptr, nullptr);
  auto key_serde = internal::resolve_serde<K>(*state_, materialized.key_serde, input.key_serde_,
                                              "to_table " + name + ": key");
  auto value_serde = internal::resolve_serde<V>(*state_, materialized.value_serde,
                                                input.value_serde_, "to_table " + name + ": value");
  state_->add_store(
      internal::key_value_store_def<K, V>(store, materialized, key_serde, value_serde));
  internal::NodeDef def;
  def.name = name;
  def.predecessors = {input.node_};
  def.stores = {store};
  def.factory = [name, store, key_serde,
                 value_serde]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KTableSource<K, V>>(name, store, key_serde, value_serde);
  };
  def.attach = &internal::attach<K, V>;
  state_->add_node(std::move(def));
  return KTable<K, V>(state_, name, key_serde, value_serde, store,
                      internal::store_getter<K, V>(store, key_serde, value_serde), {store});
}

template <typename K, typename V>
KGroupedStream<K, V> KStream<K, V>::group_by_key(Grouped<K, V> grouped) const {
  return KGroupedStream<K, V>(state_, node_, key_serde_, value_serde_, repartition_required_,
                              std::move(grouped));
}

template <typename K, typename V>
template <typename F>
auto KStream<K, V>::group_by(
    F selector,
    Grouped<internal::unwrap_optional_t<internal::key_value_result_t<F, K, V>>, V> grouped) const {
  using K2 = internal::unwrap_optional_t<internal::key_value_result_t<F, K, V>>;
  KStream<K2, V> keyed = select_key(std::move(selector));
  return KGroupedStream<K2, V>(state_, keyed.node_, nullptr, value_serde_, true,
                               std::move(grouped));
}

template <typename K, typename V>
template <typename VT, typename VR>
KStream<K, VR> KStream<K, V>::stream_table_join(
    const KTable<K, VT>& table, std::function<VR(const V&, const std::optional<VT>&)> joiner,
    bool left, const Named& named) const {
  KStream<K, V> input = *this;
  if (repartition_required_) input = repartition_for(node_, nullptr, nullptr);
  const std::string name =
      state_->name_or_new(named.name, left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
  state_->add_copartition_group({input.node_, table.node_});
  internal::NodeDef def;
  def.name = name;
  def.predecessors = {input.node_};
  def.stores = table.getter_stores_;
  def.factory = [name, getter = table.getter_, joiner,
                 left]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamKTableJoin<K, V, VT, VR>>(name, getter, joiner, left);
  };
  def.attach = &internal::attach<K, V>;
  state_->add_node(std::move(def));
  return KStream<K, VR>(state_, name, input.key_serde_, nullptr);
}

template <typename K, typename V>
template <typename VO, typename VR>
KStream<K, VR> KStream<K, V>::stream_stream_join(
    const KStream<K, VO>& other,
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> joiner,
    const JoinWindows& windows, internal::JoinKind kind, const Named& named) const {
  if (Status s = windows.validate(); !s.ok()) state_->set_error(std::move(s));
  KStream<K, V> left = *this;
  if (repartition_required_) left = repartition_for(node_, nullptr, nullptr);
  KStream<K, VO> right = other;
  if (other.repartition_required_) right = other.repartition_for(other.node_, nullptr, nullptr);
  const bool given = !named.name.empty();
  const std::string this_windowed =
      given ? named.name + "-this-windowed" : state_->new_name("KSTREAM-WINDOWED-");
  const std::string other_windowed =
      given ? named.name + "-other-windowed" : state_->new_name("KSTREAM-WINDOWED-");
  const bool outer = kind == internal::JoinKind::kOuter;
  const std::string join_this =
      given ? named.name + "-this-join"
            : state_->new_name(outer ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-");
  const std::string join_other =
      given ? named.name + (outer ? "-outer-other-join" : "-other-join")
            : state_->new_name(kind != internal::JoinKind::kInner ? "KSTREAM-OUTEROTHER-"
                                                                  : "KSTREAM-JOINOTHER-");
  const std::string merge_name = given ? named.name + "-merge" : state_->new_name("KSTREAM-MERGE-");
  const std::string this_store = join_this + "-store";
  const std::string other_store = join_other + "-store";
  const std::string outer_store =
      kind == internal::JoinKind::kInner ? "" : join_this + "-shared-join-store";

  const std::string what = "join " + merge_name;
  auto key_serde =
      internal::resolve_serde<K>(*state_, left.key_serde_, right.key_serde_, what + ": key");
  auto left_serde =
      internal::resolve_serde<V>(*state_, nullptr, left.value_serde_, what + ": left value");
  auto right_serde =
      internal::resolve_serde<VO>(*state_, nullptr, right.value_serde_, what + ": right value");
  auto window_store = [&](const std::string& name) {
    internal::StoreDef def;
    def.name = name;
    def.kind = StoreKind::kWindow;
    // One more than before + after + grace: a record on the boundary is still found.
    def.retention_ms = windows.before_ms + windows.after_ms + windows.grace_ms + 1;
    def.window_size_ms = windows.before_ms + windows.after_ms;
    def.retain_duplicates = true;
    return def;
  };
  internal::StoreDef this_def = window_store(this_store);
  internal::set_store_serdes<K, V>(this_def, key_serde, left_serde);
  state_->add_store(std::move(this_def));
  internal::StoreDef other_def = window_store(other_store);
  internal::set_store_serdes<K, VO>(other_def, key_serde, right_serde);
  state_->add_store(std::move(other_def));
  if (!outer_store.empty()) {
    internal::StoreDef def;
    def.name = outer_store;
    state_->add_store(std::move(def));
  }
  state_->add_copartition_group({left.node_, right.node_});

  auto add = [&](internal::NodeDef def) { state_->add_node(std::move(def)); };
  internal::NodeDef tw;
  tw.name = this_windowed;
  tw.predecessors = {left.node_};
  tw.stores = {this_store};
  tw.factory = [this_windowed, this_store, key_serde,
                left_serde]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamJoinWindow<K, V>>(this_windowed, this_store, key_serde,
                                                               left_serde);
  };
  tw.attach = &internal::attach<K, V>;
  add(std::move(tw));
  internal::NodeDef ow;
  ow.name = other_windowed;
  ow.predecessors = {right.node_};
  ow.stores = {other_store};
  ow.factory = [other_windowed, other_store, key_serde,
                right_serde]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamJoinWindow<K, VO>>(other_windowed, other_store,
                                                                key_serde, right_serde);
  };
  ow.attach = &internal::attach<K, VO>;
  add(std::move(ow));

  using LeftJoin = internal::KStreamKStreamJoin<K, V, VO, VR, true>;
  using RightJoin = internal::KStreamKStreamJoin<K, V, VO, VR, false>;
  typename LeftJoin::Config left_config{other_store, outer_store, windows,    kind,
                                        key_serde,   left_serde,  right_serde};
  typename RightJoin::Config right_config{this_store, outer_store, windows,    kind,
                                          key_serde,  left_serde,  right_serde};
  internal::NodeDef jt;
  jt.name = join_this;
  jt.predecessors = {this_windowed};
  jt.stores = {other_store};
  if (!outer_store.empty()) jt.stores.push_back(outer_store);
  jt.factory = [join_this, left_config, joiner]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<LeftJoin>(join_this, left_config, joiner);
  };
  jt.attach = &internal::attach<K, V>;
  add(std::move(jt));
  internal::NodeDef jo;
  jo.name = join_other;
  jo.predecessors = {other_windowed};
  jo.stores = {this_store};
  if (!outer_store.empty()) jo.stores.push_back(outer_store);
  jo.factory = [join_other, right_config, joiner]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<RightJoin>(join_other, right_config, joiner);
  };
  jo.attach = &internal::attach<K, VO>;
  add(std::move(jo));
  internal::NodeDef merge;
  merge.name = merge_name;
  merge.predecessors = {join_this, join_other};
  merge.factory = [merge_name]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KStreamPassThrough<K, VR>>(merge_name);
  };
  merge.attach = &internal::attach<K, VR>;
  add(std::move(merge));

  // KIP-862's conditions for running the join as a self-join over one store, should
  // build() be asked for single.store.self.join: an inner join whose two sides read the same
  // node with the same serdes. A re-keyed stream joined with itself qualifies: both sides
  // read the one repartition repartition_for made for it (Kafka Streams' rewrite applies
  // there too, both sides having the same repartition node as parent).
  if constexpr (std::is_same_v<V, VO>) {
    if (kind == internal::JoinKind::kInner && left.node_ == right.node_ &&
        left.key_serde_ == right.key_serde_ && left.value_serde_ == right.value_serde_) {
      using SelfJoin = internal::KStreamKStreamSelfJoin<K, V, VR>;
      typename SelfJoin::Config self_config{this_store, windows, key_serde, left_serde};
      internal::BuilderState::SelfJoinRewrite rewrite;
      rewrite.replaced = {this_windowed, other_windowed, join_this, join_other, merge_name};
      rewrite.dropped_store = other_store;
      internal::NodeDef& self = rewrite.self_join;
      self.name = merge_name;
      self.predecessors = {left.node_};
      self.stores = {this_store};
      self.factory = [merge_name, self_config,
                      joiner]() -> std::unique_ptr<internal::ProcessorNode> {
        return std::make_unique<SelfJoin>(merge_name, self_config, joiner);
      };
      self.attach = &internal::attach<K, V>;
      state_->add_self_join_candidate(std::move(rewrite));
    }
  }
  return KStream<K, VR>(state_, merge_name, key_serde, nullptr);
}

template <typename K, typename V>
template <typename VT, typename F>
auto KStream<K, V>::join(const KTable<K, VT>& table, F joiner, const Named& named) const {
  static_assert(std::is_invocable_v<F&, const V&, const VT&>,
                "join: the joiner must be callable as VR(const V&, const VT&)");
  using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VT&>>;
  std::function<VR(const V&, const std::optional<VT>&)> fn =
      [joiner](const V& v, const std::optional<VT>& t) mutable { return joiner(v, *t); };
  return stream_table_join<VT, VR>(table, std::move(fn), false, named);
}

template <typename K, typename V>
template <typename VT, typename F>
auto KStream<K, V>::left_join(const KTable<K, VT>& table, F joiner, const Named& named) const {
  static_assert(std::is_invocable_v<F&, const V&, const std::optional<VT>&>,
                "left_join: the joiner must be callable as VR(const V&, const std::optional<VT>&)");
  using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VT>&>>;
  std::function<VR(const V&, const std::optional<VT>&)> fn = joiner;
  return stream_table_join<VT, VR>(table, std::move(fn), true, named);
}

}  // namespace runnel

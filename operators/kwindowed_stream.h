#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/serde.h"
#include "core/serdes.h"
#include "operators/emit_strategy.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/store_def.h"
#include "operators/internal/value_and_timestamp.h"
#include "operators/internal/window_nodes.h"
#include "operators/kgrouped_stream.h"
#include "operators/ktable.h"
#include "operators/materialized.h"
#include "operators/named.h"
#include "operators/windows.h"

namespace runnel {

namespace internal {

template <typename K, typename V>
StoreDef windowed_store_def(const std::string& name, StoreKind kind,
                            const Materialized<K, V>& materialized, std::int64_t min_retention_ms,
                            std::int64_t window_size_ms, std::shared_ptr<const Serde<K>> key_serde,
                            std::shared_ptr<const Serde<V>> value_serde) {
  StoreDef def;
  def.name = name;
  def.kind = kind;
  def.logging = materialized.logging;
  def.caching = materialized.caching;
  // Retention: at least window size + grace (Kafka Streams refuses less; Runnel raises it).
  def.retention_ms = std::max<std::int64_t>(
      min_retention_ms, materialized.retention ? materialized.retention->count() : 0);
  def.window_size_ms = window_size_ms;
  set_store_serdes<K, V>(def, std::move(key_serde), std::move(value_serde));
  return def;
}

// Declares the key-value store in which a windowed aggregation emitting on window close
// keeps how far it has emitted (WindowCloseEmitter): <store>-emit-position, logged when the
// window store is. Cached: the position may move at every record (a sliding window may end
// at any millisecond), and its changelog needs it once per commit, as Kafka Streams keeps it
// in the commit's metadata. Returns its name.
inline std::string add_emit_position_store(BuilderState& state, const std::string& store,
                                           bool logging) {
  StoreDef def;
  def.name = store + "-emit-position";
  def.kind = StoreKind::kKeyValue;
  def.logging = logging;
  def.caching = true;
  std::string name = def.name;
  state.add_store(std::move(def));
  return name;
}

// Adds a windowed aggregation's processor, reading `parent`, with its window (or session)
// store and, when emitting on window close, its position store (else empty).
template <typename K, typename V>
void add_windowed_aggregate_node(BuilderState& state, const std::string& name,
                                 const std::string& parent, const std::string& store,
                                 const std::string& position_store,
                                 std::function<std::unique_ptr<ProcessorNode>()> factory) {
  NodeDef def;
  def.name = name;
  def.predecessors = {parent};
  def.stores = {store};
  if (!position_store.empty()) def.stores.push_back(position_store);
  def.factory = std::move(factory);
  def.attach = &attach<K, V>;
  state.add_node(std::move(def));
}

}  // namespace internal

// A grouped stream cut into time windows (KGroupedStream::windowed_by(TimeWindows)). Its
// aggregations are stateful: per key and window, in a window store (retention window size +
// grace unless Materialized asks for more), producing KTable<Windowed<K>, VA> whose key serde
// is TimeWindowedSerde. Records for windows already closed (stream time - grace >= window
// end) are dropped and counted as late. Repartitions first as KGroupedStream does.
template <typename K, typename V>
class TimeWindowedKStream {
 public:
  // When the aggregations below send results (EmitStrategy): on every update (the default:
  // at once, or once per window per commit when the store caches), or once per window when it
  // closes. On window close, the window store is not cached (nothing is forwarded from it
  // before the window closes, so a cache would only delay writes; Kafka Streams does the
  // same), and a second key-value store, <store>-emit-position (logged when the window store
  // is), keeps how far the windows have been emitted.
  TimeWindowedKStream emit_strategy(EmitStrategy strategy) const {
    TimeWindowedKStream copy = *this;
    copy.emit_ = strategy;
    return copy;
  }

  KTable<Windowed<K>, std::int64_t> count(Materialized<K, std::int64_t> materialized = {},
                                          const Named& named = {}) const {
    auto step = [](const K&, const V&, const std::optional<std::int64_t>& old) {
      return old.value_or(0) + 1;
    };
    auto value_serde =
        materialized.value_serde ? materialized.value_serde : std::make_shared<Int64Serde>();
    return aggregate_with<std::int64_t>(std::move(step), std::move(materialized), value_serde,
                                        named);
  }

  template <typename F>
  KTable<Windowed<K>, V> reduce(F reducer, Materialized<K, V> materialized = {},
                                const Named& named = {}) const {
    auto step = [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
      return old ? reducer(*old, value) : value;
    };
    auto value_serde = internal::resolve_serde<V>(*grouped_.state_, materialized.value_serde,
                                                  grouped_.value_serde_, "reduce: value");
    return aggregate_with<V>(std::move(step), std::move(materialized), value_serde, named,
                             "KSTREAM-REDUCE-");
  }

  template <typename I, typename A, typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<Windowed<K>, VA> aggregate(I initializer, A aggregator,
                                    std::type_identity_t<Materialized<K, VA>> materialized = {},
                                    const Named& named = {}) const {
    auto step = [initializer, aggregator](const K& key, const V& value,
                                          const std::optional<VA>& old) mutable -> VA {
      return old ? aggregator(key, value, *old) : aggregator(key, value, initializer());
    };
    auto value_serde = internal::resolve_serde<VA>(*grouped_.state_, materialized.value_serde,
                                                   nullptr, "aggregate: value");
    return aggregate_with<VA>(std::move(step), std::move(materialized), value_serde, named);
  }

 private:
  friend class KGroupedStream<K, V>;
  TimeWindowedKStream(KGroupedStream<K, V> grouped, TimeWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  template <typename VA, typename Step>
  KTable<Windowed<K>, VA> aggregate_with(Step step, Materialized<K, VA> materialized,
                                         std::shared_ptr<const Serde<VA>> value_serde,
                                         const Named& named,
                                         const char* prefix = "KSTREAM-AGGREGATE-") const {
    internal::BuilderState& state = *grouped_.state_;
    if (Status s = windows_.validate(); !s.ok()) state.set_error(std::move(s));
    const auto n = grouped_.name_aggregation(materialized, named, prefix, "windowed aggregation");
    const std::string& store = n.store;
    const std::string& name = n.name;
    const auto& key_serde = n.key_serde;
    const bool on_close = emit_.kind() == EmitStrategy::Kind::kOnWindowClose;
    internal::StoreDef store_def = internal::windowed_store_def<K, VA>(
        store, StoreKind::kWindow, materialized, windows_.size_ms + windows_.grace_ms,
        windows_.size_ms, key_serde, value_serde);
    if (on_close) store_def.caching = false;
    state.add_store(std::move(store_def));
    const std::string position_store =
        on_close ? internal::add_emit_position_store(state, store, materialized.logging) : "";
    internal::add_windowed_aggregate_node<K, V>(
        state, name, n.parent, store, position_store,
        [name, store, windows = windows_, key_serde, value_serde, step, position_store] {
          return std::unique_ptr<internal::ProcessorNode>(
              std::make_unique<internal::KStreamWindowAggregate<K, V, VA, Step>>(
                  name, store, windows, key_serde, value_serde, step, position_store));
        });
    // The table's getter reads a window's value from the window store.
    internal::ValueGetterSupplier<Windowed<K>, VA> getter =
        [store, key_serde, value_serde](
            internal::TaskContext& context,
            const std::string& node) -> Result<internal::ValueGetter<Windowed<K>, VA>> {
      RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(node, store));
      auto typed =
          std::make_shared<state::TypedWindowStore<K, VA>>(*s.window, *key_serde, *value_serde);
      return internal::ValueGetter<Windowed<K>, VA>(
          [typed, key_serde, value_serde](const Windowed<K>& key) {
            return typed->fetch(key.key, key.window.start_ms);
          });
    };
    KTable<Windowed<K>, VA> table(
        &state, name, std::make_shared<TimeWindowedSerde<K>>(key_serde, windows_.size_ms),
        value_serde, store, std::move(getter), {store});
    table.window_grace_ms_ = windows_.grace_ms;
    return table;
  }

  KGroupedStream<K, V> grouped_;
  TimeWindows windows_;
  EmitStrategy emit_ = EmitStrategy::on_window_update();
};

// A grouped stream cut into sessions (KGroupedStream::windowed_by(SessionWindows)). Its
// aggregations are stateful: per key and session, in a session store (retention gap + grace
// + 1 ms unless Materialized asks for more), producing KTable<Windowed<K>, VA> whose key serde is
// SessionWindowedSerde. When a record merges sessions, the merged-away sessions are
// forwarded as tombstones before the merged session's new aggregate. A record whose merged
// session ends before stream time - grace is dropped and counted as late.
template <typename K, typename V>
class SessionWindowedKStream {
 public:
  KTable<Windowed<K>, std::int64_t> count(Materialized<K, std::int64_t> materialized = {},
                                          const Named& named = {}) const {
    auto step = [](const K&, const V&, const std::optional<std::int64_t>& old) {
      return old.value_or(0) + 1;
    };
    auto merge = [](const K&, std::int64_t a, std::int64_t b) { return a + b; };
    auto value_serde =
        materialized.value_serde ? materialized.value_serde : std::make_shared<Int64Serde>();
    return aggregate_with<std::int64_t>(std::move(step), std::move(merge), std::move(materialized),
                                        value_serde, named);
  }

  template <typename F>
  KTable<Windowed<K>, V> reduce(F reducer, Materialized<K, V> materialized = {},
                                const Named& named = {}) const {
    auto step = [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
      return old ? reducer(*old, value) : value;
    };
    auto merge = [reducer](const K&, const V& a, const V& b) mutable -> V { return reducer(a, b); };
    auto value_serde = internal::resolve_serde<V>(*grouped_.state_, materialized.value_serde,
                                                  grouped_.value_serde_, "reduce: value");
    return aggregate_with<V>(std::move(step), std::move(merge), std::move(materialized),
                             value_serde, named, "KSTREAM-REDUCE-");
  }

  // merger(key, aggregate1, aggregate2) combines the aggregates of two sessions a record
  // merges.
  template <typename I, typename A, typename M,
            typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<Windowed<K>, VA> aggregate(I initializer, A aggregator, M merger,
                                    std::type_identity_t<Materialized<K, VA>> materialized = {},
                                    const Named& named = {}) const {
    auto step = [initializer, aggregator](const K& key, const V& value,
                                          const std::optional<VA>& old) mutable -> VA {
      return old ? aggregator(key, value, *old) : aggregator(key, value, initializer());
    };
    auto value_serde = internal::resolve_serde<VA>(*grouped_.state_, materialized.value_serde,
                                                   nullptr, "aggregate: value");
    return aggregate_with<VA>(std::move(step), std::move(merger), std::move(materialized),
                              value_serde, named);
  }

 private:
  friend class KGroupedStream<K, V>;
  SessionWindowedKStream(KGroupedStream<K, V> grouped, SessionWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  template <typename VA, typename Step, typename Merge>
  KTable<Windowed<K>, VA> aggregate_with(Step step, Merge merge, Materialized<K, VA> materialized,
                                         std::shared_ptr<const Serde<VA>> value_serde,
                                         const Named& named,
                                         const char* prefix = "KSTREAM-AGGREGATE-") const {
    internal::BuilderState& state = *grouped_.state_;
    if (Status s = windows_.validate(); !s.ok()) state.set_error(std::move(s));
    const auto n = grouped_.name_aggregation(materialized, named, prefix, "session aggregation");
    const std::string& store = n.store;
    const std::string& name = n.name;
    const auto& key_serde = n.key_serde;
    // A record at end + gap, accepted while stream time is end + gap + grace, must still find
    // the session ending at `end`: one millisecond more than gap + grace.
    state.add_store(internal::windowed_store_def<K, VA>(store, StoreKind::kSession, materialized,
                                                        windows_.gap_ms + windows_.grace_ms + 1, 0,
                                                        key_serde, value_serde));
    grouped_.add_aggregate_node(
        n, [name, store, windows = windows_, key_serde, value_serde, step, merge] {
          return std::unique_ptr<internal::ProcessorNode>(
              std::make_unique<internal::KStreamSessionAggregate<K, V, VA, Step, Merge>>(
                  name, store, windows, key_serde, value_serde, step, merge));
        });
    internal::ValueGetterSupplier<Windowed<K>, VA> getter =
        [store, key_serde, value_serde](
            internal::TaskContext& context,
            const std::string& node) -> Result<internal::ValueGetter<Windowed<K>, VA>> {
      RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(node, store));
      auto typed =
          std::make_shared<state::TypedSessionStore<K, VA>>(*s.session, *key_serde, *value_serde);
      return internal::ValueGetter<Windowed<K>, VA>(
          [typed, key_serde, value_serde](const Windowed<K>& key) {
            return typed->fetch_session(key.key, key.window);
          });
    };
    KTable<Windowed<K>, VA> table(&state, name,
                                  std::make_shared<SessionWindowedSerde<K>>(key_serde), value_serde,
                                  store, std::move(getter), {store});
    // A session [start, end] still grows while a record at end + gap is not late (stream
    // time - grace <= end + gap), so suppress must wait for stream time > end + gap + grace.
    table.window_grace_ms_ = windows_.gap_ms + windows_.grace_ms + 1;
    return table;
  }

  KGroupedStream<K, V> grouped_;
  SessionWindows windows_;
};

// A grouped stream cut into sliding windows (KGroupedStream::windowed_by(SlidingWindows)).
// Its aggregations are stateful: per key and window, in a window store whose values also
// carry each window's largest record timestamp (retention 2 * time difference + grace + 1
// unless Materialized asks for more: new windows copy aggregates from windows up to two time
// differences before a record), producing KTable<Windowed<K>, VA> whose key serde is
// TimeWindowedSerde with the time difference as size. Typed reads of the store (e.g.
// TopologyTestDriver::get_window_store<K, VA>) see the aggregates. Late records are dropped
// and counted as SlidingWindows says. Repartitions first as KGroupedStream does. Processor
// and store name prefixes, as Kafka Streams: KSTREAM-AGGREGATE- for count and aggregate,
// KSTREAM-REDUCE- for reduce.
template <typename K, typename V>
class SlidingWindowedKStream {
 public:
  // When the aggregations below send results (EmitStrategy), as TimeWindowedKStream's: on
  // every update (the default), or once per window when it closes. A sliding window [s, e]
  // includes its end, so it closes once stream time - grace > e (as suppress(
  // until_window_closes) waits for it); its final result carries the window's largest record
  // timestamp. On window close the window store is not cached, and <store>-emit-position
  // keeps how far the windows have been emitted.
  SlidingWindowedKStream emit_strategy(EmitStrategy strategy) const {
    SlidingWindowedKStream copy = *this;
    copy.emit_ = strategy;
    return copy;
  }

  // The number of records per key and window. Value serde: Materialized's, else Int64Serde.
  KTable<Windowed<K>, std::int64_t> count(Materialized<K, std::int64_t> materialized = {},
                                          const Named& named = {}) const {
    auto step = [](const K&, const V&, const std::optional<std::int64_t>& old) {
      return old.value_or(0) + 1;
    };
    auto value_serde =
        materialized.value_serde ? materialized.value_serde : std::make_shared<Int64Serde>();
    return aggregate_with<std::int64_t>(std::move(step), std::move(materialized), value_serde,
                                        named, "KSTREAM-AGGREGATE-");
  }

  // Combines the values of each window: the first value as is, then reducer(aggregate, value).
  template <typename F>
  KTable<Windowed<K>, V> reduce(F reducer, Materialized<K, V> materialized = {},
                                const Named& named = {}) const {
    static_assert(std::is_invocable_r_v<V, F&, const V&, const V&>,
                  "reduce: the reducer must be callable as V(const V& aggregate, const V& value)");
    auto step = [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
      return old ? reducer(*old, value) : value;
    };
    auto value_serde = internal::resolve_serde<V>(*grouped_.state_, materialized.value_serde,
                                                  grouped_.value_serde_, "reduce: value");
    return aggregate_with<V>(std::move(step), std::move(materialized), value_serde, named,
                             "KSTREAM-REDUCE-");
  }

  // Folds the values of each window, in the order they arrived: initializer() for a new
  // window, then aggregator(key, value, aggregate). VA is what the initializer returns.
  template <typename I, typename A, typename VA = std::remove_cvref_t<std::invoke_result_t<I&>>>
  KTable<Windowed<K>, VA> aggregate(I initializer, A aggregator,
                                    std::type_identity_t<Materialized<K, VA>> materialized = {},
                                    const Named& named = {}) const {
    static_assert(std::is_invocable_r_v<VA, A&, const K&, const V&, const VA&>,
                  "aggregate: the aggregator must be callable as VA(const K&, const V&, const "
                  "VA&) with VA the initializer's type");
    auto step = [initializer, aggregator](const K& key, const V& value,
                                          const std::optional<VA>& old) mutable -> VA {
      return old ? aggregator(key, value, *old) : aggregator(key, value, initializer());
    };
    auto value_serde = internal::resolve_serde<VA>(*grouped_.state_, materialized.value_serde,
                                                   nullptr, "aggregate: value");
    return aggregate_with<VA>(std::move(step), std::move(materialized), value_serde, named,
                              "KSTREAM-AGGREGATE-");
  }

 private:
  friend class KGroupedStream<K, V>;
  SlidingWindowedKStream(KGroupedStream<K, V> grouped, SlidingWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  template <typename VA, typename Step>
  KTable<Windowed<K>, VA> aggregate_with(Step step, Materialized<K, VA> materialized,
                                         std::shared_ptr<const Serde<VA>> value_serde,
                                         const Named& named, const std::string& prefix) const {
    internal::BuilderState& state = *grouped_.state_;
    if (Status s = windows_.validate(); !s.ok()) state.set_error(std::move(s));
    const auto n =
        grouped_.name_aggregation(materialized, named, prefix, "sliding-window aggregation");
    const std::string& store = n.store;
    const std::string& name = n.name;
    const auto& key_serde = n.key_serde;
    // The store holds ValueAndTimestamp<VA>; its def records the plain view for typed reads.
    std::shared_ptr<const Serde<VA>> stored_view =
        value_serde ? std::make_shared<internal::ValueWithoutTimestampSerde<VA>>(value_serde)
                    : nullptr;
    // Kafka Streams asks for 2 * diff + grace; the window store keeps starts >= its stream
    // time - retention + 1, and a record at close time may need the window starting at
    // close time - 2 * diff, hence the + 1.
    const std::int64_t min_retention = 2 * windows_.time_difference_ms + windows_.grace_ms + 1;
    const bool on_close = emit_.kind() == EmitStrategy::Kind::kOnWindowClose;
    internal::StoreDef store_def =
        internal::windowed_store_def<K, VA>(store, StoreKind::kWindow, materialized, min_retention,
                                            windows_.time_difference_ms, key_serde, stored_view);
    // Nothing leaves the store before its window closes: a cache would only delay writes.
    if (on_close) store_def.caching = false;
    state.add_store(std::move(store_def));
    const std::string position_store =
        on_close ? internal::add_emit_position_store(state, store, materialized.logging) : "";
    internal::add_windowed_aggregate_node<K, V>(
        state, name, n.parent, store, position_store,
        [name, store, windows = windows_, key_serde, value_serde, step, position_store] {
          return std::unique_ptr<internal::ProcessorNode>(
              std::make_unique<internal::KStreamSlidingWindowAggregate<K, V, VA, Step>>(
                  name, store, windows, key_serde, value_serde, step, position_store));
        });
    internal::ValueGetterSupplier<Windowed<K>, VA> getter =
        [store, key_serde, value_serde](
            internal::TaskContext& context,
            const std::string& node) -> Result<internal::ValueGetter<Windowed<K>, VA>> {
      RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(node, store));
      auto stored = std::make_shared<internal::ValueAndTimestampSerde<VA>>(value_serde);
      auto typed = std::make_shared<state::TypedWindowStore<K, internal::ValueAndTimestamp<VA>>>(
          *s.window, *key_serde, *stored);
      return internal::ValueGetter<Windowed<K>, VA>(
          [typed, key_serde, stored](const Windowed<K>& key) -> Result<std::optional<VA>> {
            RUNNEL_ASSIGN_OR_RETURN(auto value, typed->fetch(key.key, key.window.start_ms));
            if (!value) return std::optional<VA>();
            return std::optional<VA>(std::move(value->value));
          });
    };
    KTable<Windowed<K>, VA> table(
        &state, name,
        std::make_shared<TimeWindowedSerde<K>>(key_serde, windows_.time_difference_ms), value_serde,
        store, std::move(getter), {store});
    // suppress emits a window once its end <= stream time - window_grace_ms_; a sliding
    // window includes its end, so it closes one millisecond later than a time window would.
    table.window_grace_ms_ = windows_.grace_ms + 1;
    return table;
  }

  KGroupedStream<K, V> grouped_;
  SlidingWindows windows_;
  EmitStrategy emit_ = EmitStrategy::on_window_update();
};

template <typename K, typename V>
template <typename W>
auto KGroupedStream<K, V>::windowed_by(const W& windows) const {
  if constexpr (std::is_same_v<W, TimeWindows>) {
    return TimeWindowedKStream<K, V>(*this, windows);
  } else if constexpr (std::is_same_v<W, SlidingWindows>) {
    return SlidingWindowedKStream<K, V>(*this, windows);
  } else {
    static_assert(std::is_same_v<W, SessionWindows>,
                  "windowed_by: takes TimeWindows, SlidingWindows or SessionWindows");
    return SessionWindowedKStream<K, V>(*this, windows);
  }
}

}  // namespace runnel

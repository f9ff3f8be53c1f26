#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/callable_traits.h"
#include "operators/internal/kstream_nodes.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/suppress_node.h"
#include "operators/internal/time_limit_suppress_node.h"
#include "operators/internal/window_nodes.h"
#include "operators/materialized.h"
#include "operators/named.h"
#include "operators/suppressed.h"
#include "operators/windows.h"

namespace runnel {

template <typename K, typename V>
class KStream;
template <typename K, typename V>
class KGroupedTable;

namespace internal {

template <typename K>
inline constexpr bool is_windowed_v = false;
template <typename K>
inline constexpr bool is_windowed_v<state::Windowed<K>> = true;

// A table callable taking (key, value) or (value), as (key, value).
template <typename K, typename V, typename F>
auto key_value_adaptor(F f) {
  if constexpr (std::is_invocable_v<F&, const K&, const V&>) {
    return [f](const K& k, const V& v) mutable { return f(k, v); };
  } else {
    static_assert(std::is_invocable_v<F&, const V&>,
                  "KTable: the callable must take (const K&, const V&) or (const V&)");
    return [f](const K&, const V& v) mutable { return f(v); };
  }
}

// The group key and value types of a KTable::group_by selector's KeyValue (or pair) result;
// void when the selector is not callable as (const K&, const V&) or returns something else,
// so that group_by can say so in a static_assert.
template <typename F, typename K, typename V, typename = void>
struct table_group_types {
  using key = void;
  using value = void;
};
template <typename F, typename K, typename V>
struct table_group_types<
    F, K, V,
    std::enable_if_t<key_value_parts_t<std::invoke_result_t<F&, const K&, const V&>>::ok>> {
  using key = typename key_value_parts_t<std::invoke_result_t<F&, const K&, const V&>>::key;
  using value = typename key_value_parts_t<std::invoke_result_t<F&, const K&, const V&>>::value;
};
template <typename F, typename K, typename V>
using table_group_key_t = typename table_group_types<F, K, V>::key;
template <typename F, typename K, typename V>
using table_group_value_t = typename table_group_types<F, K, V>::value;

}  // namespace internal

// A changelog stream read as a table: per key, the latest value; an update replaces it and a
// null value (tombstone) deletes it. Produced by StreamsBuilder::table and by aggregations;
// its processors pass each key's change (new and old value) downstream. Every KTable can be
// read by key from processors of its task (its value getter), which is what joins use.
//
// A cheap handle; it borrows its StreamsBuilder, which must outlive it.
template <typename K, typename V>
class KTable {
 public:
  using Key = K;
  using Value = V;

  // Keeps the keys whose value satisfies predicate(key, value) (or predicate(value)): a key
  // whose new value fails is deleted downstream (a tombstone is forwarded when its old value
  // passed). Stateless (reads through to the parent table); no repartition. Name prefix
  // KTABLE-FILTER-.
  template <typename F>
  KTable<K, V> filter(F predicate, const Named& named = {}) const {
    return add_filter(internal::key_value_adaptor<K, V>(std::move(predicate)), true, named);
  }
  // Keeps the keys whose value does not satisfy the predicate. Stateless; no repartition.
  template <typename F>
  KTable<K, V> filter_not(F predicate, const Named& named = {}) const {
    return add_filter(internal::key_value_adaptor<K, V>(std::move(predicate)), false, named);
  }

  // A new value per key: mapper(value) or mapper(key, value) -> V2, applied to new and old
  // values alike. Stateless; no repartition. Name prefix KTABLE-MAPVALUES-.
  template <typename F>
  auto map_values(F mapper, const Named& named = {}) const {
    auto adapted = internal::key_value_adaptor<K, V>(std::move(mapper));
    using V2 = std::remove_cvref_t<std::invoke_result_t<decltype(adapted)&, const K&, const V&>>;
    static_assert(!std::is_void_v<V2>, "KTable::map_values: the mapper must return a value");
    const std::string name = state_->name_or_new(named.name, "KTABLE-MAPVALUES-");
    std::function<V2(const K&, const V&)> fn = adapted;
    add_node(name, [name, fn]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableMapValues<K, V, V2>>(name, fn);
    });
    internal::ValueGetterSupplier<K, V2> getter =
        [parent = getter_, fn](internal::TaskContext& context,
                               const std::string& node) -> Result<internal::ValueGetter<K, V2>> {
      RUNNEL_ASSIGN_OR_RETURN(auto get, parent(context, node));
      return internal::ValueGetter<K, V2>([get, fn](const K& key) -> Result<std::optional<V2>> {
        RUNNEL_ASSIGN_OR_RETURN(std::optional<V> v, get(key));
        if (!v) return std::optional<V2>();
        return std::optional<V2>(fn(key, *v));
      });
    };
    std::shared_ptr<const Serde<V2>> value_serde;
    if constexpr (std::is_same_v<V, V2>) value_serde = value_serde_;
    return KTable<K, V2>(state_, name, key_serde_, value_serde, "", std::move(getter),
                         getter_stores_);
  }

  // The table's changes as a stream: each update as (key, new value), each deletion as (key,
  // null). Stateless; no repartition. Name prefix KTABLE-TOSTREAM-.
  KStream<K, V> to_stream(const Named& named = {}) const;

  // KTable-KTable joins: the result table has, per key, joiner(left, right) of both tables'
  // current values, and is updated whenever either side changes (old and new results are
  // forwarded). join: both sides must have a value, joiner(const V&, const VO&); left_join:
  // the left side must, joiner(const V&, const std::optional<VO>&); outer_join: either,
  // joiner(const std::optional<V>&, const std::optional<VO>&). A key that loses its result
  // gets a tombstone. Stateful (reads both tables' stores); the tables must be
  // co-partitioned (Topology::status() reports when they are not). Name prefixes
  // KTABLE-JOINTHIS-/-JOINOTHER- (LEFTTHIS/LEFTOTHER, OUTERTHIS/OUTEROTHER) and KTABLE-MERGE-.
  template <typename VO, typename F>
  auto join(const KTable<K, VO>& other, F joiner, const Named& named = {}) const {
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VO&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn =
        [joiner](const std::optional<V>& l, const std::optional<VO>& r) mutable {
          return joiner(*l, *r);
        };
    return table_join<VO, VR>(other, std::move(fn), internal::JoinKind::kInner, named);
  }
  template <typename VO, typename F>
  auto left_join(const KTable<K, VO>& other, F joiner, const Named& named = {}) const {
    using VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VO>&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn =
        [joiner](const std::optional<V>& l, const std::optional<VO>& r) mutable {
          return joiner(*l, r);
        };
    return table_join<VO, VR>(other, std::move(fn), internal::JoinKind::kLeft, named);
  }
  template <typename VO, typename F>
  auto outer_join(const KTable<K, VO>& other, F joiner, const Named& named = {}) const {
    using VR = std::remove_cvref_t<
        std::invoke_result_t<F&, const std::optional<V>&, const std::optional<VO>&>>;
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn = joiner;
    return table_join<VO, VR>(other, std::move(fn), internal::JoinKind::kOuter, named);
  }

  // Foreign-key joins (KIP-213): each row of this table joins the row of `other` whose key
  // foreign_key_extractor(value) (or (key, value)) returns; it may return KO or
  // std::optional<KO> (none: no foreign key). The result table is keyed like this one and
  // follows both sides: a change of a row here re-joins it (leaving its old foreign key when
  // that changed), a change of a row of `other` re-joins every row that refers to it.
  // join: both rows must exist, joiner(const V&, const VO&); a row without a foreign key or
  // whose foreign row is missing has no result (deleted when it had one). left_join: every
  // row here has a result, joiner(const V&, const std::optional<VO>&), with no right side
  // when the foreign key is none or has no row. The tables need not be co-partitioned, nor
  // have the same partition count: a row here subscribes to its foreign key through
  // <app>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic (keyed by the foreign key; as
  // many partitions as `other`'s input), `other`'s side keeps the subscriptions in
  // KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-<n> and answers through
  // <app>-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-<n>-topic (keyed by this table's key; as many
  // partitions as this table's input). Each subscription and answer carries a hash of the
  // row's value, and an answer for a value the row no longer has is dropped, so no stale
  // result survives a foreign-key change. Stateful; the result is materialized in
  // Materialized's store (else KTABLE-FK-JOIN-OUTPUT-STATE-STORE-<n>). Named `n` names the
  // nodes, topics and store n-subscription-registration-topic, n-subscription-store,
  // n-subscription-response-topic, n-result and so on, as Kafka Streams does.
  template <typename KO, typename VO, typename FK, typename F,
            typename VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VO&>>>
  KTable<K, VR> join(const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner,
                     const Named& named = {},
                     std::type_identity_t<Materialized<K, VR>> materialized = {}) const;
  template <typename KO, typename VO, typename FK, typename F,
            typename VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VO&>>>
  KTable<K, VR> join(const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner,
                     std::type_identity_t<Materialized<K, VR>> materialized) const {
    return join(other, std::move(foreign_key_extractor), std::move(joiner), Named{},
                std::move(materialized));
  }
  template <typename KO, typename VO, typename FK, typename F,
            typename VR =
                std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VO>&>>>
  KTable<K, VR> left_join(const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner,
                          const Named& named = {},
                          std::type_identity_t<Materialized<K, VR>> materialized = {}) const;
  template <typename KO, typename VO, typename FK, typename F,
            typename VR =
                std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VO>&>>>
  KTable<K, VR> left_join(const KTable<KO, VO>& other, FK foreign_key_extractor, F joiner,
                          std::type_identity_t<Materialized<K, VR>> materialized) const {
    return left_join(other, std::move(foreign_key_extractor), std::move(joiner), Named{},
                     std::move(materialized));
  }

  // Regroups the table for an aggregation with adder and subtractor (KGroupedTable):
  // selector(key, value) -> KeyValue<K2, V2> (or std::pair; a null key or value drops the
  // pair) gives each key's group and the value it contributes there; an update of a key
  // subtracts its old value's pair from its group and adds its new value's pair. Stateless
  // itself (name prefix KTABLE-SELECT-, or Grouped's name); the aggregation always
  // repartitions, through <name>-repartition (Grouped's name, else the store's).
  template <typename F>
  auto group_by(
      F selector,
      Grouped<internal::table_group_key_t<F, K, V>, internal::table_group_value_t<F, K, V>>
          grouped = {}) const;

  // Holds back the table's updates and forwards them later, as Suppressed says:
  // - until_window_closes, for a windowed aggregation's table (K = Windowed<K0>): only each
  //   window's final result, once stream time has passed the last moment a record could change
  //   it (Suppressed::until_window_closes says when, per kind of window); a record costs one
  //   buffer write, and each window one removal when it is emitted. On a table that is not a
  //   windowed aggregation's, the topology carries an error.
  // - until_time_limit, for any table: each key's latest value, at most once per time limit
  //   while the buffer has room (Suppressed::until_time_limit); a record costs a key lookup
  //   and one buffer write.
  // The updates wait in an in-memory buffer, change-logged as KTABLE-SUPPRESS-STATE-STORE-<n>
  // (or <name>-store with Suppressed::with_name) and restored from its changelog on every
  // start. Past the BufferConfig's bound the task fails with an error naming the store, or,
  // with an EagerBufferConfig (until_time_limit only), the earliest records go out early.
  // Stateful; no repartition. Name prefix KTABLE-SUPPRESS-, or Suppressed::with_name's (or
  // `named`'s; giving both, different, is an error).
  KTable<K, V> suppress(const Suppressed& suppressed, const Named& named = {}) const {
    const std::string name = state_->name_or_new(
        suppressed.name.empty() ? named.name : suppressed.name, "KTABLE-SUPPRESS-");
    const std::string store = suppressed.name.empty() ? state_->new_store_name("KTABLE-SUPPRESS-")
                                                      : suppressed.name + "-store";
    if (!suppressed.name.empty() && !named.name.empty() && suppressed.name != named.name) {
      state_->set_error(invalid_argument_error("suppress " + name +
                                               ": named both by Suppressed::with_name and by "
                                               "Named '" +
                                               named.name + "'; give one name"));
    }
    if (suppressed.max_records < 0 || suppressed.max_bytes < 0) {
      state_->set_error(invalid_argument_error(
          "suppress " + name + ": a buffer bound (max_records, max_bytes) must be >= 0"));
    }
    internal::StoreDef def;
    def.name = store;
    def.kind = StoreKind::kKeyValue;
    // In memory (ordered, so the earliest buffered time is found without a scan) and rebuilt
    // from its changelog on start; never cached: every buffered value must reach the
    // changelog before it can be emitted.
    def.in_memory = true;
    def.logging = true;
    def.caching = false;
    if (suppressed.time_limit_ms) {
      if (*suppressed.time_limit_ms < 0) {
        state_->set_error(invalid_argument_error("suppress " + name +
                                                 ": until_time_limit's time limit must be >= 0"));
      }
      auto ks = internal::resolve_serde<K>(*state_, nullptr, key_serde_,
                                           "suppress " + name + " (the key serde)");
      auto vs = internal::resolve_serde<V>(*state_, nullptr, value_serde_,
                                           "suppress " + name + " (the value serde)");
      state_->add_store(std::move(def));
      add_node(name,
               [name, store, suppressed, ks, vs]() -> std::unique_ptr<internal::ProcessorNode> {
                 return std::make_unique<internal::KTableTimeLimitSuppress<K, V>>(
                     name, store, suppressed, ks, vs);
               },
               {store});
    } else if constexpr (internal::is_windowed_v<K>) {
      using K0 = decltype(std::declval<K>().key);
      if (!key_serde_ || !value_serde_ || window_grace_ms_ < 0) {
        state_->set_error(invalid_argument_error(
            "suppress " + name + ": needs a windowed aggregation's table with known serdes"));
      }
      state_->add_store(std::move(def));
      add_node(name,
               [name, store, delay = window_grace_ms_, suppressed, ks = key_serde_,
                vs = value_serde_]() -> std::unique_ptr<internal::ProcessorNode> {
                 return std::make_unique<internal::KTableSuppress<K0, V>>(name, store, delay,
                                                                          suppressed, ks, vs);
               },
               {store});
    } else {
      state_->set_error(invalid_argument_error(
          "suppress " + name +
          ": until_window_closes needs a windowed aggregation's table; to rate-limit a table "
          "that is not windowed, use Suppressed::until_time_limit"));
    }
    KTable<K, V> out(state_, name, key_serde_, value_serde_, "", getter_, getter_stores_);
    out.window_grace_ms_ = window_grace_ms_;
    return out;
  }

  // The name of the store the table is materialized in; empty for a table derived without
  // one (a filter or map_values of another table reads through to its parent's store).
  const std::string& queryable_store_name() const { return store_name_; }
  const std::string& node_name() const { return node_; }

 private:
  template <typename, typename>
  friend class KTable;
  template <typename, typename>
  friend class KStream;
  template <typename, typename>
  friend class KGroupedStream;
  template <typename, typename>
  friend class KGroupedTable;
  template <typename, typename>
  friend class TimeWindowedKStream;
  template <typename, typename>
  friend class SessionWindowedKStream;
  template <typename, typename>
  friend class SlidingWindowedKStream;
  friend class StreamsBuilder;

  KTable(internal::BuilderState* state, std::string node, std::shared_ptr<const Serde<K>> key_serde,
         std::shared_ptr<const Serde<V>> value_serde, std::string store_name,
         internal::ValueGetterSupplier<K, V> getter, std::vector<std::string> getter_stores)
      : state_(state),
        node_(std::move(node)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        store_name_(std::move(store_name)),
        getter_(std::move(getter)),
        getter_stores_(std::move(getter_stores)) {}

  template <typename Factory>
  void add_node(const std::string& name, Factory factory,
                std::vector<std::string> stores = {}) const {
    internal::NodeDef def;
    def.name = name;
    def.predecessors = {node_};
    def.stores = std::move(stores);
    def.factory = std::move(factory);
    def.attach = &internal::attach<K, Change<V>>;
    state_->add_node(std::move(def));
  }

  template <typename P>
  KTable<K, V> add_filter(P predicate, bool keep_when, const Named& named) const {
    const std::string name = state_->name_or_new(named.name, "KTABLE-FILTER-");
    std::function<bool(const K&, const V&)> fn = [predicate, keep_when](const K& k,
                                                                        const V& v) mutable {
      return static_cast<bool>(predicate(k, v)) == keep_when;
    };
    add_node(name, [name, fn]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KTableFilter<K, V>>(name, fn);
    });
    internal::ValueGetterSupplier<K, V> getter =
        [parent = getter_, fn](internal::TaskContext& context,
                               const std::string& node) -> Result<internal::ValueGetter<K, V>> {
      RUNNEL_ASSIGN_OR_RETURN(auto get, parent(context, node));
      return internal::ValueGetter<K, V>([get, fn](const K& key) -> Result<std::optional<V>> {
        RUNNEL_ASSIGN_OR_RETURN(std::optional<V> v, get(key));
        if (v && !fn(key, *v)) v.reset();
        return v;
      });
    };
    return KTable<K, V>(state_, name, key_serde_, value_serde_, "", std::move(getter),
                        getter_stores_);
  }

  template <typename VO, typename VR>
  KTable<K, VR> table_join(const KTable<K, VO>& other,
                           std::function<VR(const std::optional<V>&, const std::optional<VO>&)> fn,
                           internal::JoinKind kind, const Named& named) const {
    const char* this_prefix = kind == internal::JoinKind::kInner  ? "KTABLE-JOINTHIS-"
                              : kind == internal::JoinKind::kLeft ? "KTABLE-LEFTTHIS-"
                                                                  : "KTABLE-OUTERTHIS-";
    const char* other_prefix = kind == internal::JoinKind::kInner  ? "KTABLE-JOINOTHER-"
                               : kind == internal::JoinKind::kLeft ? "KTABLE-LEFTOTHER-"
                                                                   : "KTABLE-OUTEROTHER-";
    const std::string merge_name = state_->name_or_new(named.name, "KTABLE-MERGE-");
    const std::string this_name =
        named.name.empty() ? state_->new_name(this_prefix) : named.name + "-join-this";
    const std::string other_name =
        named.name.empty() ? state_->new_name(other_prefix) : named.name + "-join-other";
    state_->add_copartition_group({node_, other.node_});

    // Left side's node reads the right table, and the other way round.
    std::function<VR(const std::optional<V>&, const std::optional<VO>&)> left_fn = fn;
    std::function<VR(const std::optional<VO>&, const std::optional<V>&)> right_fn =
        [fn](const std::optional<VO>& r, const std::optional<V>& l) { return fn(l, r); };
    add_node(
        this_name,
        [this_name, getter = other.getter_, left_fn,
         kind]() -> std::unique_ptr<internal::ProcessorNode> {
          return std::make_unique<internal::KTableKTableJoinSide<K, V, VO, VR>>(
              this_name, getter, left_fn, true, kind);
        },
        other.getter_stores_);
    other.add_node(
        other_name,
        [other_name, getter = getter_, right_fn,
         kind]() -> std::unique_ptr<internal::ProcessorNode> {
          return std::make_unique<internal::KTableKTableJoinSide<K, VO, V, VR>>(
              other_name, getter, right_fn, false, kind);
        },
        getter_stores_);
    internal::NodeDef merge;
    merge.name = merge_name;
    merge.predecessors = {this_name, other_name};
    merge.factory = [merge_name]() -> std::unique_ptr<internal::ProcessorNode> {
      return std::make_unique<internal::KStreamPassThrough<K, Change<VR>>>(merge_name);
    };
    merge.attach = &internal::attach<K, Change<VR>>;
    state_->add_node(std::move(merge));

    internal::ValueGetterSupplier<K, VR> getter =
        [l = getter_, r = other.getter_, fn, kind](
            internal::TaskContext& context,
            const std::string& node) -> Result<internal::ValueGetter<K, VR>> {
      RUNNEL_ASSIGN_OR_RETURN(auto get_l, l(context, node));
      RUNNEL_ASSIGN_OR_RETURN(auto get_r, r(context, node));
      return internal::ValueGetter<K, VR>(
          [get_l, get_r, fn, kind](const K& key) -> Result<std::optional<VR>> {
            RUNNEL_ASSIGN_OR_RETURN(std::optional<V> lv, get_l(key));
            RUNNEL_ASSIGN_OR_RETURN(std::optional<VO> rv, get_r(key));
            if (!internal::join_emits(kind, lv.has_value(), rv.has_value())) {
              return std::optional<VR>();
            }
            return std::optional<VR>(fn(lv, rv));
          });
    };
    std::vector<std::string> stores = getter_stores_;
    stores.insert(stores.end(), other.getter_stores_.begin(), other.getter_stores_.end());
    return KTable<K, VR>(state_, merge_name, key_serde_, nullptr, "", std::move(getter),
                         std::move(stores));
  }

  // The foreign-key join's nodes, topics and stores (operators/ktable_fk_join.h).
  template <typename KO, typename VO, typename VR>
  KTable<K, VR> fk_join(const KTable<KO, VO>& other,
                        std::function<std::optional<KO>(const K&, const V&)> extractor,
                        std::function<VR(const V&, const std::optional<VO>&)> joiner,
                        bool left_join, const Named& named, Materialized<K, VR> materialized) const;

  internal::BuilderState* state_;  // Borrowed from the StreamsBuilder.
  std::string node_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;  // Null when unknown.
  std::string store_name_;
  internal::ValueGetterSupplier<K, V> getter_;
  std::vector<std::string> getter_stores_;  // The stores the getter reads.
  // For a windowed aggregation's table: how long (by stream time) after a window's end a
  // record can still change it, which is when suppress may emit it; -1 otherwise.
  std::int64_t window_grace_ms_ = -1;
};

}  // namespace runnel

#include "operators/kstream.h"

namespace runnel {

template <typename K, typename V>
KStream<K, V> KTable<K, V>::to_stream(const Named& named) const {
  const std::string name = state_->name_or_new(named.name, "KTABLE-TOSTREAM-");
  add_node(name, [name]() -> std::unique_ptr<internal::ProcessorNode> {
    return std::make_unique<internal::KTableToStream<K, V>>(name);
  });
  return KStream<K, V>(state_, name, key_serde_, value_serde_);
}

}  // namespace runnel

#include "operators/kgrouped_table.h"
#include "operators/ktable_fk_join.h"

#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/processor_node.h"
#include "state/caching_key_value_store.h"
#include "state/typed_key_value_store.h"

// The processor nodes of KTables and of the aggregations that produce them, one class per
// operator. A KTable's nodes pass Record<K, Change<V>>: the key's new value and the value it
// replaced. Every KTable also has a value getter: how a processor of the same task reads the
// table's current value of a key (from the table's store, through the filters and mappers
// between it and the table), which joins use.

namespace runnel::internal {

template <typename K, typename V>
using ValueGetter = std::function<Result<std::optional<V>>(const K&)>;
// Makes a task's value getter for the processor `node` (which must have declared the stores
// the getter reads).
template <typename K, typename V>
using ValueGetterSupplier =
    std::function<Result<ValueGetter<K, V>>(TaskContext& context, const std::string& node)>;

// The getter of a table materialized in the key-value store `store`.
template <typename K, typename V>
ValueGetterSupplier<K, V> store_getter(std::string store, std::shared_ptr<const Serde<K>> key_serde,
                                       std::shared_ptr<const Serde<V>> value_serde) {
  return [store, key_serde, value_serde](TaskContext& context,
                                         const std::string& node) -> Result<ValueGetter<K, V>> {
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(node, store));
    auto typed =
        std::make_shared<state::TypedKeyValueStore<K, V>>(*s.key_value, *key_serde, *value_serde);
    // The serdes are captured with the typed store, which borrows them.
    return ValueGetter<K, V>(
        [typed, key_serde, value_serde](const K& key) { return typed->get(key); });
  };
}

// Forwards what a caching store writes down (at commit, or on eviction) as table changes:
// with caching, a table's updates leave its processor this way instead of one per record.
template <typename K, typename V>
class CacheFlushForwarder final : public state::CacheFlushListener {
 public:
  CacheFlushForwarder(Forwarder<K, Change<V>>& forwarder, const Serde<K>& key_serde,
                      const Serde<V>& value_serde)
      : forwarder_(forwarder), key_serde_(key_serde), value_serde_(value_serde) {}

  Status apply(BytesView key, NullableBytesView new_value, NullableBytesView old_value,
               Timestamp timestamp) override {
    RUNNEL_ASSIGN_OR_RETURN(K k, key_serde_.deserialize(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<V> n, value_serde_.deserialize_nullable(new_value));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<V> o, value_serde_.deserialize_nullable(old_value));
    return forwarder_.forward(
        Record<K, Change<V>>{std::move(k), Change<V>{std::move(n), std::move(o)}, timestamp});
  }

 private:
  Forwarder<K, Change<V>>& forwarder_;
  const Serde<K>& key_serde_;
  const Serde<V>& value_serde_;
};

// A processor that keeps a table in a key-value store: opens the typed store at init and,
// when the store caches, forwards from the cache's flushes instead of per record.
template <typename K, typename V>
class TableStoreNode : public ProcessorNode, public Forwarder<K, Change<V>> {
 public:
  TableStoreNode(std::string name, std::string store, std::shared_ptr<const Serde<K>> key_serde,
                 std::shared_ptr<const Serde<V>> value_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_.emplace(*s.key_value, *key_serde_, *value_serde_);
    if (auto* caching = dynamic_cast<state::CachingKeyValueStore*>(s.key_value)) {
      flush_forwarder_.emplace(*this, *key_serde_, *value_serde_);
      caching->set_flush_listener(&*flush_forwarder_, /*send_old_values=*/true);
      cached_ = true;
    }
    return ok_status();
  }

 protected:
  // Forwards a change now, unless the store caches (its flush forwards it).
  Status emit(Record<K, Change<V>>&& record) {
    if (cached_) return ok_status();
    return this->forward(std::move(record));
  }

  std::string store_name_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  std::optional<state::TypedKeyValueStore<K, V>> store_;
  std::optional<CacheFlushForwarder<K, V>> flush_forwarder_;
  bool cached_ = false;
};

// count / reduce / aggregate of a grouped stream: step(key, value, old aggregate) gives the
// new aggregate, which is stored and forwarded with the old one. A record with a null key or
// value is skipped (counted as dropped), as in Kafka Streams.
template <typename K, typename V, typename VA, typename Step>
class KStreamAggregate final : public TableStoreNode<K, VA>, public Receiver<K, V> {
 public:
  KStreamAggregate(std::string name, std::string store, std::shared_ptr<const Serde<K>> key_serde,
                   std::shared_ptr<const Serde<VA>> value_serde, Step step)
      : TableStoreNode<K, VA>(std::move(name), std::move(store), std::move(key_serde),
                              std::move(value_serde)),
        step_(std::move(step)) {}

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      this->context_->record_dropped(this->name(), "null key or value for an aggregation");
      return ok_status();
    }
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> old, this->store_->get(*record.key));
    VA aggregate = step_(*record.key, *record.value, old);
    RUNNEL_RETURN_IF_ERROR(this->store_->put(*record.key, aggregate));
    return this->emit(Record<K, Change<VA>>{
        std::move(record.key), Change<VA>{std::move(aggregate), std::move(old)}, record.timestamp,
        std::move(record.headers), std::move(record.position)});
  }

 private:
  Step step_;
};

// The table of a topic (StreamsBuilder::table): each record upserts its key, a null value
// deletes it (a tombstone), and the change is forwarded. A null key is skipped.
template <typename K, typename V>
class KTableSource final : public TableStoreNode<K, V>, public Receiver<K, V> {
 public:
  using TableStoreNode<K, V>::TableStoreNode;

  Status process(Record<K, V>&& record) override {
    if (!record.key) {
      this->context_->record_dropped(this->name(), "null key for a table");
      return ok_status();
    }
    std::optional<V> old;
    if (record.value) {
      RUNNEL_ASSIGN_OR_RETURN(old, this->store_->get(*record.key));
      RUNNEL_RETURN_IF_ERROR(this->store_->put(*record.key, *record.value));
    } else {
      RUNNEL_ASSIGN_OR_RETURN(old, this->store_->delete_key(*record.key));
    }
    return this->emit(Record<K, Change<V>>{
        std::move(record.key), Change<V>{std::move(record.value), std::move(old)}, record.timestamp,
        std::move(record.headers), std::move(record.position)});
  }
};

// KTable::filter: a value the predicate rejects becomes null, so a key whose new value is
// rejected is deleted downstream (a tombstone); a change with neither value passing is not
// forwarded.
template <typename K, typename V>
class KTableFilter final : public ProcessorNode,
                           public Receiver<K, Change<V>>,
                           public Forwarder<K, Change<V>> {
 public:
  using Predicate = std::function<bool(const K&, const V&)>;
  KTableFilter(std::string name, Predicate predicate)
      : ProcessorNode(std::move(name)), predicate_(std::move(predicate)) {}

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    Change<V>& change = *record.value;
    if (change.new_value && !predicate_(*record.key, *change.new_value)) change.new_value.reset();
    if (change.old_value && !predicate_(*record.key, *change.old_value)) change.old_value.reset();
    if (!change.new_value && !change.old_value) return ok_status();
    return this->forward(std::move(record));
  }

 private:
  Predicate predicate_;
};

// KTable::map_values: maps new and old values alike.
template <typename K, typename V, typename V2>
class KTableMapValues final : public ProcessorNode,
                              public Receiver<K, Change<V>>,
                              public Forwarder<K, Change<V2>> {
 public:
  using Mapper = std::function<V2(const K&, const V&)>;
  KTableMapValues(std::string name, Mapper mapper)
      : ProcessorNode(std::move(name)), mapper_(std::move(mapper)) {}

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    const Change<V>& change = *record.value;
    Change<V2> mapped;
    if (change.new_value) mapped.new_value = mapper_(*record.key, *change.new_value);
    if (change.old_value) mapped.old_value = mapper_(*record.key, *change.old_value);
    return this->forward(Record<K, Change<V2>>{std::move(record.key), std::move(mapped),
                                               record.timestamp, std::move(record.headers),
                                               std::move(record.position)});
  }

 private:
  Mapper mapper_;
};

// KTable::to_stream: each change becomes a record of its new value (null: a tombstone).
template <typename K, typename V>
class KTableToStream final : public ProcessorNode,
                             public Receiver<K, Change<V>>,
                             public Forwarder<K, V> {
 public:
  using ProcessorNode::ProcessorNode;
  Status process(Record<K, Change<V>>&& record) override {
    std::optional<V> value;
    if (record.value) value = std::move(record.value->new_value);
    return this->forward(Record<K, V>{std::move(record.key), std::move(value), record.timestamp,
                                      std::move(record.headers), std::move(record.position)});
  }
};

// Which side of a join must have a value for a result: both (inner), the left one (left),
// either (outer).
enum class JoinKind { kInner, kLeft, kOuter };

inline bool join_emits(JoinKind kind, bool has_left, bool has_right) {
  switch (kind) {
    case JoinKind::kInner:
      return has_left && has_right;
    case JoinKind::kLeft:
      return has_left;
    case JoinKind::kOuter:
      return has_left || has_right;
  }
  return false;
}

// One side of a KTable-KTable join: a change of this side is joined with the other side's
// current value (read through its value getter): the new value gives the new result, the
// old value the old result. `joiner` takes (left, right) as optionals; the kind decides which
// may be null.
template <typename K, typename V, typename VO, typename VR>
class KTableKTableJoinSide final : public ProcessorNode,
                                   public Receiver<K, Change<V>>,
                                   public Forwarder<K, Change<VR>> {
 public:
  // (this side's value, other side's value) -> result, already ordered left/right by the DSL.
  using Joiner = std::function<VR(const std::optional<V>&, const std::optional<VO>&)>;
  KTableKTableJoinSide(std::string name, ValueGetterSupplier<K, VO> other, Joiner joiner,
                       bool this_is_left, JoinKind kind)
      : ProcessorNode(std::move(name)),
        other_supplier_(std::move(other)),
        joiner_(std::move(joiner)),
        this_is_left_(this_is_left),
        kind_(kind) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(other_, other_supplier_(context, name()));
    return ok_status();
  }

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VO> other, other_(*record.key));
    const Change<V>& change = *record.value;
    Change<VR> joined;
    if (emits(change.new_value.has_value(), other.has_value())) {
      joined.new_value = joiner_(change.new_value, other);
    }
    if (emits(change.old_value.has_value(), other.has_value())) {
      joined.old_value = joiner_(change.old_value, other);
    }
    if (!joined.new_value && !joined.old_value) return ok_status();
    return this->forward(Record<K, Change<VR>>{std::move(record.key), std::move(joined),
                                               record.timestamp, std::move(record.headers),
                                               std::move(record.position)});
  }

 private:
  bool emits(bool has_this, bool has_other) const {
    return this_is_left_ ? join_emits(kind_, has_this, has_other)
                         : join_emits(kind_, has_other, has_this);
  }

  ValueGetterSupplier<K, VO> other_supplier_;
  ValueGetter<K, VO> other_;
  Joiner joiner_;
  bool this_is_left_;
  JoinKind kind_;
};

// KStream-KTable join / left_join: each stream record is joined with the table's current
// value of its key; the table's updates produce nothing. A record with a null key or value is
// dropped; without a table value, an inner join drops the record and a left join joins with
// null.
template <typename K, typename V, typename VT, typename VR>
class KStreamKTableJoin final : public ProcessorNode,
                                public Receiver<K, V>,
                                public Forwarder<K, VR> {
 public:
  using Joiner = std::function<VR(const V&, const std::optional<VT>&)>;
  KStreamKTableJoin(std::string name, ValueGetterSupplier<K, VT> table, Joiner joiner, bool left)
      : ProcessorNode(std::move(name)),
        table_supplier_(std::move(table)),
        joiner_(std::move(joiner)),
        left_(left) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(table_, table_supplier_(context, name()));
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a stream-table join");
      return ok_status();
    }
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VT> value, table_(*record.key));
    if (!value && !left_) return ok_status();
    VR joined = joiner_(*record.value, value);
    return this->forward(Record<K, VR>{std::move(record.key), std::move(joined), record.timestamp,
                                       std::move(record.headers), std::move(record.position)});
  }

 private:
  ValueGetterSupplier<K, VT> table_supplier_;
  ValueGetter<K, VT> table_;
  Joiner joiner_;
  bool left_;
};

}  // namespace runnel::internal

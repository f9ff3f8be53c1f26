#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/processor_node.h"
#include "operators/key_value.h"

// The processor nodes of KTable::group_by and the KGroupedTable aggregations (Kafka Streams'
// KTableRepartitionMap, KTableAggregate, KTableReduce).

namespace runnel::internal {

// KTable::group_by: maps each side of a table change to its group, (key, value) -> (group
// key, group value), and forwards what the group must subtract (the old value's pair) and add
// (the new value's pair), keyed by group, to the repartition sink. When both pairs land in the
// same group, one Change carries both, so that the aggregation subtracts then adds in one
// step and emits one result (Kafka Streams 3.5+, KIP-904); otherwise the subtraction is
// forwarded first, then the addition. A pair with a null key or value is not forwarded.
template <typename K, typename V, typename K2, typename V2>
class KTableRepartitionMap final : public ProcessorNode,
                                   public Receiver<K, Change<V>>,
                                   public Forwarder<K2, Change<V2>> {
 public:
  using Selector = std::function<KeyValue<K2, V2>(const K&, const V&)>;
  KTableRepartitionMap(std::string name, Selector selector)
      : ProcessorNode(std::move(name)), selector_(std::move(selector)) {}

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    const Change<V>& change = *record.value;
    std::optional<KeyValue<K2, V2>> added;
    std::optional<KeyValue<K2, V2>> subtracted;
    if (change.new_value) added = selector_(*record.key, *change.new_value);
    if (change.old_value) subtracted = selector_(*record.key, *change.old_value);
    if (added && (!added->key || !added->value)) added.reset();
    if (subtracted && (!subtracted->key || !subtracted->value)) subtracted.reset();

    if (added && subtracted && same_group(*added->key, *subtracted->key)) {
      return this->forward(Record<K2, Change<V2>>{
          std::move(added->key), Change<V2>{std::move(added->value), std::move(subtracted->value)},
          record.timestamp, record.headers, record.position});
    }
    if (subtracted) {
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<K2, Change<V2>>{
          std::move(subtracted->key), Change<V2>{std::nullopt, std::move(subtracted->value)},
          record.timestamp, record.headers, record.position}));
    }
    if (added) {
      return this->forward(Record<K2, Change<V2>>{
          std::move(added->key), Change<V2>{std::move(added->value), std::nullopt},
          record.timestamp, std::move(record.headers), std::move(record.position)});
    }
    return ok_status();
  }

 private:
  // A key type without == is treated as always changing group: two records, subtract then
  // add, which gives the same final aggregate with an intermediate result in between.
  static bool same_group(const K2& a, const K2& b) {
    if constexpr (std::equality_comparable<K2>) {
      return a == b;
    } else {
      return false;
    }
  }

  Selector selector_;
};

// count / reduce / aggregate of a grouped table: for each change read back from the
// repartition topic, subtract(key, old value, aggregate) when there is an old value and an
// aggregate, then add(key, new value, aggregate or none) when there is a new value; the result
// is stored and forwarded with the aggregate it replaced. An adder or subtractor returning
// null removes the group from the table (a tombstone is forwarded). A record with a null key
// or change is skipped (counted as dropped).
template <typename K, typename V, typename VA>
class KTableAggregate final : public TableStoreNode<K, VA>, public Receiver<K, Change<V>> {
 public:
  using Adder = std::function<std::optional<VA>(const K&, const V&, const std::optional<VA>&)>;
  using Subtractor = std::function<std::optional<VA>(const K&, const V&, const VA&)>;

  KTableAggregate(std::string name, std::string store, std::shared_ptr<const Serde<K>> key_serde,
                  std::shared_ptr<const Serde<VA>> value_serde, Adder adder, Subtractor subtractor)
      : TableStoreNode<K, VA>(std::move(name), std::move(store), std::move(key_serde),
                              std::move(value_serde)),
        adder_(std::move(adder)),
        subtractor_(std::move(subtractor)) {}

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) {
      this->context_->record_dropped(this->name(), "null key or change for a table aggregation");
      return ok_status();
    }
    const Change<V>& change = *record.value;
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> old, this->store_->get(*record.key));
    std::optional<VA> aggregate = old;
    if (change.old_value && aggregate) {
      aggregate = subtractor_(*record.key, *change.old_value, *aggregate);
    }
    if (change.new_value) aggregate = adder_(*record.key, *change.new_value, aggregate);
    if (!aggregate && !old) return ok_status();
    if (aggregate) {
      RUNNEL_RETURN_IF_ERROR(this->store_->put(*record.key, *aggregate));
    } else {
      RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> deleted, this->store_->delete_key(*record.key));
      (void)deleted;
    }
    return this->emit(Record<K, Change<VA>>{
        std::move(record.key), Change<VA>{std::move(aggregate), std::move(old)}, record.timestamp,
        std::move(record.headers), std::move(record.position)});
  }

 private:
  Adder adder_;
  Subtractor subtractor_;
};

}  // namespace runnel::internal

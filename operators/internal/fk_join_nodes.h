#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/fk_join_wire.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/processor_node.h"

// The processor nodes of a foreign-key table join (KTable::join / left_join with a foreign-key
// extractor; KIP-213), one class per step, in the order a change travels:
//
//   left table --FkSubscriptionSend--> registration topic (keyed by foreign key)
//     --FkSubscriptionReceive (subscription store)--> FkSubscriptionJoinForeign
//     --> response topic (keyed by left key) --FkResponseResolver--> result table
//   foreign table --FkForeignTableChange (scans the subscription store)--> response topic
//
// The left side and the foreign side may be partitioned differently: a subscription reaches
// the foreign key's partition, an answer comes back to the left key's. Answers can arrive out
// of order (two foreign keys' partitions race); each carries the hash of the left value it
// was computed for, and the resolver drops those whose hash is not the current value's.

namespace runnel::internal {

// Serializes `value` with `serde` and hashes it; none for no value.
template <typename V>
Result<std::optional<ValueHash>> hash_of(const Serde<V>& serde, const std::optional<V>& value) {
  if (!value) return std::optional<ValueHash>();
  RUNNEL_ASSIGN_OR_RETURN(Bytes bytes, serde.serialize(*value));
  return std::optional<ValueHash>(hash_value(bytes));
}

// Left side, on each change of the left table: unsubscribes the key from its old foreign key
// when that changed and subscribes it to the new one. A left join routes a value without a
// foreign key through the registration topic with a null key, so that its (value, null)
// result comes back on the same path (and in the same order) as every other answer.
template <typename K, typename V, typename KO>
class FkSubscriptionSend final : public ProcessorNode,
                                 public Receiver<K, Change<V>>,
                                 public Forwarder<KO, SubscriptionWrapper<K>> {
 public:
  using Extractor = std::function<std::optional<KO>(const K&, const V&)>;
  FkSubscriptionSend(std::string name, Extractor extractor,
                     std::shared_ptr<const Serde<KO>> foreign_key_serde,
                     std::shared_ptr<const Serde<V>> value_serde, bool left_join)
      : ProcessorNode(std::move(name)),
        extractor_(std::move(extractor)),
        foreign_key_serde_(std::move(foreign_key_serde)),
        value_serde_(std::move(value_serde)),
        left_join_(left_join) {}

  Status process(Record<K, Change<V>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    const Change<V>& change = *record.value;
    std::optional<KO> old_fk;
    std::optional<KO> new_fk;
    if (change.old_value) old_fk = extractor_(*record.key, *change.old_value);
    if (change.new_value) new_fk = extractor_(*record.key, *change.new_value);
    RUNNEL_ASSIGN_OR_RETURN(std::optional<ValueHash> hash,
                            hash_of(*value_serde_, change.new_value));
    bool same_fk = false;
    if (old_fk && new_fk) {
      RUNNEL_ASSIGN_OR_RETURN(Bytes o, foreign_key_serde_->serialize(*old_fk));
      RUNNEL_ASSIGN_OR_RETURN(Bytes n, foreign_key_serde_->serialize(*new_fk));
      same_fk = o == n;
    }

    if (!change.new_value) {
      // Deleted: the result goes too.
      if (old_fk) {
        return send(record, old_fk, SubscriptionInstruction::kDeleteKeyAndPropagate, hash);
      }
      // A left join had a (value, null) result for a value without a foreign key.
      if (change.old_value && left_join_) {
        return send(record, std::nullopt, SubscriptionInstruction::kPropagateNullIfNoForeignValue,
                    hash);
      }
      return ok_status();
    }
    if (old_fk && !same_fk) {
      // Moved away from old_fk. An inner join whose new value has no foreign key has lost its
      // result: that unsubscription's answer deletes it. Otherwise the new foreign key's
      // answer replaces the result, and the old one unsubscribes silently.
      const auto instruction = !new_fk && !left_join_
                                   ? SubscriptionInstruction::kDeleteKeyAndPropagate
                                   : SubscriptionInstruction::kDeleteKeyNoPropagate;
      RUNNEL_RETURN_IF_ERROR(send(record, old_fk, instruction, hash));
    }
    if (new_fk) {
      // An update must answer even without a foreign value: it may have to delete the
      // result the previous value made.
      const auto instruction = left_join_ || change.old_value
                                   ? SubscriptionInstruction::kPropagateNullIfNoForeignValue
                                   : SubscriptionInstruction::kPropagateOnlyIfForeignValue;
      return send(record, new_fk, instruction, hash);
    }
    if (left_join_) {
      return send(record, std::nullopt, SubscriptionInstruction::kPropagateNullIfNoForeignValue,
                  hash);
    }
    return ok_status();
  }

 private:
  Status send(const Record<K, Change<V>>& record, const std::optional<KO>& foreign_key,
              SubscriptionInstruction instruction, const std::optional<ValueHash>& hash) {
    SubscriptionWrapper<K> wrapper;
    wrapper.instruction = instruction;
    wrapper.hash = hash;
    wrapper.primary_partition = context_->task_id().partition;
    wrapper.primary_key = *record.key;
    return this->forward(Record<KO, SubscriptionWrapper<K>>{
        foreign_key, std::move(wrapper), record.timestamp, record.headers, record.position});
  }

  Extractor extractor_;
  std::shared_ptr<const Serde<KO>> foreign_key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  bool left_join_;
};

// Foreign side, on each subscription: keeps the subscription store (foreign key, left key)
// -> subscription up to date and passes the subscription on. A subscription with a null
// foreign key (a left join's value without one) is passed on without being stored.
template <typename K, typename KO>
class FkSubscriptionReceive final : public ProcessorNode,
                                    public Receiver<KO, SubscriptionWrapper<K>>,
                                    public Forwarder<KO, SubscriptionWrapper<K>> {
 public:
  FkSubscriptionReceive(std::string name, std::string store,
                        std::shared_ptr<const Serde<KO>> foreign_key_serde,
                        std::shared_ptr<const Serde<K>> primary_key_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        foreign_key_serde_(std::move(foreign_key_serde)),
        primary_key_serde_(std::move(primary_key_serde)),
        wrapper_serde_(primary_key_serde_) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_ = s.key_value;
    return ok_status();
  }

  Status process(Record<KO, SubscriptionWrapper<K>>&& record) override {
    if (!record.value) return ok_status();
    if (record.key) {
      RUNNEL_ASSIGN_OR_RETURN(Bytes fk, foreign_key_serde_->serialize(*record.key));
      RUNNEL_ASSIGN_OR_RETURN(Bytes pk, primary_key_serde_->serialize(record.value->primary_key));
      const Bytes key = subscription_store_key(fk, pk);
      const SubscriptionInstruction instruction = record.value->instruction;
      if (instruction == SubscriptionInstruction::kDeleteKeyAndPropagate ||
          instruction == SubscriptionInstruction::kDeleteKeyNoPropagate) {
        RUNNEL_RETURN_IF_ERROR(store_->delete_key(key).status());
      } else {
        RUNNEL_ASSIGN_OR_RETURN(Bytes value, wrapper_serde_.serialize(*record.value));
        RUNNEL_RETURN_IF_ERROR(store_->put(key, value));
      }
    }
    return this->forward(std::move(record));
  }

 private:
  std::string store_name_;
  std::shared_ptr<const Serde<KO>> foreign_key_serde_;
  std::shared_ptr<const Serde<K>> primary_key_serde_;
  SubscriptionWrapperSerde<K> wrapper_serde_;
  state::KeyValueStore* store_ = nullptr;  // Owned by the task.
};

// Foreign side, after the store: answers a subscription with the foreign key's current value
// (read through the foreign table's value getter), as its instruction asks.
template <typename K, typename KO, typename VO>
class FkSubscriptionJoinForeign final : public ProcessorNode,
                                        public Receiver<KO, SubscriptionWrapper<K>>,
                                        public Forwarder<K, SubscriptionResponse<VO>> {
 public:
  FkSubscriptionJoinForeign(std::string name, ValueGetterSupplier<KO, VO> foreign)
      : ProcessorNode(std::move(name)), foreign_supplier_(std::move(foreign)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(foreign_, foreign_supplier_(context, name()));
    return ok_status();
  }

  Status process(Record<KO, SubscriptionWrapper<K>>&& record) override {
    if (!record.value) return ok_status();
    SubscriptionWrapper<K>& wrapper = *record.value;
    SubscriptionResponse<VO> response;
    response.hash = wrapper.hash;
    response.primary_partition = wrapper.primary_partition;
    switch (wrapper.instruction) {
      case SubscriptionInstruction::kDeleteKeyNoPropagate:
        return ok_status();
      case SubscriptionInstruction::kDeleteKeyAndPropagate:
        break;
      case SubscriptionInstruction::kPropagateNullIfNoForeignValue:
        if (record.key) {
          RUNNEL_ASSIGN_OR_RETURN(response.foreign_value, foreign_(*record.key));
        }
        break;
      case SubscriptionInstruction::kPropagateOnlyIfForeignValue:
        if (!record.key) return ok_status();
        RUNNEL_ASSIGN_OR_RETURN(response.foreign_value, foreign_(*record.key));
        if (!response.foreign_value) return ok_status();
        break;
    }
    return this->forward(Record<K, SubscriptionResponse<VO>>{
        std::move(wrapper.primary_key), std::move(response), record.timestamp,
        std::move(record.headers), std::move(record.position)});
  }

 private:
  ValueGetterSupplier<KO, VO> foreign_supplier_;
  ValueGetter<KO, VO> foreign_;
};

// Foreign side, on each change of the foreign table: answers every subscription of the
// changed foreign key with its new value (none when deleted).
template <typename K, typename KO, typename VO>
class FkForeignTableChange final : public ProcessorNode,
                                   public Receiver<KO, Change<VO>>,
                                   public Forwarder<K, SubscriptionResponse<VO>> {
 public:
  FkForeignTableChange(std::string name, std::string store,
                       std::shared_ptr<const Serde<KO>> foreign_key_serde,
                       std::shared_ptr<const Serde<K>> primary_key_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        foreign_key_serde_(std::move(foreign_key_serde)),
        wrapper_serde_(std::move(primary_key_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_ = s.key_value;
    return ok_status();
  }

  Status process(Record<KO, Change<VO>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    const Change<VO>& change = *record.value;
    if (!change.new_value && !change.old_value) return ok_status();
    RUNNEL_ASSIGN_OR_RETURN(Bytes fk, foreign_key_serde_->serialize(*record.key));
    // Read every subscription before forwarding any answer: forwarding must not run while
    // the store is being iterated.
    std::vector<SubscriptionWrapper<K>> subscriptions;
    {
      RUNNEL_ASSIGN_OR_RETURN(auto it, store_->prefix_scan(subscription_prefix(fk)));
      for (; it->valid(); it->next()) {
        RUNNEL_ASSIGN_OR_RETURN(SubscriptionWrapper<K> w, wrapper_serde_.deserialize(it->value()));
        subscriptions.push_back(std::move(w));
      }
      RUNNEL_RETURN_IF_ERROR(it->status());
    }
    for (SubscriptionWrapper<K>& w : subscriptions) {
      SubscriptionResponse<VO> response;
      response.hash = w.hash;
      response.primary_partition = w.primary_partition;
      response.foreign_value = change.new_value;
      RUNNEL_RETURN_IF_ERROR(this->forward(
          Record<K, SubscriptionResponse<VO>>{std::move(w.primary_key), std::move(response),
                                              record.timestamp, record.headers, record.position}));
    }
    return ok_status();
  }

 private:
  std::string store_name_;
  std::shared_ptr<const Serde<KO>> foreign_key_serde_;
  SubscriptionWrapperSerde<K> wrapper_serde_;
  state::KeyValueStore* store_ = nullptr;  // Owned by the task.
};

// Left side, on each answer: drops it unless it was computed for the key's current value
// (same hash; a deleted value hashes to none), then joins the current value with the foreign
// value and forwards the result, or null (a deletion) when the left value is gone or, for an
// inner join, the foreign value is.
template <typename K, typename V, typename VO, typename VR>
class FkResponseResolver final : public ProcessorNode,
                                 public Receiver<K, SubscriptionResponse<VO>>,
                                 public Forwarder<K, VR> {
 public:
  using Joiner = std::function<VR(const V&, const std::optional<VO>&)>;
  FkResponseResolver(std::string name, ValueGetterSupplier<K, V> left,
                     std::shared_ptr<const Serde<V>> value_serde, Joiner joiner, bool left_join)
      : ProcessorNode(std::move(name)),
        left_supplier_(std::move(left)),
        value_serde_(std::move(value_serde)),
        joiner_(std::move(joiner)),
        left_join_(left_join) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(left_, left_supplier_(context, name()));
    return ok_status();
  }

  Status process(Record<K, SubscriptionResponse<VO>>&& record) override {
    if (!record.key || !record.value) return ok_status();
    RUNNEL_ASSIGN_OR_RETURN(std::optional<V> current, left_(*record.key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<ValueHash> hash, hash_of(*value_serde_, current));
    if (hash != record.value->hash) return ok_status();  // Stale: for an older left value.
    std::optional<VR> result;
    if (current && (record.value->foreign_value || left_join_)) {
      result = joiner_(*current, record.value->foreign_value);
    }
    return this->forward(Record<K, VR>{std::move(record.key), std::move(result), record.timestamp,
                                       std::move(record.headers), std::move(record.position)});
  }

 private:
  ValueGetterSupplier<K, V> left_supplier_;
  ValueGetter<K, V> left_;
  std::shared_ptr<const Serde<V>> value_serde_;
  Joiner joiner_;
  bool left_join_;
};

}  // namespace runnel::internal

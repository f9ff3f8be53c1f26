#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/record.h"
#include "core/serde.h"
#include "operators/internal/callable_traits.h"
#include "operators/internal/processor_node.h"
#include "state/typed_key_value_store.h"

namespace runnel::internal {

// KStream-GlobalKTable join / left_join: each stream record looks up the global table under
// key_selector(key, value) and is joined with what it finds; updates of the global table
// produce nothing. A record with a null value is dropped (there is nothing to join). A null
// lookup key (the selector returned std::nullopt, or takes a plain key and the record has
// none) finds nothing: an inner join drops the record (counted as dropped), a left join
// joins it with std::nullopt, as Kafka Streams does since KIP-962. The output keeps the
// stream's key.
//
// The global store is read through the task context without being declared (global stores
// are not part of any task's sub-topology); it is shared with the global state maintainer,
// which makes it safe to read from this task's thread while it is written.
template <typename K, typename V, typename GK, typename GV, typename VR, typename KeySelector>
class KStreamGlobalKTableJoin final : public ProcessorNode,
                                      public Receiver<K, V>,
                                      public Forwarder<K, VR> {
  using Call = KeyValueCall<KeySelector, K, V>;

 public:
  using Joiner = std::function<VR(const V&, const std::optional<GV>&)>;
  KStreamGlobalKTableJoin(std::string name, std::string store,
                          std::shared_ptr<const Serde<GK>> key_serde,
                          std::shared_ptr<const Serde<GV>> value_serde, KeySelector selector,
                          Joiner joiner, bool left)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        selector_(std::move(selector)),
        joiner_(std::move(joiner)),
        left_(left) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    if (s.key_value == nullptr) {
      return invalid_argument_error("store '" + store_name_ + "' is not a key-value store");
    }
    store_.emplace(*s.key_value, *key_serde_, *value_serde_);
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.value) {
      context_->record_dropped(name(), "null value for a stream-global table join");
      return ok_status();
    }
    std::optional<GK> lookup;
    if (Call::can_call(record)) lookup = to_optional(Call::call(selector_, record));
    std::optional<GV> found;
    if (lookup) {
      RUNNEL_ASSIGN_OR_RETURN(found, store_->get(*lookup));
    }
    if (!found && !left_) {
      if (!lookup) context_->record_dropped(name(), "null lookup key for a global table join");
      return ok_status();
    }
    VR joined = joiner_(*record.value, found);
    return this->forward(Record<K, VR>{std::move(record.key), std::move(joined), record.timestamp,
                                       std::move(record.headers), std::move(record.position)});
  }

 private:
  std::string store_name_;
  std::shared_ptr<const Serde<GK>> key_serde_;
  std::shared_ptr<const Serde<GV>> value_serde_;
  KeySelector selector_;
  Joiner joiner_;
  bool left_;
  std::optional<state::TypedKeyValueStore<GK, GV>> store_;
};

}  // namespace runnel::internal

#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "operators/internal/callable_traits.h"
#include "operators/internal/processor_node.h"

// The processor node of each stateless KStream operator, one class per operator. Null rule
// (see callable_traits.h): a callable that takes a plain key or value is not called for a
// record whose key or value is null; a predicate then counts as false, an action is skipped,
// and a mapper's record is dropped and counted.

namespace runnel::internal {

// filter / filter_not: forwards the records for which the predicate is `keep_when`.
template <typename K, typename V, typename F>
class KStreamFilter final : public ProcessorNode, public Receiver<K, V>, public Forwarder<K, V> {
  using Call = ValueOrKeyValueCall<F, K, V>;

 public:
  KStreamFilter(std::string name, F predicate, bool keep_when)
      : ProcessorNode(std::move(name)), predicate_(std::move(predicate)), keep_when_(keep_when) {}

  Status process(Record<K, V>&& record) override {
    const bool holds = Call::can_call(record) && static_cast<bool>(Call::call(predicate_, record));
    if (holds != keep_when_) return ok_status();
    return this->forward(std::move(record));
  }

 private:
  F predicate_;
  bool keep_when_;
};

// map_values: a new value, same key, timestamp, headers and position.
template <typename K, typename V, typename V2, typename F>
class KStreamMapValues final : public ProcessorNode,
                               public Receiver<K, V>,
                               public Forwarder<K, V2> {
  using Call = ValueOrKeyValueCall<F, K, V>;

 public:
  KStreamMapValues(std::string name, F mapper)
      : ProcessorNode(std::move(name)), mapper_(std::move(mapper)) {}

  Status process(Record<K, V>&& record) override {
    if (!Call::can_call(record)) {
      context_->record_dropped(name(), "null value for a mapper that takes none");
      return ok_status();
    }
    // The mapper runs before anything is moved out of `record`: it may read the key.
    std::optional<V2> value = to_optional(Call::call(mapper_, record));
    return this->forward(Record<K, V2>{std::move(record.key), std::move(value), record.timestamp,
                                       std::move(record.headers), std::move(record.position)});
  }

 private:
  F mapper_;
};

// map: a new key and value.
template <typename K, typename V, typename K2, typename V2, typename F>
class KStreamMap final : public ProcessorNode, public Receiver<K, V>, public Forwarder<K2, V2> {
  using Call = KeyValueCall<F, K, V>;

 public:
  KStreamMap(std::string name, F mapper)
      : ProcessorNode(std::move(name)), mapper_(std::move(mapper)) {}

  Status process(Record<K, V>&& record) override {
    if (!Call::can_call(record)) {
      context_->record_dropped(name(), "null key or value for a mapper that takes none");
      return ok_status();
    }
    using Parts = key_value_parts_t<decltype(Call::call(mapper_, record))>;
    KeyValue<K2, V2> kv = Parts::to_key_value(Call::call(mapper_, record));
    return this->forward(Record<K2, V2>{std::move(kv.key), std::move(kv.value), record.timestamp,
                                        std::move(record.headers), std::move(record.position)});
  }

 private:
  F mapper_;
};

// select_key: a new key, same value.
template <typename K, typename V, typename K2, typename F>
class KStreamSelectKey final : public ProcessorNode,
                               public Receiver<K, V>,
                               public Forwarder<K2, V> {
  using Call = KeyValueCall<F, K, V>;

 public:
  KStreamSelectKey(std::string name, F selector)
      : ProcessorNode(std::move(name)), selector_(std::move(selector)) {}

  Status process(Record<K, V>&& record) override {
    if (!Call::can_call(record)) {
      context_->record_dropped(name(), "null key or value for a selector that takes none");
      return ok_status();
    }
    return this->forward(Record<K2, V>{to_optional(Call::call(selector_, record)),
                                       std::move(record.value), record.timestamp,
                                       std::move(record.headers), std::move(record.position)});
  }

 private:
  F selector_;
};

// flat_map: zero or more (key, value) pairs per record, forwarded in order.
template <typename K, typename V, typename K2, typename V2, typename F>
class KStreamFlatMap final : public ProcessorNode, public Receiver<K, V>, public Forwarder<K2, V2> {
  using Call = KeyValueCall<F, K, V>;

 public:
  KStreamFlatMap(std::string name, F mapper)
      : ProcessorNode(std::move(name)), mapper_(std::move(mapper)) {}

  Status process(Record<K, V>&& record) override {
    if (!Call::can_call(record)) {
      context_->record_dropped(name(), "null key or value for a mapper that takes none");
      return ok_status();
    }
    auto results = Call::call(mapper_, record);
    for (auto& element : results) {
      using Parts = key_value_parts_t<decltype(element)>;
      // No position: these records are made by the operator, not read (core/record.h).
      KeyValue<K2, V2> kv = Parts::to_key_value(std::move(element));
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<K2, V2>{
          std::move(kv.key), std::move(kv.value), record.timestamp, record.headers, std::nullopt}));
    }
    return ok_status();
  }

 private:
  F mapper_;
};

// flat_map_values: zero or more values per record, each with the record's key.
template <typename K, typename V, typename V2, typename F>
class KStreamFlatMapValues final : public ProcessorNode,
                                   public Receiver<K, V>,
                                   public Forwarder<K, V2> {
  using Call = ValueOrKeyValueCall<F, K, V>;

 public:
  KStreamFlatMapValues(std::string name, F mapper)
      : ProcessorNode(std::move(name)), mapper_(std::move(mapper)) {}

  Status process(Record<K, V>&& record) override {
    if (!Call::can_call(record)) {
      context_->record_dropped(name(), "null value for a mapper that takes none");
      return ok_status();
    }
    auto results = Call::call(mapper_, record);
    for (auto& element : results) {
      RUNNEL_RETURN_IF_ERROR(
          this->forward(Record<K, V2>{record.key, to_optional(std::move(element)), record.timestamp,
                                      record.headers, std::nullopt}));
    }
    return ok_status();
  }

 private:
  F mapper_;
};

// peek (forwards every record) and foreach (a terminal node): calls an action per record.
template <typename K, typename V, typename F>
class KStreamPeek final : public ProcessorNode, public Receiver<K, V>, public Forwarder<K, V> {
  using Call = KeyValueCall<F, K, V>;

 public:
  KStreamPeek(std::string name, F action)
      : ProcessorNode(std::move(name)), action_(std::move(action)) {}

  Status process(Record<K, V>&& record) override {
    if (Call::can_call(record)) Call::call(action_, record);
    return this->forward(std::move(record));
  }

 private:
  F action_;
};

// split: sends each record to the first branch whose predicate holds (or the default branch,
// if any); a record that matches none is dropped.
template <typename K, typename V>
class KStreamSplit final : public ProcessorNode, public Receiver<K, V>, public Forwarder<K, V> {
 public:
  struct Branch {
    std::function<bool(const Record<K, V>&)> predicate;  // Null for the default branch.
    std::string child;
  };
  KStreamSplit(std::string name, std::vector<Branch> branches)
      : ProcessorNode(std::move(name)), branches_(std::move(branches)) {}

  Status process(Record<K, V>&& record) override {
    for (const Branch& branch : branches_) {
      if (!branch.predicate || branch.predicate(record)) {
        return this->forward_to(std::move(record), branch.child);
      }
    }
    return ok_status();
  }

 private:
  std::vector<Branch> branches_;
};

// The branches of split and merge: forwards every record unchanged.
template <typename K, typename V>
class KStreamPassThrough final : public ProcessorNode,
                                 public Receiver<K, V>,
                                 public Forwarder<K, V> {
 public:
  using ProcessorNode::ProcessorNode;
  Status process(Record<K, V>&& record) override { return this->forward(std::move(record)); }
};

}  // namespace runnel::internal

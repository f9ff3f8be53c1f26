#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "operators/internal/task_context.h"

namespace runnel::internal {

// One processor node of a task's graph: the instance of one DSL operator (or source, sink,
// user processor) inside one task. Typed records pass between nodes by move; nodes are made
// by the factories a Topology holds and are owned by their task. Task-thread only.
class ProcessorNode {
 public:
  explicit ProcessorNode(std::string name) : name_(std::move(name)) {}
  virtual ~ProcessorNode() = default;
  ProcessorNode(const ProcessorNode&) = delete;
  ProcessorNode& operator=(const ProcessorNode&) = delete;

  const std::string& name() const { return name_; }

  // Called once, after the task has connected every node and before the first record.
  [[nodiscard]] virtual Status init(TaskContext& context) {
    context_ = &context;
    return ok_status();
  }
  virtual void close() {}

 protected:
  TaskContext* context_ = nullptr;  // Set by init; the task outlives its nodes.

 private:
  std::string name_;
};

// A node that takes Record<K, V>.
template <typename K, typename V>
class Receiver {
 public:
  virtual ~Receiver() = default;
  [[nodiscard]] virtual Status process(Record<K, V>&& record) = 0;
};

// A node that emits Record<K, V> to its children. With several children, each but the last
// gets a copy and the last gets the original, so a chain without fan-out never copies.
template <typename K, typename V>
class Forwarder {
 public:
  virtual ~Forwarder() = default;

  void add_child(Receiver<K, V>* child, std::string name) {
    children_.push_back(child);
    child_names_.push_back(std::move(name));
  }
  std::size_t child_count() const { return children_.size(); }

  [[nodiscard]] Status forward(Record<K, V>&& record) {
    const std::size_t n = children_.size();
    if (n == 1) return children_[0]->process(std::move(record));
    if (n == 0) return ok_status();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      Record<K, V> copy = record;
      RUNNEL_RETURN_IF_ERROR(children_[i]->process(std::move(copy)));
    }
    return children_[n - 1]->process(std::move(record));
  }

  // To the child named `child` only.
  [[nodiscard]] Status forward_to(Record<K, V>&& record, std::string_view child) {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (child_names_[i] == child) return children_[i]->process(std::move(record));
    }
    return invalid_argument_error("forward to unknown child processor '" + std::string(child) +
                                  "'");
  }

 private:
  std::vector<Receiver<K, V>*> children_;  // Borrowed: siblings owned by the same task.
  std::vector<std::string> child_names_;
};

// Connects `parent` (which must forward Record<K, V>) to `child` (which must take it). The
// DSL guarantees the types agree; a mismatch is a Runnel bug, hence the assert.
template <typename K, typename V>
void attach(ProcessorNode& parent, ProcessorNode& child) {
  auto* forwarder = dynamic_cast<Forwarder<K, V>*>(&parent);
  auto* receiver = dynamic_cast<Receiver<K, V>*>(&child);
  assert(forwarder != nullptr && receiver != nullptr);
  if (forwarder != nullptr && receiver != nullptr) forwarder->add_child(receiver, child.name());
}

// A source node: deserializes raw records from its topics and forwards them typed.
class SourceNodeBase : public ProcessorNode {
 public:
  using ProcessorNode::ProcessorNode;
  // Returns the error of processing the record downstream. A key or value that does not
  // deserialize is not processed: its error goes to `deserialization_error`, and the return
  // value is OK, so that the task can hand it to its DeserializationExceptionHandler.
  [[nodiscard]] virtual Status process_raw(const RawRecordView& record,
                                           Status& deserialization_error) = 0;
};

}  // namespace runnel::internal

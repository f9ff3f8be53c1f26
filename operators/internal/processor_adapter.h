#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "operators/internal/processor_node.h"
#include "operators/processor.h"

namespace runnel::internal {

// Runs a user Processor as a node: it is the processor's ProcessorContext. A failure
// downstream of forward() is kept (the first one) and returned when process() or the
// punctuator returns, because the user-facing forward() has no Status to return.
template <typename KIn, typename VIn, typename KOut, typename VOut>
class ProcessorAdapter final : public ProcessorNode,
                               public Receiver<KIn, VIn>,
                               public Forwarder<KOut, VOut>,
                               private ProcessorContext<KOut, VOut> {
 public:
  ProcessorAdapter(std::string name, std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor)
      : ProcessorNode(std::move(name)), processor_(std::move(processor)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    processor_->init(*this);
    return take_error();
  }
  void close() override { processor_->close(); }

  Status process(Record<KIn, VIn>&& record) override {
    processor_->process(std::move(record));
    return take_error();
  }

 private:
  Status take_error() {
    Status s = std::move(error_);
    error_ = Status();
    return s;
  }

  // ProcessorContext.
  void forward(Record<KOut, VOut> record) override {
    Status s = Forwarder<KOut, VOut>::forward(std::move(record));
    if (!s.ok() && error_.ok()) error_ = std::move(s);
  }
  void forward(Record<KOut, VOut> record, std::string_view child_name) override {
    Status s = this->forward_to(std::move(record), child_name);
    if (!s.ok() && error_.ok()) error_ = std::move(s);
  }
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       Punctuator punctuator) override {
    return context_->schedule(interval, type,
                              [this, punctuator = std::move(punctuator)](Timestamp t) {
                                punctuator(t);
                                return take_error();
                              });
  }
  Timestamp current_stream_time() const override { return context_->stream_time(); }
  std::int64_t current_system_time_ms() const override { return context_->wall_clock_ms(); }
  const std::optional<RecordPosition>& record_metadata() const override {
    return context_->current_position();
  }
  const std::string& application_id() const override { return context_->application_id(); }
  TaskId task_id() const override { return context_->task_id(); }
  Result<StateStore> get_state_store(std::string_view store) override {
    return context_->get_state_store(name(), store);
  }

  std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor_;
  Status error_;  // The first downstream failure since the last take_error().
};

}  // namespace runnel::internal

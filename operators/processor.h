#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.h"
#include "core/result.h"
#include "core/timestamp.h"
#include "operators/state_store.h"
#include "operators/task_id.h"

// The Processor API: hand-written processors plugged into a DSL topology with
// KStream::process. A processor sees typed records, one at a time, on its task's thread, and
// forwards typed records to the processors downstream of it.

namespace runnel {

// What drives a punctuator: the task's stream time (the largest record timestamp it has seen,
// which moves only when records arrive) or the wall clock (which moves on its own; in the
// TopologyTestDriver only through advance_wall_clock_time).
enum class PunctuationType { kStreamTime, kWallClockTime };

// Called with the time that triggered it: the stream time or the wall-clock time, in ms.
using Punctuator = std::function<void(Timestamp timestamp)>;

// The handle ProcessorContext::schedule returns; cancel() stops further calls of the
// punctuator. Copies share the one schedule. Task-thread only, like the punctuator itself.
class Cancellable {
 public:
  Cancellable() : cancelled_(std::make_shared<bool>(false)) {}
  void cancel() { *cancelled_ = true; }
  bool cancelled() const { return *cancelled_; }

 private:
  std::shared_ptr<bool> cancelled_;  // Shared with the task's punctuation queue.
};

// A processor's view of its task. Valid from Processor::init until Processor::close returns;
// used from the task's thread only. KOut/VOut are the types the processor forwards.
template <typename KOut, typename VOut>
class ProcessorContext {
 public:
  virtual ~ProcessorContext() = default;

  // Passes `record` to every child processor, in the order they were attached. Runs the
  // children before returning. A failure downstream (a sink that cannot serialize) is
  // recorded and reported by the task once the current process() or punctuator returns.
  virtual void forward(Record<KOut, VOut> record) = 0;
  // Passes `record` to the child processor named `child_name` only; an unknown name is
  // reported as an InvalidArgument error, like a downstream failure.
  virtual void forward(Record<KOut, VOut> record, std::string_view child_name) = 0;

  // Calls `punctuator` every `interval`: for kStreamTime, as soon as the task has a stream
  // time and then whenever stream time reaches the next multiple of `interval` (punctuations
  // skipped over by a jump in time are not replayed); for kWallClockTime, at now + interval and
  // then every interval of wall-clock time. `interval` must be positive.
  virtual Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                               Punctuator punctuator) = 0;

  // The task's stream time: the largest timestamp it has processed, kNoTimestamp before any.
  virtual Timestamp current_stream_time() const = 0;
  // The task's wall clock in ms since the epoch (the driver's mock clock in tests).
  virtual std::int64_t current_system_time_ms() const = 0;
  // Topic, partition and offset of the input record being processed; std::nullopt inside a
  // punctuator.
  virtual const std::optional<RecordPosition>& record_metadata() const = 0;
  virtual const std::string& application_id() const = 0;
  virtual TaskId task_id() const = 0;

  // The task's instance of the state store `name`, which must be one of the stores given to
  // KStream::process for this processor (InvalidArgument otherwise). Stores are made before
  // init and closed after close. Typed access: state::TypedKeyValueStore<K, V>(
  // *store.key_value, key_serde, value_serde), and likewise for window and session stores.
  [[nodiscard]] virtual Result<StateStore> get_state_store(std::string_view name) = 0;
};

// A hand-written processor: receives Record<KIn, VIn>, forwards Record<KOut, VOut>. One
// instance per task (KStream::process takes a factory), so instances need not be
// thread-safe. Lifecycle: init once, process per record, close once.
template <typename KIn, typename VIn, typename KOut, typename VOut>
class Processor {
 public:
  using KeyIn = KIn;
  using ValueIn = VIn;
  using KeyOut = KOut;
  using ValueOut = VOut;

  virtual ~Processor() = default;

  // `context` outlives the processor's use of it (until close returns); keep a pointer.
  virtual void init(ProcessorContext<KOut, VOut>& context) { (void)context; }
  virtual void process(Record<KIn, VIn> record) = 0;
  virtual void close() {}
};

}  // namespace runnel

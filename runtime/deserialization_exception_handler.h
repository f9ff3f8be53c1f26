#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "operators/task_id.h"

namespace runnel {

// What a task does with a record whose key or value cannot be deserialized at its source.
enum class DeserializationHandlerResponse { kContinue, kFail };

struct DeserializationErrorContext {
  TaskId task_id;
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  Status error;  // The serde's error, prefixed with "key" or "value".
};

// Kafka Streams' DeserializationExceptionHandler: chooses between skipping the record and
// failing the task. Called on task threads, possibly several at once: implementations must be
// thread-safe.
class DeserializationExceptionHandler {
 public:
  virtual ~DeserializationExceptionHandler() = default;
  virtual DeserializationHandlerResponse handle(const DeserializationErrorContext& context) = 0;
};

// Logs a warning naming topic, partition and offset, counts the record and skips it.
class LogAndContinueExceptionHandler final : public DeserializationExceptionHandler {
 public:
  DeserializationHandlerResponse handle(const DeserializationErrorContext& context) override;
  // How many records this handler has skipped.
  std::uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> skipped_{0};
};

// Logs an error and fails the task: its process() returns a Corruption error naming topic,
// partition and offset. The default, as in Kafka Streams.
class LogAndFailExceptionHandler final : public DeserializationExceptionHandler {
 public:
  DeserializationHandlerResponse handle(const DeserializationErrorContext& context) override;
};

}  // namespace runnel

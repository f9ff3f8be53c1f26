#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/headers.h"
#include "core/timestamp.h"
#include "operators/task_id.h"

namespace runnel {

// Where an exception thrown by user code (a DSL callable, a Processor, a punctuator) was met.
// For a record, its source: the topic, partition and offset the task was processing, and its
// raw key and value as read. For a punctuation, `topic` is empty and `offset` is -1.
struct ProcessingErrorContext {
  TaskId task_id;
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  Timestamp timestamp = kNoTimestamp;
  NullableBytes source_key;
  NullableBytes source_value;
  std::string exception_type;  // The exception's dynamic type, demangled.
  std::string message;         // Its what().
};

// A record for a dead-letter-queue topic, sent by the task that met the error (inside its
// transaction under exactly-once), as Kafka Streams' KIP-1034 does.
struct DeadLetterRecord {
  std::string topic;
  NullableBytes key;
  NullableBytes value;
  Timestamp timestamp = kNoTimestamp;
  Headers headers;
};

// What the task does next: resume with the next record (the failing record's processing ends
// where it threw; what it did before stays done), or fail, stopping the stream thread.
struct ProcessingHandlerResponse {
  enum class Result { kResume, kFail };
  Result result = Result::kFail;
  std::vector<DeadLetterRecord> dead_letters;  // Sent before the task resumes or fails.
};

// Kafka Streams' ProcessingExceptionHandler (KIP-1033), set by `processing.exception.handler`
// or, for a handler of one's own, KafkaStreams::set_processing_exception_handler. Only
// exceptions thrown by user code reach it: a failure of Runnel's own (a store, a send) fails
// the thread as before. Called on task threads, possibly several at once: thread-safe.
class ProcessingExceptionHandler {
 public:
  virtual ~ProcessingExceptionHandler() = default;
  virtual ProcessingHandlerResponse handle(const ProcessingErrorContext& context) = 0;
};

// The dead-letter record Kafka Streams' built-in handlers send when
// `errors.dead.letter.queue.topic.name` is set: the source record's key and value, with the
// error in headers (__streams.errors.exception, .message, .topic, .partition, .offset).
DeadLetterRecord make_dead_letter_record(const std::string& dead_letter_topic,
                                         const ProcessingErrorContext& context);

// Logs an error and fails: the default, as in Kafka Streams.
class LogAndFailProcessingExceptionHandler final : public ProcessingExceptionHandler {
 public:
  // An empty `dead_letter_topic`: no dead-letter record.
  explicit LogAndFailProcessingExceptionHandler(std::string dead_letter_topic = "")
      : dead_letter_topic_(std::move(dead_letter_topic)) {}
  ProcessingHandlerResponse handle(const ProcessingErrorContext& context) override;

 private:
  const std::string dead_letter_topic_;
};

// Logs a warning naming the source record and the exception, and resumes.
class LogAndContinueProcessingExceptionHandler final : public ProcessingExceptionHandler {
 public:
  explicit LogAndContinueProcessingExceptionHandler(std::string dead_letter_topic = "")
      : dead_letter_topic_(std::move(dead_letter_topic)) {}
  ProcessingHandlerResponse handle(const ProcessingErrorContext& context) override;
  // How many errors this handler has resumed after.
  std::uint64_t resumed() const { return resumed_.load(std::memory_order_relaxed); }

 private:
  const std::string dead_letter_topic_;
  std::atomic<std::uint64_t> resumed_{0};
};

}  // namespace runnel

#include "runtime/processing_exception_handler.h"

#include "core/log.h"

namespace runnel {

namespace {

std::string describe(const ProcessingErrorContext& context) {
  const std::string where = context.topic.empty()
                                ? "a punctuation"
                                : "the record from topic " + context.topic + " partition " +
                                      std::to_string(context.partition) + " offset " +
                                      std::to_string(context.offset);
  return "task " + context.task_id.to_string() + ": " + context.exception_type + " (\"" +
         context.message + "\") while processing " + where;
}

}  // namespace

DeadLetterRecord make_dead_letter_record(const std::string& dead_letter_topic,
                                         const ProcessingErrorContext& context) {
  DeadLetterRecord record{.topic = dead_letter_topic,
                          .key = context.source_key,
                          .value = context.source_value,
                          .timestamp = context.timestamp};
  record.headers.add("__streams.errors.exception", Bytes::from_string(context.exception_type));
  record.headers.add("__streams.errors.message", Bytes::from_string(context.message));
  if (!context.topic.empty()) {
    record.headers.add("__streams.errors.topic", Bytes::from_string(context.topic));
    record.headers.add("__streams.errors.partition",
                       Bytes::from_string(std::to_string(context.partition)));
    record.headers.add("__streams.errors.offset",
                       Bytes::from_string(std::to_string(context.offset)));
  }
  return record;
}

ProcessingHandlerResponse LogAndFailProcessingExceptionHandler::handle(
    const ProcessingErrorContext& context) {
  log::error("{}; failing (processing.exception.handler is log-and-fail)", describe(context));
  ProcessingHandlerResponse response{.result = ProcessingHandlerResponse::Result::kFail};
  if (!dead_letter_topic_.empty()) {
    response.dead_letters.push_back(make_dead_letter_record(dead_letter_topic_, context));
  }
  return response;
}

ProcessingHandlerResponse LogAndContinueProcessingExceptionHandler::handle(
    const ProcessingErrorContext& context) {
  log::warn("{}; skipped (processing.exception.handler is log-and-continue)", describe(context));
  resumed_.fetch_add(1, std::memory_order_relaxed);
  ProcessingHandlerResponse response{.result = ProcessingHandlerResponse::Result::kResume};
  if (!dead_letter_topic_.empty()) {
    response.dead_letters.push_back(make_dead_letter_record(dead_letter_topic_, context));
  }
  return response;
}

}  // namespace runnel

#include "runtime/deserialization_exception_handler.h"

#include "core/log.h"

namespace runnel {

DeserializationHandlerResponse LogAndContinueExceptionHandler::handle(
    const DeserializationErrorContext& context) {
  skipped_.fetch_add(1, std::memory_order_relaxed);
  log::warn("task {}: skipping record from topic {} partition {} offset {}: {}",
            context.task_id.to_string(), context.topic, context.partition, context.offset,
            context.error.message());
  return DeserializationHandlerResponse::kContinue;
}

DeserializationHandlerResponse LogAndFailExceptionHandler::handle(
    const DeserializationErrorContext& context) {
  log::error("task {}: cannot deserialize record from topic {} partition {} offset {}: {}",
             context.task_id.to_string(), context.topic, context.partition, context.offset,
             context.error.message());
  return DeserializationHandlerResponse::kFail;
}

}  // namespace runnel

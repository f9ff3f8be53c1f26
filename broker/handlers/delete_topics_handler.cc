#include "broker/handlers/delete_topics_handler.h"

#include <fmt/format.h>

#include "broker/handlers/internal_topics.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {

DeleteTopicsResponse handle_delete_topics(BrokerContext& context, const Access& access,
                                          const DeleteTopicsRequest& request, int16_t version) {
  (void)version;  // Served versions 0-5 name topics in topic_names (5 adds the message).
  DeleteTopicsResponse response;
  for (const std::string& name : request.topic_names) {
    DeleteTopicsResponse::DeletableTopicResult result;
    result.name = name;
    if (!access.topic(AclOperation::kDelete, name)) {
      result.error_code = static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed);
      response.responses.push_back(std::move(result));
      continue;
    }
    if (is_broker_internal_topic(name)) {
      // Apache Kafka answers INVALID_TOPIC_EXCEPTION when a client may not touch an internal
      // topic (appends to it); its tools refuse to delete one.
      result.error_code = static_cast<int16_t>(ErrorCode::kInvalidTopicException);
      result.error_message =
          fmt::format("topic '{}' is internal to the broker and cannot be deleted", name);
      response.responses.push_back(std::move(result));
      continue;
    }
    Status deleted = context.logs.delete_topic(name);
    if (deleted.ok()) {
      log::info("deleted topic '{}'", name);
      result.error_code = static_cast<int16_t>(ErrorCode::kNone);
    } else if (deleted.code() == StatusCode::kNotFound) {
      result.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
    } else {
      log::error("delete topic '{}' failed: {}", name, deleted.to_string());
      result.error_code = static_cast<int16_t>(ErrorCode::kKafkaStorageError);
    }
    response.responses.push_back(std::move(result));
  }
  // Wake fetches waiting on the deleted partitions so they answer now.
  context.appends.notify_appended();
  return response;
}

}  // namespace runnel::broker

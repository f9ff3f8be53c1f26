#include "broker/handlers/create_partitions_handler.h"

#include <fmt/format.h>

#include "broker/handlers/internal_topics.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using PartitionsTopicResult = CreatePartitionsResponse::CreatePartitionsTopicResult;

PartitionsTopicResult create_partitions(BrokerContext& context,
                                        const CreatePartitionsRequest::CreatePartitionsTopic& topic,
                                        bool validate_only) {
  PartitionsTopicResult result;
  result.name = topic.name;
  auto fail = [&result](ErrorCode error, std::string message) {
    result.error_code = static_cast<int16_t>(error);
    result.error_message = std::move(message);
    return result;
  };
  if (is_broker_internal_topic(topic.name)) {
    return fail(ErrorCode::kInvalidTopicException,
                fmt::format("topic '{}' is internal to the broker: its partition count is fixed",
                            topic.name));
  }
  auto existing = context.logs.describe_topic(topic.name);
  if (!existing) {
    return fail(ErrorCode::kUnknownTopicOrPartition,
                fmt::format("topic '{}' does not exist", topic.name));
  }
  if (topic.count <= existing->partitions) {
    return fail(ErrorCode::kInvalidPartitions,
                fmt::format("topic '{}' has {} partitions; the new count {} must be larger",
                            topic.name, existing->partitions, topic.count));
  }
  if (topic.assignments.has_value()) {
    if (static_cast<int64_t>(topic.assignments->size()) != topic.count - existing->partitions) {
      return fail(ErrorCode::kInvalidReplicaAssignment,
                  fmt::format("{} assignments given for {} new partitions",
                              topic.assignments->size(), topic.count - existing->partitions));
    }
    for (const auto& assignment : *topic.assignments) {
      if (assignment.broker_ids != std::vector<int32_t>{context.identity.node_id}) {
        return fail(ErrorCode::kInvalidReplicaAssignment,
                    fmt::format("runneld is the single broker {}; assign each partition to it",
                                context.identity.node_id));
      }
    }
  }
  Status created = context.logs.create_partitions(topic.name, topic.count, validate_only);
  if (created.code() == StatusCode::kNotFound) {
    return fail(ErrorCode::kUnknownTopicOrPartition, std::string(created.message()));
  }
  if (created.code() == StatusCode::kInvalidArgument) {
    return fail(ErrorCode::kInvalidPartitions, std::string(created.message()));
  }
  if (!created.ok()) {
    log::error("create partitions for '{}' failed: {}", topic.name, created.to_string());
    return fail(ErrorCode::kKafkaStorageError, std::string(created.message()));
  }
  if (!validate_only) log::info("topic '{}' now has {} partitions", topic.name, topic.count);
  result.error_code = static_cast<int16_t>(ErrorCode::kNone);
  return result;
}

}  // namespace

CreatePartitionsResponse handle_create_partitions(BrokerContext& context, const Access& access,
                                                  const CreatePartitionsRequest& request,
                                                  int16_t version) {
  (void)version;  // v0-3 are the same request (2+ flexible; 3 may be throttled, never here).
  CreatePartitionsResponse response;
  for (const auto& topic : request.topics) {
    if (!access.topic(AclOperation::kAlter, topic.name)) {
      PartitionsTopicResult refused;
      refused.name = topic.name;
      refused.error_code = static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed);
      refused.error_message = "not authorized to alter this topic";
      response.results.push_back(std::move(refused));
      continue;
    }
    response.results.push_back(create_partitions(context, topic, request.validate_only));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/create_topics_handler.h"

#include <map>
#include <set>
#include <string>
#include <variant>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using TopicResult = CreateTopicsResponse::CreatableTopicResult;
using CreatableTopic = CreateTopicsRequest::CreatableTopic;

// Kafka's ConfigSource values.
constexpr int8_t kTopicConfigSource = 1;
constexpr int8_t kDefaultConfigSource = 5;

struct Failure {
  ErrorCode error;
  std::string message;
};

// Partition count the topic asks for, or a failure.
std::variant<int32_t, Failure> partition_count(const BrokerContext& context,
                                               const CreatableTopic& topic) {
  if (!topic.assignments.empty()) {
    if (topic.num_partitions != -1 || topic.replication_factor != -1) {
      return Failure{ErrorCode::kInvalidRequest,
                     "give either assignments or partitions and replication factor, not both"};
    }
    for (const auto& assignment : topic.assignments) {
      if (assignment.broker_ids != std::vector<int32_t>{context.identity.node_id}) {
        return Failure{ErrorCode::kInvalidReplicaAssignment,
                       fmt::format("partition {}: runneld is the single broker {}; assign "
                                   "each partition to it alone",
                                   assignment.partition_index, context.identity.node_id)};
      }
    }
    return static_cast<int32_t>(topic.assignments.size());
  }
  if (topic.replication_factor != -1 && topic.replication_factor != 1) {
    return Failure{ErrorCode::kInvalidReplicationFactor,
                   fmt::format("replication factor {} asked, but runneld is a single broker: "
                               "use 1 (or -1 for the default)",
                               topic.replication_factor)};
  }
  const int32_t partitions =
      topic.num_partitions == -1 ? context.config.num_partitions : topic.num_partitions;
  if (partitions < 1) {
    return Failure{ErrorCode::kInvalidPartitions,
                   fmt::format("number of partitions must be at least 1, got {}", partitions)};
  }
  return partitions;
}

TopicResult create_topic(BrokerContext& context, const CreatableTopic& topic, bool validate_only) {
  TopicResult result;
  result.name = topic.name;
  auto fail = [&result](ErrorCode error, std::string message) {
    result.error_code = static_cast<int16_t>(error);
    result.error_message = std::move(message);
    return result;
  };
  if (Status valid = validate_topic_name(topic.name); !valid.ok()) {
    return fail(ErrorCode::kInvalidTopicException, std::string(valid.message()));
  }
  auto partitions = partition_count(context, topic);
  if (auto* failure = std::get_if<Failure>(&partitions)) {
    return fail(failure->error, failure->message);
  }
  std::map<std::string, std::string> overrides;
  for (const auto& config : topic.configs) {
    if (config.value.has_value()) overrides[config.name] = *config.value;
  }
  auto config = context.logs.defaults().with_overrides(overrides);
  if (!config.ok()) {
    return fail(ErrorCode::kInvalidConfig, std::string(config.status().message()));
  }
  Status created = context.logs.create_topic(topic.name, std::get<int32_t>(partitions), overrides,
                                             validate_only);
  if (created.code() == StatusCode::kAlreadyExists) {
    return fail(ErrorCode::kTopicAlreadyExists,
                fmt::format("topic '{}' already exists", topic.name));
  }
  if (created.code() == StatusCode::kInvalidArgument) {
    return fail(ErrorCode::kInvalidRequest, std::string(created.message()));
  }
  if (!created.ok()) {
    log::error("create topic '{}' failed: {}", topic.name, created.to_string());
    return fail(ErrorCode::kKafkaStorageError, std::string(created.message()));
  }
  if (!validate_only) {
    log::info("created topic '{}' with {} partition(s)", topic.name, std::get<int32_t>(partitions));
  }
  result.error_code = static_cast<int16_t>(ErrorCode::kNone);
  // v5+ (KIP-525) describe the topic as created, so that a client need not ask again.
  result.num_partitions = std::get<int32_t>(partitions);
  result.replication_factor = 1;
  result.configs.emplace();
  for (const ConfigEntry& entry : config.value().describe(context.logs.defaults())) {
    result.configs->push_back(TopicResult::CreatableTopicConfigs{
        .name = entry.name,
        .value = entry.value,
        .read_only = entry.read_only,
        .config_source = entry.is_default ? kDefaultConfigSource : kTopicConfigSource,
        .is_sensitive = entry.is_sensitive});
  }
  return result;
}

}  // namespace

CreateTopicsResponse handle_create_topics(BrokerContext& context, const Access& access,
                                          const CreateTopicsRequest& request, int16_t version) {
  // Served versions 0-6 differ only in fields the codec handles (v5+ encode the created
  // topic's partitions and configs; v6 may be throttled, which runneld never does).
  (void)version;
  std::map<std::string, int> occurrences;
  for (const auto& topic : request.topics) ++occurrences[topic.name];

  CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    if (occurrences[topic.name] > 1) {
      TopicResult duplicate;
      duplicate.name = topic.name;
      duplicate.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      duplicate.error_message = fmt::format("topic '{}' appears more than once", topic.name);
      response.topics.push_back(std::move(duplicate));
      continue;
    }
    if (!access.create_topic(topic.name)) {
      TopicResult refused;
      refused.name = topic.name;
      refused.error_code = static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed);
      refused.error_message = "not authorized to create this topic";
      response.topics.push_back(std::move(refused));
      continue;
    }
    response.topics.push_back(create_topic(context, topic, request.validate_only));
  }
  for (TopicResult& result : response.topics) {
    // Kafka's failed results carry an empty config list, which its Admin client expects.
    if (!result.configs) result.configs.emplace();
  }
  return response;
}

}  // namespace runnel::broker

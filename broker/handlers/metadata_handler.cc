#include "broker/handlers/metadata_handler.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "broker/handlers/leader_epoch.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using ResponseTopic = MetadataResponse::MetadataResponseTopic;
using ResponsePartition = MetadataResponse::MetadataResponseTopic::MetadataResponsePartition;

ResponseTopic describe(const BrokerContext& context, const TopicInfo& topic) {
  ResponseTopic result;
  result.error_code = code(ErrorCode::kNone);
  result.name = topic.name;
  result.is_internal = topic.name.starts_with("__");
  for (int32_t index = 0; index < topic.partitions; ++index) {
    ResponsePartition partition;
    partition.error_code = code(ErrorCode::kNone);
    partition.partition_index = index;
    partition.leader_id = context.identity.node_id;
    partition.leader_epoch = kPartitionLeaderEpoch;  // v7+
    partition.replica_nodes = {context.identity.node_id};
    partition.isr_nodes = {context.identity.node_id};
    result.partitions.push_back(std::move(partition));
  }
  return result;
}

// KIP-430 (v8+): the operations the caller may perform, one bit per Kafka AclOperation code,
// over the operations Kafka reports for the resource type.
template <typename Allowed>
int32_t authorized_operations(std::initializer_list<AclOperation> operations, Allowed allowed) {
  int32_t bits = 0;
  for (AclOperation operation : operations) {
    if (allowed(operation)) bits |= int32_t{1} << static_cast<int>(operation);
  }
  return bits;
}

int32_t topic_operations(const Access& access, const std::string& topic) {
  return authorized_operations(
      {AclOperation::kRead, AclOperation::kWrite, AclOperation::kCreate, AclOperation::kDelete,
       AclOperation::kAlter, AclOperation::kDescribe, AclOperation::kDescribeConfigs,
       AclOperation::kAlterConfigs},
      [&](AclOperation operation) { return access.topic(operation, topic); });
}

int32_t cluster_operations(const Access& access) {
  return authorized_operations(
      {AclOperation::kCreate, AclOperation::kAlter, AclOperation::kDescribe,
       AclOperation::kClusterAction, AclOperation::kDescribeConfigs, AclOperation::kAlterConfigs,
       AclOperation::kIdempotentWrite},
      [&](AclOperation operation) { return access.cluster(operation); });
}

ResponseTopic topic_error(const std::string& name, ErrorCode error) {
  ResponseTopic result;
  result.error_code = code(error);
  result.name = name;
  return result;
}

// The topic `name` as the client should see it, creating it if allowed.
ResponseTopic lookup_or_create(BrokerContext& context, const Access& access,
                               const std::string& name, bool may_create) {
  if (!access.topic(AclOperation::kDescribe, name)) {
    return topic_error(name, ErrorCode::kTopicAuthorizationFailed);
  }
  if (auto topic = context.logs.describe_topic(name)) return describe(context, *topic);
  if (!may_create) return topic_error(name, ErrorCode::kUnknownTopicOrPartition);
  // Auto-creation is a CreateTopics in disguise and needs the same right.
  if (!access.create_topic(name)) return topic_error(name, ErrorCode::kTopicAuthorizationFailed);
  if (Status valid = validate_topic_name(name); !valid.ok()) {
    return topic_error(name, ErrorCode::kInvalidTopicException);
  }
  Status created = context.logs.create_topic(name, context.config.num_partitions, {}, false);
  if (!created.ok() && created.code() != StatusCode::kAlreadyExists) {
    log::warn("metadata: auto-creating topic '{}' failed: {}", name, created.to_string());
    return topic_error(name, ErrorCode::kUnknownServerError);
  }
  if (created.ok()) {
    log::info("metadata: auto-created topic '{}' with {} partition(s)", name,
              context.config.num_partitions);
  }
  auto topic = context.logs.describe_topic(name);
  // Deleted again between create and describe: the client retries.
  if (!topic) return topic_error(name, ErrorCode::kLeaderNotAvailable);
  return describe(context, *topic);
}

}  // namespace

MetadataResponse handle_metadata(BrokerContext& context, const Access& access,
                                 const MetadataRequest& request, int16_t version,
                                 const std::string& listener_name) {
  MetadataResponse response;
  MetadataResponse::MetadataResponseBroker broker;
  const AdvertisedEndpoint endpoint = context.identity.advertised(listener_name);
  broker.node_id = context.identity.node_id;
  broker.host = endpoint.host;
  broker.port = endpoint.port;
  response.brokers.push_back(std::move(broker));
  response.cluster_id = context.identity.cluster_id;
  response.controller_id = context.identity.node_id;

  // v0 has no null array: an empty one means all topics. From v1, null = all, empty = none.
  if (version >= 8 && version <= 10 && request.include_cluster_authorized_operations) {
    response.cluster_authorized_operations = cluster_operations(access);
  }
  const bool topic_operations_asked = version >= 8 && request.include_topic_authorized_operations;
  const auto with_operations = [&](ResponseTopic topic) {
    if (topic_operations_asked && topic.error_code == code(ErrorCode::kNone)) {
      topic.topic_authorized_operations = topic_operations(access, topic.name.value_or(""));
    }
    return topic;
  };
  const bool all_topics = !request.topics.has_value() || (version == 0 && request.topics->empty());
  if (all_topics) {
    for (const TopicInfo& topic : context.logs.list_topics()) {
      // A listing leaves out what the caller may not see rather than naming it.
      if (!access.topic(AclOperation::kDescribe, topic.name)) continue;
      response.topics.push_back(with_operations(describe(context, topic)));
    }
    return response;
  }
  const bool may_create =
      context.config.auto_create_topics && (version < 4 || request.allow_auto_topic_creation);
  for (const auto& requested : *request.topics) {
    if (!requested.name.has_value()) continue;  // Topic ids come with v10+, not served.
    response.topics.push_back(
        with_operations(lookup_or_create(context, access, *requested.name, may_create)));
  }
  return response;
}

void MetadataHandler::handle(const HandlerCall& call, MetadataRequest request,
                             const Responder& respond) {
  respond.send(handle_metadata(call.context, call.access, request, call.version(),
                               call.session.listener_name()));
}

}  // namespace runnel::broker

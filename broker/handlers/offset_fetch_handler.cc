#include "broker/handlers/offset_fetch_handler.h"

#include <map>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {
namespace {

using OffsetFetchTopicResponse = OffsetFetchResponse::OffsetFetchResponseTopic;
using OffsetFetchPartitionResponse = OffsetFetchTopicResponse::OffsetFetchResponsePartition;
using TopicRequest = OffsetFetchRequest::OffsetFetchRequestTopic;

OffsetFetchPartitionResponse partition_response(int32_t partition, const CommittedOffset* offset) {
  OffsetFetchPartitionResponse response;
  response.partition_index = partition;
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  response.committed_offset = offset != nullptr ? offset->offset : -1;
  response.committed_leader_epoch = offset != nullptr ? offset->leader_epoch : -1;
  response.metadata = offset != nullptr ? offset->metadata : std::string();
  return response;
}

}  // namespace

OffsetFetchResponse handle_offset_fetch(BrokerContext& context, const Access& access,
                                        const OffsetFetchRequest& request, int16_t version) {
  OffsetFetchResponse response;
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  if (!access.group(AclOperation::kDescribe, request.group_id)) {
    // v2 added the top-level error; before it, each requested partition carries it.
    if (version >= 2) {
      response.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
      return response;
    }
    for (const auto& topic : request.topics.value_or(std::vector<TopicRequest>{})) {
      OffsetFetchTopicResponse topic_response;
      topic_response.name = topic.name;
      for (int32_t partition : topic.partition_indexes) {
        OffsetFetchPartitionResponse refused = partition_response(partition, nullptr);
        refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
        topic_response.partitions.push_back(std::move(refused));
      }
      response.topics.push_back(std::move(topic_response));
    }
    return response;
  }
  const std::map<TopicPartition, CommittedOffset> committed =
      context.offsets.fetch_all(request.group_id);
  if (!request.topics.has_value()) {
    // Every offset of the group, grouped by topic.
    for (const auto& [partition, offset] : committed) {
      // Offsets of topics the caller may not see are left out, not named.
      if (!access.topic(AclOperation::kDescribe, partition.topic)) continue;
      if (response.topics.empty() || response.topics.back().name != partition.topic) {
        OffsetFetchTopicResponse topic;
        topic.name = partition.topic;
        response.topics.push_back(std::move(topic));
      }
      response.topics.back().partitions.push_back(partition_response(partition.partition, &offset));
    }
    return response;
  }
  for (const auto& topic : *request.topics) {
    OffsetFetchTopicResponse topic_response;
    topic_response.name = topic.name;
    const bool allowed = access.topic(AclOperation::kDescribe, topic.name);
    for (int32_t partition : topic.partition_indexes) {
      if (!allowed) {
        OffsetFetchPartitionResponse refused = partition_response(partition, nullptr);
        refused.error_code = static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed);
        topic_response.partitions.push_back(std::move(refused));
        continue;
      }
      auto found = committed.find(TopicPartition{topic.name, partition});
      topic_response.partitions.push_back(
          partition_response(partition, found != committed.end() ? &found->second : nullptr));
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

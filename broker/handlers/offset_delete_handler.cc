#include "broker/handlers/offset_delete_handler.h"

#include <set>
#include <string>
#include <vector>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

OffsetDeleteResponse handle_offset_delete(BrokerContext& context, const Access& access,
                                          const OffsetDeleteRequest& request, int16_t version) {
  (void)version;  // Only v0 is served.
  OffsetDeleteResponse response;
  if (!access.group(AclOperation::kDelete, request.group_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    return response;
  }
  std::set<std::string> refused_topics;
  std::vector<TopicPartition> partitions;
  for (const auto& topic : request.topics) {
    if (!access.topic(AclOperation::kRead, topic.name)) {
      refused_topics.insert(topic.name);
      continue;
    }
    for (const auto& partition : topic.partitions) {
      partitions.push_back(TopicPartition{topic.name, partition.partition_index});
    }
  }
  auto [error, errors] = context.groups.delete_offsets(request.group_id, partitions);
  response.error_code = static_cast<int16_t>(error);
  if (error != ErrorCode::kNone) return response;
  size_t next = 0;
  for (const auto& topic : request.topics) {
    OffsetDeleteResponse::OffsetDeleteResponseTopic topic_response;
    topic_response.name = topic.name;
    for (const auto& partition : topic.partitions) {
      OffsetDeleteResponse::OffsetDeleteResponseTopic::OffsetDeleteResponsePartition result;
      result.partition_index = partition.partition_index;
      result.error_code = refused_topics.contains(topic.name)
                              ? static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed)
                              : static_cast<int16_t>(errors[next++]);
      topic_response.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

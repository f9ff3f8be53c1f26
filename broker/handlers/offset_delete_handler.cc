#include "broker/handlers/offset_delete_handler.h"

#include <vector>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

OffsetDeleteResponse handle_offset_delete(BrokerContext& context,
                                          const OffsetDeleteRequest& request, int16_t version) {
  (void)version;  // Only v0 is served.
  std::vector<TopicPartition> partitions;
  for (const auto& topic : request.topics) {
    for (const auto& partition : topic.partitions) {
      partitions.push_back(TopicPartition{topic.name, partition.partition_index});
    }
  }
  auto [error, errors] = context.groups.delete_offsets(request.group_id, partitions);
  OffsetDeleteResponse response;
  response.error_code = static_cast<int16_t>(error);
  if (error != ErrorCode::kNone) return response;
  size_t next = 0;
  for (const auto& topic : request.topics) {
    OffsetDeleteResponse::OffsetDeleteResponseTopic topic_response;
    topic_response.name = topic.name;
    for (const auto& partition : topic.partitions) {
      OffsetDeleteResponse::OffsetDeleteResponseTopic::OffsetDeleteResponsePartition result;
      result.partition_index = partition.partition_index;
      result.error_code = static_cast<int16_t>(errors[next++]);
      topic_response.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

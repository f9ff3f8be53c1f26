#include "broker/handlers/offset_commit_handler.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

OffsetCommitResponse handle_offset_commit(BrokerContext& context, const Access& access,
                                          const OffsetCommitRequest& request, int16_t version) {
  OffsetCommitParams params;
  params.group_id = request.group_id;
  // v0 commits are always from outside group management.
  params.generation_id = version >= 1 ? request.generation_id_or_member_epoch : -1;
  params.member_id = version >= 1 ? request.member_id : std::string();
  params.group_instance_id = request.group_instance_id;
  const int64_t now = context.clock.now_ms();
  // Kafka commits what it may and names the rest: the group needs READ (else nothing is
  // committed), each topic READ, and then each partition must exist
  // (UNKNOWN_TOPIC_OR_PARTITION, as KafkaApis.handleOffsetCommitRequest answers).
  const bool group_allowed = access.group(AclOperation::kRead, request.group_id);
  std::set<std::string> refused_topics;
  std::set<std::pair<std::string, int32_t>> unknown_partitions;
  for (const auto& topic : request.topics) {
    if (!group_allowed) continue;
    if (!access.topic(AclOperation::kRead, topic.name)) {
      refused_topics.insert(topic.name);
      continue;
    }
    for (const auto& partition : topic.partitions) {
      if (context.logs.log(topic.name, partition.partition_index) == nullptr) {
        unknown_partitions.emplace(topic.name, partition.partition_index);
        continue;
      }
      CommittedOffset offset;
      offset.offset = partition.committed_offset;
      offset.leader_epoch = partition.committed_leader_epoch;
      offset.metadata = partition.committed_metadata.value_or("");
      // v1 lets the client set the commit time; -1 (and every other version) means now.
      offset.commit_timestamp_ms =
          partition.commit_timestamp >= 0 ? partition.commit_timestamp : now;
      params.offsets.emplace_back(TopicPartition{topic.name, partition.partition_index}, offset);
    }
  }
  std::vector<ErrorCode> errors;
  if (!params.offsets.empty()) errors = context.groups.commit_offsets(params);
  OffsetCommitResponse response;
  size_t next = 0;
  for (const auto& topic : request.topics) {
    OffsetCommitResponse::OffsetCommitResponseTopic topic_response;
    topic_response.name = topic.name;
    for (const auto& partition : topic.partitions) {
      OffsetCommitResponse::OffsetCommitResponseTopic::OffsetCommitResponsePartition result;
      result.partition_index = partition.partition_index;
      if (!group_allowed) {
        result.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
      } else if (refused_topics.contains(topic.name)) {
        result.error_code = static_cast<int16_t>(ErrorCode::kTopicAuthorizationFailed);
      } else if (unknown_partitions.contains({topic.name, partition.partition_index})) {
        result.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
      } else {
        result.error_code = static_cast<int16_t>(errors[next++]);
      }
      topic_response.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/offset_for_leader_epoch_handler.h"

#include <memory>
#include <string>
#include <utility>

#include "broker/handlers/leader_epoch.h"
#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using TopicResult = OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult;
using EpochEndOffset = TopicResult::EpochEndOffset;
using PartitionRequest =
    OffsetForLeaderEpochRequest::OffsetForLeaderTopic::OffsetForLeaderPartition;

EpochEndOffset end_of_epoch(BrokerContext& context, const std::string& topic,
                            const PartitionRequest& partition, int16_t version) {
  EpochEndOffset answer;
  answer.partition = partition.partition;
  answer.leader_epoch = -1;
  answer.end_offset = -1;
  std::shared_ptr<Log> log = context.logs.log(topic, partition.partition);
  if (log == nullptr) {
    answer.error_code = code(ErrorCode::kUnknownTopicOrPartition);
    return answer;
  }
  if (version >= 2) {
    if (ErrorCode fenced = check_current_leader_epoch(partition.current_leader_epoch);
        fenced != ErrorCode::kNone) {
      answer.error_code = code(fenced);
      return answer;
    }
  }
  answer.error_code = code(ErrorCode::kNone);
  // The one epoch spans the whole log, so it ends where the log does. Kafka answers an epoch
  // above its latest, or -1, with the undefined epoch and offset (-1, -1).
  if (partition.leader_epoch == kPartitionLeaderEpoch) {
    answer.leader_epoch = kPartitionLeaderEpoch;
    answer.end_offset = log->log_end_offset();
  }
  return answer;
}

}  // namespace

OffsetForLeaderEpochResponse handle_offset_for_leader_epoch(
    BrokerContext& context, const Access& access, const OffsetForLeaderEpochRequest& request,
    int16_t version) {
  OffsetForLeaderEpochResponse response;
  const bool replica = access.cluster(AclOperation::kClusterAction);
  for (const auto& topic : request.topics) {
    TopicResult result;
    result.topic = topic.topic;
    const bool allowed = replica || access.topic(AclOperation::kDescribe, topic.topic);
    for (const PartitionRequest& partition : topic.partitions) {
      if (!allowed) {
        EpochEndOffset refused;
        refused.partition = partition.partition;
        refused.error_code = code(ErrorCode::kTopicAuthorizationFailed);
        result.partitions.push_back(refused);
        continue;
      }
      result.partitions.push_back(end_of_epoch(context, topic.topic, partition, version));
    }
    response.topics.push_back(std::move(result));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/list_offsets_handler.h"

#include "broker/handlers/leader_epoch.h"
#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using ListOffsetsTopicResponse = ListOffsetsResponse::ListOffsetsTopicResponse;
using ListOffsetsPartitionResponse =
    ListOffsetsResponse::ListOffsetsTopicResponse::ListOffsetsPartitionResponse;

constexpr int64_t kLatestTimestamp = -1;
constexpr int64_t kEarliestTimestamp = -2;

ListOffsetsPartitionResponse list_offset(BrokerContext& context, const std::string& topic,
                                         int32_t partition, int64_t timestamp, bool read_committed,
                                         int32_t current_leader_epoch, int16_t version) {
  ListOffsetsPartitionResponse response;
  response.partition_index = partition;
  response.timestamp = -1;
  response.offset = -1;
  std::shared_ptr<Log> partition_log = context.logs.log(topic, partition);
  if (partition_log == nullptr) {
    response.error_code = code(ErrorCode::kUnknownTopicOrPartition);
    return response;
  }
  // v4+ fencing (KIP-320).
  if (ErrorCode fenced = check_current_leader_epoch(current_leader_epoch);
      fenced != ErrorCode::kNone) {
    response.error_code = code(fenced);
    return response;
  }
  response.error_code = code(ErrorCode::kNone);
  if (timestamp == kLatestTimestamp) {
    // A read_committed consumer's end is the last stable offset (KIP-98).
    response.offset =
        read_committed ? partition_log->last_stable_offset() : partition_log->log_end_offset();
  } else if (timestamp == kEarliestTimestamp) {
    response.offset = partition_log->log_start_offset();
  } else if (timestamp < 0) {
    response.error_code = code(ErrorCode::kInvalidRequest);
    return response;
  } else {
    auto found = partition_log->offset_for_timestamp(timestamp);
    if (!found.ok()) {
      response.error_code = code(ErrorCode::kKafkaStorageError);
      return response;
    }
    if (found->has_value()) {
      response.offset = (*found)->first;
      response.timestamp = (*found)->second;
    }
  }
  if (version == 0 && response.offset >= 0) response.old_style_offsets = {response.offset};
  if (response.offset >= 0) response.leader_epoch = kPartitionLeaderEpoch;
  return response;
}

}  // namespace

ListOffsetsResponse handle_list_offsets(BrokerContext& context, const Access& access,
                                        const ListOffsetsRequest& request, int16_t version) {
  ListOffsetsResponse response;
  const bool read_committed = version >= 2 && request.isolation_level == 1;
  for (const auto& topic : request.topics) {
    ListOffsetsTopicResponse topic_response;
    topic_response.name = topic.name;
    const bool allowed = access.topic(AclOperation::kDescribe, topic.name);
    for (const auto& partition : topic.partitions) {
      if (!allowed) {
        ListOffsetsPartitionResponse refused;
        refused.partition_index = partition.partition_index;
        refused.error_code = code(ErrorCode::kTopicAuthorizationFailed);
        refused.timestamp = -1;
        refused.offset = -1;
        topic_response.partitions.push_back(std::move(refused));
        continue;
      }
      topic_response.partitions.push_back(
          list_offset(context, topic.name, partition.partition_index, partition.timestamp,
                      read_committed, version >= 4 ? partition.current_leader_epoch : -1, version));
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

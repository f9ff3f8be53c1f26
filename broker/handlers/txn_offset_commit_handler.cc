#include "broker/handlers/txn_offset_commit_handler.h"

#include <set>
#include <string>
#include <vector>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"

namespace runnel::broker {

TxnOffsetCommitResponse handle_txn_offset_commit(BrokerContext& context, const Access& access,
                                                 const TxnOffsetCommitRequest& request,
                                                 int16_t version) {
  OffsetCommitParams params;
  params.group_id = request.group_id;
  // Before v3 (KIP-447) the producer did not say which member it commits for.
  params.generation_id = version >= 3 ? request.generation_id : -1;
  params.member_id = version >= 3 ? request.member_id : std::string();
  params.group_instance_id = version >= 3 ? request.group_instance_id : std::nullopt;
  const int64_t now = context.clock.now_ms();
  std::set<std::string> refused_topics;
  for (const auto& topic : request.topics) {
    // As Kafka: the readable topics' offsets are committed, the others refused.
    if (!access.topic(AclOperation::kRead, topic.name)) {
      refused_topics.insert(topic.name);
      continue;
    }
    for (const auto& partition : topic.partitions) {
      CommittedOffset offset;
      offset.offset = partition.committed_offset;
      offset.leader_epoch = partition.committed_leader_epoch;
      offset.metadata = partition.committed_metadata.value_or("");
      offset.commit_timestamp_ms = now;
      params.offsets.emplace_back(TopicPartition{topic.name, partition.partition_index}, offset);
    }
  }
  std::vector<ErrorCode> errors;
  ErrorCode producer_error = ErrorCode::kNone;
  if (!access.transactional_id(AclOperation::kWrite, request.transactional_id)) {
    producer_error = ErrorCode::kTransactionalIdAuthorizationFailed;
  } else if (!access.group(AclOperation::kRead, request.group_id)) {
    producer_error = ErrorCode::kGroupAuthorizationFailed;
  } else {
    producer_error = for_client(
        context.transactions.check_offset_commit(request.transactional_id, request.producer_id,
                                                 request.producer_epoch, request.group_id),
        false);
  }
  if (producer_error == ErrorCode::kNone && !params.offsets.empty()) {
    errors = context.groups.commit_transactional_offsets(params, request.producer_id,
                                                         request.producer_epoch);
  }
  TxnOffsetCommitResponse response;
  size_t next = 0;
  for (const auto& topic : request.topics) {
    TxnOffsetCommitResponse::TxnOffsetCommitResponseTopic topic_response;
    topic_response.name = topic.name;
    for (const auto& partition : topic.partitions) {
      // A refusal of the whole request (transactional id, group) names every partition.
      ErrorCode error = producer_error;
      if (error == ErrorCode::kNone) {
        error = refused_topics.contains(topic.name) ? ErrorCode::kTopicAuthorizationFailed
                                                    : errors[next++];
      }
      topic_response.partitions.push_back({.partition_index = partition.partition_index,
                                           .error_code = static_cast<int16_t>(error)});
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker

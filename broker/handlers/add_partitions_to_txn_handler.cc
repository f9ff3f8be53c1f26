#include "broker/handlers/add_partitions_to_txn_handler.h"

#include <vector>

#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"

namespace runnel::broker {
namespace {

// Why a partition cannot join a transaction, before the coordinator is asked.
ErrorCode partition_error(BrokerContext& context, const Access& access, const std::string& topic,
                          int32_t partition) {
  if (!access.topic(AclOperation::kWrite, topic)) return ErrorCode::kTopicAuthorizationFailed;
  // Clients cannot produce to the coordinators' topics (produce_handler.cc); a marker written
  // there on their behalf would be replayed as coordinator state.
  if (topic == OffsetStore::kTopic || topic == TransactionCoordinator::kTopic) {
    return ErrorCode::kInvalidTopicException;
  }
  if (context.logs.log(topic, partition) == nullptr) return ErrorCode::kUnknownTopicOrPartition;
  return ErrorCode::kNone;
}

}  // namespace

AddPartitionsToTxnResponse handle_add_partitions_to_txn(BrokerContext& context,
                                                        const Access& access,
                                                        const AddPartitionsToTxnRequest& request,
                                                        int16_t version) {
  std::vector<TopicPartition> partitions;
  bool any_refused = false;
  for (const auto& topic : request.v3_and_below_topics) {
    for (int32_t partition : topic.partitions) {
      partitions.push_back(TopicPartition{topic.name, partition});
      if (partition_error(context, access, topic.name, partition) != ErrorCode::kNone)
        any_refused = true;
    }
  }
  // Without WRITE on the transactional id every partition gets the error (Kafka answers so).
  ErrorCode error = ErrorCode::kNone;
  if (!access.transactional_id(AclOperation::kWrite, request.v3_and_below_transactional_id)) {
    error = ErrorCode::kTransactionalIdAuthorizationFailed;
    any_refused = false;
  } else if (!any_refused) {
    error = for_client(context.transactions.add_partitions(
                           request.v3_and_below_transactional_id, request.v3_and_below_producer_id,
                           request.v3_and_below_producer_epoch, partitions),
                       version >= 2);
  }
  AddPartitionsToTxnResponse response;
  for (const auto& topic : request.v3_and_below_topics) {
    AddPartitionsToTxnResponse::AddPartitionsToTxnTopicResult topic_result;
    topic_result.name = topic.name;
    for (int32_t partition : topic.partitions) {
      ErrorCode result = error;
      if (any_refused) {
        result = partition_error(context, access, topic.name, partition);
        if (result == ErrorCode::kNone) result = ErrorCode::kOperationNotAttempted;
      }
      topic_result.results_by_partition.push_back(
          {.partition_index = partition, .partition_error_code = static_cast<int16_t>(result)});
    }
    response.results_by_topic_v3_and_below.push_back(std::move(topic_result));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/add_partitions_to_txn_handler.h"

#include <vector>

#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"

namespace runnel::broker {

AddPartitionsToTxnResponse handle_add_partitions_to_txn(BrokerContext& context,
                                                        const AddPartitionsToTxnRequest& request,
                                                        int16_t version) {
  std::vector<TopicPartition> partitions;
  bool any_unknown = false;
  for (const auto& topic : request.v3_and_below_topics) {
    for (int32_t partition : topic.partitions) {
      partitions.push_back(TopicPartition{topic.name, partition});
      if (context.logs.log(topic.name, partition) == nullptr) any_unknown = true;
    }
  }
  ErrorCode error = ErrorCode::kNone;
  if (!any_unknown) {
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
      ErrorCode partition_error = error;
      if (any_unknown) {
        partition_error = context.logs.log(topic.name, partition) == nullptr
                              ? ErrorCode::kUnknownTopicOrPartition
                              : ErrorCode::kOperationNotAttempted;
      }
      topic_result.results_by_partition.push_back(
          {.partition_index = partition,
           .partition_error_code = static_cast<int16_t>(partition_error)});
    }
    response.results_by_topic_v3_and_below.push_back(std::move(topic_result));
  }
  return response;
}

}  // namespace runnel::broker

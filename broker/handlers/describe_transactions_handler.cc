#include "broker/handlers/describe_transactions_handler.h"

#include <string>

#include "broker/coordinator/transaction_coordinator.h"

namespace runnel::broker {

DescribeTransactionsResponse handle_describe_transactions(
    BrokerContext& context, const Access& access, const DescribeTransactionsRequest& request,
    int16_t version) {
  (void)version;  // v0 only.
  DescribeTransactionsResponse response;
  for (const std::string& id : request.transactional_ids) {
    DescribeTransactionsResponse::TransactionState state;
    state.transactional_id = id;
    if (!access.transactional_id(AclOperation::kDescribe, id)) {
      state.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdAuthorizationFailed);
      response.transaction_states.push_back(std::move(state));
      continue;
    }
    std::optional<TransactionDescription> description = context.transactions.describe(id);
    if (!description.has_value()) {
      state.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdNotFound);
      response.transaction_states.push_back(std::move(state));
      continue;
    }
    state.transaction_state = std::string(txn_state_name(description->state));
    state.transaction_timeout_ms = description->timeout_ms;
    state.transaction_start_time_ms = description->start_time_ms;
    state.producer_id = description->producer_id;
    state.producer_epoch = description->producer_epoch;
    // The partitions are ordered by topic, so each topic's are adjacent.
    for (const TopicPartition& tp : description->partitions) {
      // Kafka leaves out the partitions of topics the caller may not describe.
      if (!access.topic(AclOperation::kDescribe, tp.topic)) continue;
      if (state.topics.empty() || state.topics.back().topic != tp.topic) {
        state.topics.push_back({.topic = tp.topic, .partitions = {}});
      }
      state.topics.back().partitions.push_back(tp.partition);
    }
    response.transaction_states.push_back(std::move(state));
  }
  return response;
}

}  // namespace runnel::broker

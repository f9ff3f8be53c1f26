#include "broker/handlers/list_transactions_handler.h"

#include <set>
#include <string>

#include "broker/coordinator/transaction_coordinator.h"

namespace runnel::broker {

ListTransactionsResponse handle_list_transactions(BrokerContext& context, const Access& access,
                                                  const ListTransactionsRequest& request,
                                                  int16_t version) {
  ListTransactionsResponse response;
  // v1 (KIP-994): only transactions running for longer than the duration. As in Kafka, one
  // with no open transaction counts as started at -1, so it passes any duration filter.
  const int64_t duration_ms = version >= 1 ? request.duration_filter : -1;
  const int64_t now_ms = context.clock.now_ms();
  std::set<TxnState> states;
  for (const std::string& name : request.state_filters) {
    if (std::optional<TxnState> state = parse_txn_state(name)) {
      states.insert(*state);
    } else {
      response.unknown_state_filters.push_back(name);
    }
  }
  // Filtering only by states that do not exist matches nothing (an empty set would match all).
  if (!request.state_filters.empty() && states.empty()) return response;
  const std::set<int64_t> producer_ids(request.producer_id_filters.begin(),
                                       request.producer_id_filters.end());
  for (const TransactionListing& listing : context.transactions.list(states, producer_ids)) {
    if (!access.transactional_id(AclOperation::kDescribe, listing.transactional_id)) continue;
    if (duration_ms >= 0 && now_ms - listing.start_time_ms <= duration_ms) continue;
    response.transaction_states.push_back(
        {.transactional_id = listing.transactional_id,
         .producer_id = listing.producer_id,
         .transaction_state = std::string(txn_state_name(listing.state))});
  }
  return response;
}

}  // namespace runnel::broker

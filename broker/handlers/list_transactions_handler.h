#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/list_transactions_request.h"
#include "broker/protocol/generated/list_transactions_response.h"

namespace runnel::broker {

// ListTransactions (v0-1, KIP-664): every transactional id matching the state and producer id
// filters (an empty filter matches all); state names the coordinator does not know are echoed
// in unknown_state_filters. v1 (KIP-994) keeps those open for longer than duration_filter.
ListTransactionsResponse handle_list_transactions(BrokerContext& context, const Access& access,
                                                  const ListTransactionsRequest& request,
                                                  int16_t version);

// ListTransactions as runneld serves it (why these versions: handlers.h).
using ListTransactionsHandler =
    ImmediateHandler<ListTransactionsRequest, 0, 1, handle_list_transactions>;

}  // namespace runnel::broker

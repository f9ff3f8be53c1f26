#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_transactions_request.h"
#include "broker/protocol/generated/describe_transactions_response.h"

namespace runnel::broker {

// DescribeTransactions (v0, KIP-664): each transactional id's state, producer, timeout and the
// partitions of its open transaction; TRANSACTIONAL_ID_NOT_FOUND for an unknown id.
DescribeTransactionsResponse handle_describe_transactions(
    BrokerContext& context, const Access& access, const DescribeTransactionsRequest& request,
    int16_t version);

// DescribeTransactions as runneld serves it (why these versions: handlers.h).
using DescribeTransactionsHandler =
    ImmediateHandler<DescribeTransactionsRequest, 0, 0, handle_describe_transactions>;

}  // namespace runnel::broker

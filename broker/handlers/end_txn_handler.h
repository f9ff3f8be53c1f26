#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/end_txn_request.h"
#include "broker/protocol/generated/end_txn_response.h"

namespace runnel::broker {

// EndTxn (v0-3): commits or aborts the producer's transaction; answered once every marker is
// written (single node: synchronously). v0-1 get INVALID_PRODUCER_EPOCH where v2+ get
// PRODUCER_FENCED (KIP-588).
EndTxnResponse handle_end_txn(BrokerContext& context, const Access& access,
                              const EndTxnRequest& request, int16_t version);

// EndTxn as runneld serves it (why these versions: handlers.h).
using EndTxnHandler = ImmediateHandler<EndTxnRequest, 0, 3, handle_end_txn>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/add_offsets_to_txn_request.h"
#include "broker/protocol/generated/add_offsets_to_txn_response.h"

namespace runnel::broker {

// AddOffsetsToTxn (v0-3): the group's __consumer_offsets partition joins the producer's
// transaction, so that TxnOffsetCommit may follow. v0-1 get INVALID_PRODUCER_EPOCH where v2+
// get PRODUCER_FENCED (KIP-588).
AddOffsetsToTxnResponse handle_add_offsets_to_txn(BrokerContext& context, const Access& access,
                                                  const AddOffsetsToTxnRequest& request,
                                                  int16_t version);

// AddOffsetsToTxn as runneld serves it (why these versions: handlers.h).
using AddOffsetsToTxnHandler =
    ImmediateHandler<AddOffsetsToTxnRequest, 0, 3, handle_add_offsets_to_txn>;

}  // namespace runnel::broker

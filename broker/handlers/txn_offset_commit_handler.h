#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/txn_offset_commit_request.h"
#include "broker/protocol/generated/txn_offset_commit_response.h"

namespace runnel::broker {

// TxnOffsetCommit (v0-3): offsets committed within the producer's transaction, visible to
// OffsetFetch once it commits. The producer is checked by the transaction coordinator (the
// group's offsets must have been added with AddOffsetsToTxn: INVALID_TXN_STATE otherwise; a
// stale epoch gets INVALID_PRODUCER_EPOCH, the only fencing error this API has), then v3's
// generation, member id and instance id by the group coordinator (KIP-447).
TxnOffsetCommitResponse handle_txn_offset_commit(BrokerContext& context, const Access& access,
                                                 const TxnOffsetCommitRequest& request,
                                                 int16_t version);

// TxnOffsetCommit as runneld serves it (why these versions: handlers.h).
using TxnOffsetCommitHandler =
    ImmediateHandler<TxnOffsetCommitRequest, 0, 3, handle_txn_offset_commit>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/add_partitions_to_txn_request.h"
#include "broker/protocol/generated/add_partitions_to_txn_response.h"

namespace runnel::broker {

// AddPartitionsToTxn (v0-3; v4+ is the brokers' batched form, KIP-890, not served): the
// partitions join the producer's transaction. A partition that does not exist gets
// UNKNOWN_TOPIC_OR_PARTITION, one of the coordinators' internal topics INVALID_TOPIC_EXCEPTION
// (clients cannot write there), and the others OPERATION_NOT_ATTEMPTED, as in Kafka; otherwise the
// transaction coordinator's answer applies to every partition. v0-1 get INVALID_PRODUCER_EPOCH
// where v2+ get PRODUCER_FENCED (KIP-588).
AddPartitionsToTxnResponse handle_add_partitions_to_txn(BrokerContext& context,
                                                        const Access& access,
                                                        const AddPartitionsToTxnRequest& request,
                                                        int16_t version);

// AddPartitionsToTxn as runneld serves it (why these versions: handlers.h).
using AddPartitionsToTxnHandler =
    ImmediateHandler<AddPartitionsToTxnRequest, 0, 3, handle_add_partitions_to_txn>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/offset_for_leader_epoch_request.h"
#include "broker/protocol/generated/offset_for_leader_epoch_response.h"

namespace runnel::broker {

// OffsetForLeaderEpoch (KIP-101, KIP-320): the end offset of the largest leader epoch at or
// below the one asked, which consumers use to detect log truncation after a leader change.
// Every partition has one epoch, 0, covering the whole log (leader_epoch.h), so epoch 0 ends
// at the log end offset; a larger epoch, or -1, is unknown: epoch and end offset -1, as
// Kafka's leader answers. v2+ fence current_leader_epoch like ListOffsets. An unknown
// partition gets UNKNOWN_TOPIC_OR_PARTITION; as in Kafka, CLUSTER_ACTION (a replica) or
// DESCRIBE on the topic is needed, else TOPIC_AUTHORIZATION_FAILED.
OffsetForLeaderEpochResponse handle_offset_for_leader_epoch(
    BrokerContext& context, const Access& access, const OffsetForLeaderEpochRequest& request,
    int16_t version);

// OffsetForLeaderEpoch as runneld serves it (why these versions: handlers.h).
using OffsetForLeaderEpochHandler =
    ImmediateHandler<OffsetForLeaderEpochRequest, 0, 4, handle_offset_for_leader_epoch>;

}  // namespace runnel::broker

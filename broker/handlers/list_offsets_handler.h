#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/list_offsets_request.h"
#include "broker/protocol/generated/list_offsets_response.h"

namespace runnel::broker {

// ListOffsets: timestamp -2 = the log start offset (earliest), -1 = the log end offset
// (latest; equal to the last stable offset while there are no transactions), any other
// timestamp = the first offset of the first batch whose max timestamp is at or after it, with
// that batch's timestamp; offset -1 when there is none. v0 answers in its old list layout.
// v4+ answer leader epoch 0 and fence a current_leader_epoch other than 0 (or -1): above it
// UNKNOWN_LEADER_EPOCH, below FENCED_LEADER_EPOCH, as Kafka's leader does.
ListOffsetsResponse handle_list_offsets(BrokerContext& context, const Access& access,
                                        const ListOffsetsRequest& request, int16_t version);

// ListOffsets as runneld serves it (why these versions: handlers.h).
using ListOffsetsHandler = ImmediateHandler<ListOffsetsRequest, 0, 6, handle_list_offsets>;

}  // namespace runnel::broker

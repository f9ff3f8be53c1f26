#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/init_producer_id_request.h"
#include "broker/protocol/generated/init_producer_id_response.h"

namespace runnel::broker {

// InitProducerId (v0-4). Without a transactional id (idempotent producers): a new producer id,
// epoch 0, never given out before (ProducerIdManager). With one: the transaction coordinator's
// producer for that id, its epoch bumped (an open transaction of the previous epoch is aborted
// first); v3+ carry the producer's current id and epoch (KIP-360) and a stale one is fenced:
// PRODUCER_FENCED from v4 (KIP-588), INVALID_PRODUCER_EPOCH before.
InitProducerIdResponse handle_init_producer_id(BrokerContext& context, const Access& access,
                                               const InitProducerIdRequest& request,
                                               int16_t version);

// InitProducerId as runneld serves it (why these versions: handlers.h).
using InitProducerIdHandler =
    ImmediateHandler<InitProducerIdRequest, 0, 4, handle_init_producer_id>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/broker_context.h"
#include "broker/protocol/generated/init_producer_id_request.h"
#include "broker/protocol/generated/init_producer_id_response.h"

namespace runnel::broker {

// InitProducerId (v0-1) for idempotent producers: a new producer id, epoch 0, never given out
// before (ProducerIdManager). Transactions are not served yet: a request with a
// transactional id gets INVALID_REQUEST.
InitProducerIdResponse handle_init_producer_id(BrokerContext& context,
                                               const InitProducerIdRequest& request,
                                               int16_t version);

}  // namespace runnel::broker

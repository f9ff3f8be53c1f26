#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/offset_delete_request.h"
#include "broker/protocol/generated/offset_delete_response.h"

namespace runnel::broker {

// OffsetDelete (v0): deletes committed offsets of topics no live member subscribes to.
OffsetDeleteResponse handle_offset_delete(BrokerContext& context, const Access& access,
                                          const OffsetDeleteRequest& request, int16_t version);

// OffsetDelete as runneld serves it (why these versions: handlers.h).
using OffsetDeleteHandler = ImmediateHandler<OffsetDeleteRequest, 0, 0, handle_offset_delete>;

}  // namespace runnel::broker

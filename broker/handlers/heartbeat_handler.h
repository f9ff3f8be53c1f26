#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/heartbeat_request.h"
#include "broker/protocol/generated/heartbeat_response.h"

namespace runnel::broker {

// Heartbeat (v0-4): keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
HeartbeatResponse handle_heartbeat(BrokerContext& context, const Access& access,
                                   const HeartbeatRequest& request, int16_t version);

// Heartbeat as runneld serves it (why these versions: handlers.h).
using HeartbeatHandler = ImmediateHandler<HeartbeatRequest, 0, 4, handle_heartbeat>;

}  // namespace runnel::broker

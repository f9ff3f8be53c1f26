#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/find_coordinator_request.h"
#include "broker/protocol/generated/find_coordinator_response.h"

namespace runnel::broker {

// FindCoordinator (v0-4; v4 batches the keys, KIP-699): runneld is a single node, so the
// coordinator of every group and every transactional id is this broker. An unknown key type gets
// INVALID_REQUEST. The coordinator is this broker, at the advertised address of `listener_name`
// (the listener the request came in on).
FindCoordinatorResponse handle_find_coordinator(BrokerContext& context, const Access& access,
                                                const FindCoordinatorRequest& request,
                                                int16_t version, const std::string& listener_name);

// FindCoordinator as runneld serves it (why these versions: handlers.h), with the address of
// the listener the request came in on.
struct FindCoordinatorHandler : HandlerTraits<FindCoordinatorRequest, 0, 4> {
  static void handle(const HandlerCall& call, FindCoordinatorRequest request,
                     const Responder& respond);
};

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/sync_group_request.h"
#include "broker/protocol/generated/sync_group_response.h"

namespace runnel::broker {

// SyncGroup (v0-5). The leader's request carries every member's assignment; a follower's
// response waits for it. `done` is called exactly once, possibly later from another thread.
void handle_sync_group(BrokerContext& context, const Access& access, SyncGroupRequest request,
                       int16_t version, std::function<void(SyncGroupResponse)> done);

// SyncGroup as runneld serves it (why these versions: handlers.h); a follower's answer waits
// for the leader's assignment.
struct SyncGroupHandler : HandlerTraits<SyncGroupRequest, 0, 5> {
  static void handle(const HandlerCall& call, SyncGroupRequest request, const Responder& respond);
};

}  // namespace runnel::broker

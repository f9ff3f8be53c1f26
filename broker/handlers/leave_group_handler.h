#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/leave_group_request.h"
#include "broker/protocol/generated/leave_group_response.h"

namespace runnel::broker {

// LeaveGroup (v0-5): v0-2 name one member; v3+ a batch by member id or group.instance.id;
// v5 adds a reason per member, which Kafka only logs and runneld ignores.
LeaveGroupResponse handle_leave_group(BrokerContext& context, const Access& access,
                                      const LeaveGroupRequest& request, int16_t version);

// LeaveGroup as runneld serves it (why these versions: handlers.h).
using LeaveGroupHandler = ImmediateHandler<LeaveGroupRequest, 0, 5, handle_leave_group>;

}  // namespace runnel::broker

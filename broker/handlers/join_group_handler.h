#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/join_group_request.h"
#include "broker/protocol/generated/join_group_response.h"

namespace runnel::broker {

// JoinGroup (v0-9; v7+ answer the protocol type, v8 carries a reason, v9 never asks the leader
// to skip its assignment: runneld always has it assign). The response is sent when the group's join
// phase ends (every member has rejoined, or the rebalance timeout passed), possibly long after this
// returns: `done` is called exactly once, from whichever thread ends the wait, and no thread blocks
// meanwhile. v4+: a first join without group.instance.id gets MEMBER_ID_REQUIRED and an id to join
// with. `client_id` and `client_host` are what DescribeGroups reports for the member.
void handle_join_group(BrokerContext& context, const Access& access, JoinGroupRequest request,
                       int16_t version, std::string client_id, std::string client_host,
                       std::function<void(JoinGroupResponse)> done);

// JoinGroup as runneld serves it (why these versions: handlers.h); answers when the
// rebalance's join phase ends, from whichever thread ends it.
struct JoinGroupHandler : HandlerTraits<JoinGroupRequest, 0, 9> {
  static void handle(const HandlerCall& call, JoinGroupRequest request, const Responder& respond);
};

}  // namespace runnel::broker

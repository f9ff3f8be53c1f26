#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/list_groups_request.h"
#include "broker/protocol/generated/list_groups_response.h"

namespace runnel::broker {

// ListGroups (v0-2): every group this coordinator knows, including groups that only have
// committed offsets (state Empty).
ListGroupsResponse handle_list_groups(BrokerContext& context, const Access& access,
                                      const ListGroupsRequest& request, int16_t version);

// ListGroups as runneld serves it (why these versions: handlers.h).
using ListGroupsHandler = ImmediateHandler<ListGroupsRequest, 0, 2, handle_list_groups>;

}  // namespace runnel::broker

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

// ListGroups (v0-5): every group this coordinator knows, including groups that only have
// committed offsets (state Empty); v4+ only those in the requested states, v5+ only those of
// the requested types (every group here is "classic").
ListGroupsResponse handle_list_groups(BrokerContext& context, const Access& access,
                                      const ListGroupsRequest& request, int16_t version);

// ListGroups as runneld serves it (why these versions: handlers.h).
using ListGroupsHandler = ImmediateHandler<ListGroupsRequest, 0, 5, handle_list_groups>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/delete_groups_request.h"
#include "broker/protocol/generated/delete_groups_response.h"

namespace runnel::broker {

// DeleteGroups (v0-2): deletes Empty groups and their committed offsets.
DeleteGroupsResponse handle_delete_groups(BrokerContext& context, const Access& access,
                                          const DeleteGroupsRequest& request, int16_t version);

// DeleteGroups as runneld serves it (why these versions: handlers.h).
using DeleteGroupsHandler = ImmediateHandler<DeleteGroupsRequest, 0, 2, handle_delete_groups>;

}  // namespace runnel::broker

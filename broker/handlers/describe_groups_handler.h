#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_groups_request.h"
#include "broker/protocol/generated/describe_groups_response.h"

namespace runnel::broker {

// DescribeGroups (v0-5): state, protocol and members; member metadata and assignments only
// while the group is Stable (as Kafka). An unknown group is reported Dead, without error.
DescribeGroupsResponse handle_describe_groups(BrokerContext& context, const Access& access,
                                              const DescribeGroupsRequest& request,
                                              int16_t version);

// DescribeGroups as runneld serves it (why these versions: handlers.h).
using DescribeGroupsHandler = ImmediateHandler<DescribeGroupsRequest, 0, 5, handle_describe_groups>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/create_partitions_request.h"
#include "broker/protocol/generated/create_partitions_response.h"

namespace runnel::broker {

// CreatePartitions: grows a topic to `count` partitions. Shrinking or keeping the count gets
// INVALID_PARTITIONS, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, an assignment naming
// another broker INVALID_REPLICA_ASSIGNMENT. validate_only checks without changing anything.
CreatePartitionsResponse handle_create_partitions(BrokerContext& context, const Access& access,
                                                  const CreatePartitionsRequest& request,
                                                  int16_t version);

// CreatePartitions as runneld serves it (why these versions: handlers.h).
using CreatePartitionsHandler =
    ImmediateHandler<CreatePartitionsRequest, 0, 3, handle_create_partitions>;

}  // namespace runnel::broker

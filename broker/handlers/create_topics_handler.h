#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/create_topics_request.h"
#include "broker/protocol/generated/create_topics_response.h"

namespace runnel::broker {

// CreateTopics: each topic is checked on its own and gets its own error: an invalid name
// (INVALID_TOPIC_EXCEPTION), a partition count below 1 (INVALID_PARTITIONS), a replication
// factor other than 1 or -1 (INVALID_REPLICATION_FACTOR: runneld is one node), an assignment
// naming another broker (INVALID_REPLICA_ASSIGNMENT), an unknown config or bad value
// (INVALID_CONFIG), an existing topic (TOPIC_ALREADY_EXISTS), a name given twice in one
// request (INVALID_REQUEST). -1 partitions or replication factor (v4+) means the broker's
// default. With validate_only, everything is checked and nothing is created. v5+ answer a
// created (or validated) topic's partition count, replication factor and configs.
CreateTopicsResponse handle_create_topics(BrokerContext& context, const Access& access,
                                          const CreateTopicsRequest& request, int16_t version);

// CreateTopics as runneld serves it (why these versions: handlers.h).
using CreateTopicsHandler = ImmediateHandler<CreateTopicsRequest, 0, 6, handle_create_topics>;

}  // namespace runnel::broker

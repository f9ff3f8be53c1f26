#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/delete_topics_request.h"
#include "broker/protocol/generated/delete_topics_response.h"

namespace runnel::broker {

// DeleteTopics: removes each named topic, its partitions and their files; an unknown name
// gets UNKNOWN_TOPIC_OR_PARTITION. Fetches reading a deleted topic see it disappear.
DeleteTopicsResponse handle_delete_topics(BrokerContext& context, const Access& access,
                                          const DeleteTopicsRequest& request, int16_t version);

// DeleteTopics as runneld serves it (why these versions: handlers.h).
using DeleteTopicsHandler = ImmediateHandler<DeleteTopicsRequest, 0, 5, handle_delete_topics>;

}  // namespace runnel::broker

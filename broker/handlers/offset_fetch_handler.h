#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/offset_fetch_request.h"
#include "broker/protocol/generated/offset_fetch_response.h"

namespace runnel::broker {

// OffsetFetch (v0-8): committed offsets and metadata; -1 (and no error) where nothing is
// committed. v2+: a null topic list asks for every offset the group has. v7+: require_stable
// answers UNSTABLE_OFFSET_COMMIT for an offset an open transaction holds. v8+: several
// groups at once (KIP-709), each with its own error.
OffsetFetchResponse handle_offset_fetch(BrokerContext& context, const Access& access,
                                        const OffsetFetchRequest& request, int16_t version);

// OffsetFetch as runneld serves it (why these versions: handlers.h).
using OffsetFetchHandler = ImmediateHandler<OffsetFetchRequest, 0, 8, handle_offset_fetch>;

}  // namespace runnel::broker

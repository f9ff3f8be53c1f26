#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/offset_commit_request.h"
#include "broker/protocol/generated/offset_commit_response.h"

namespace runnel::broker {

// OffsetCommit (v0-8): stores offsets and metadata once appended to __consumer_offsets.
// v0 and generation -1 with an empty member id are commits from outside group management,
// allowed while the group has no members; a member's commit is checked against the group's
// members and generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS).
// retention_time_ms (v2-4) is accepted and ignored: offsets live until deleted.
OffsetCommitResponse handle_offset_commit(BrokerContext& context, const Access& access,
                                          const OffsetCommitRequest& request, int16_t version);

// OffsetCommit as runneld serves it (why these versions: handlers.h).
using OffsetCommitHandler = ImmediateHandler<OffsetCommitRequest, 0, 8, handle_offset_commit>;

}  // namespace runnel::broker

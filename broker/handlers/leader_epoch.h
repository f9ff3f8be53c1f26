#pragma once

#include <cstdint>

#include "broker/protocol/error_code.h"

namespace runnel::broker {

// The leader epoch of every partition (KIP-320). runneld is the only broker and leads every
// partition from its creation on, so the epoch never changes: Metadata v7+, ListOffsets v4+
// and OffsetForLeaderEpoch all report 0.
inline constexpr int32_t kPartitionLeaderEpoch = 0;

// What Kafka's leader answers a request carrying the client's `current_leader_epoch`: -1 skips
// the check; an epoch above the leader's is one it does not know yet (UNKNOWN_LEADER_EPOCH,
// the client's metadata is newer), one below it is fenced (FENCED_LEADER_EPOCH).
inline ErrorCode check_current_leader_epoch(int32_t current_leader_epoch) {
  if (current_leader_epoch > kPartitionLeaderEpoch) return ErrorCode::kUnknownLeaderEpoch;
  if (current_leader_epoch >= 0 && current_leader_epoch < kPartitionLeaderEpoch) {
    return ErrorCode::kFencedLeaderEpoch;
  }
  return ErrorCode::kNone;
}

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/protocol/error_code.h"
#include "core/bytes.h"

namespace runnel::broker {

// The classic consumer-group protocol's states (Kafka's GroupState):
//
//   Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance
//     ▲                 ▲   ▲                                                   │ leader's
//     SyncGroup │                 │   └──────── join, leave, session expiry ─────────┐    ▼ └─ last
//     member gone (at join completion)                              └── Stable
//   Dead: deleted (DeleteGroups); a dead group is removed from the coordinator.
enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// The names Kafka uses in DescribeGroups and ListGroups.
std::string_view group_state_name(GroupState state);

// A JoinGroup's answer. `members` is filled for the leader only: every member's metadata for
// the chosen protocol, for the client-side assignor.
struct JoinGroupResult {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    Bytes metadata;
  };
  ErrorCode error = ErrorCode::kNone;
  int32_t generation_id = -1;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader_id;
  std::string member_id;
  std::vector<Member> members;
};

struct SyncGroupResult {
  ErrorCode error = ErrorCode::kNone;
  std::string protocol_type;
  std::string protocol_name;
  Bytes assignment;
};

using JoinCallback = std::function<void(JoinGroupResult)>;
using SyncCallback = std::function<void(SyncGroupResult)>;

// One member of a group. Protocol metadata and assignments are opaque bytes: the assignor runs
// in the client, the coordinator only carries what the leader computed.
struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // static membership (KIP-345)
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<std::pair<std::string, Bytes>>
      protocols;  // (name, metadata), client preference order
  Bytes assignment;
  // Set while the member waits for the rebalance to complete (its JoinGroup) or for the
  // leader's assignment (its SyncGroup); the response is sent later through them.
  JoinCallback awaiting_join;
  SyncCallback awaiting_sync;
  // The session expires at last_heartbeat_ms + session_timeout_ms unless the member is
  // awaiting a join or sync response.
  int64_t last_heartbeat_ms = 0;

  const Bytes* metadata_for(const std::string& protocol) const;
};

// A group's state. Plain data: GroupCoordinator owns every Group and guards it with its mutex.
struct Group {
  std::string group_id;
  GroupState state = GroupState::kEmpty;
  int32_t generation_id = 0;
  std::string protocol_type;
  std::string protocol_name;  // chosen at the last join completion
  std::string leader_id;
  std::map<std::string, GroupMember> members;         // by member id
  std::map<std::string, std::string> static_members;  // instance id -> member id
  // KIP-394: ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with the time
  // they expire (a session timeout later).
  std::map<std::string, int64_t> pending_members;
  // While PreparingRebalance: when the join phase ends even if some members have not rejoined,
  // and (for a group that was empty) the earliest time it may end, so that a starting group's
  // members can all join one generation (group.initial.rebalance.delay.ms).
  int64_t rebalance_deadline_ms = 0;
  int64_t initial_delay_until_ms = 0;

  bool all_members_joined() const;
  // A protocol every member supports, chosen by vote as Kafka does: each member votes for its
  // most preferred protocol among the candidates; most votes wins, ties to the first name.
  std::optional<std::string> select_protocol() const;
  // Whether a joining member with these protocols can be in the group.
  bool supports(const std::string& protocol_type,
                const std::vector<std::pair<std::string, Bytes>>& protocols) const;
};

}  // namespace runnel::broker

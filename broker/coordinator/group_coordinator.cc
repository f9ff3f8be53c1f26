#include "broker/coordinator/group_coordinator.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "broker/protocol/wire_reader.h"
#include "core/log.h"
#include "core/log_rate_limiter.h"

namespace runnel::broker {
namespace {

JoinGroupResult join_error(ErrorCode error, std::string member_id = {}) {
  JoinGroupResult result;
  result.error = error;
  result.member_id = std::move(member_id);
  return result;
}

SyncGroupResult sync_error(ErrorCode error) {
  SyncGroupResult result;
  result.error = error;
  return result;
}

// The topics a "consumer" protocol member subscribes to, read from its opaque metadata
// (ConsumerProtocolSubscription: int16 version, then the topic array in every version).
// nullopt when the bytes are not a subscription.
std::optional<std::set<std::string>> subscribed_topics(BytesView metadata) {
  WireReader reader(metadata);
  int16_t version = 0;
  int32_t count = 0;
  if (!reader.read_int16(version).ok() || !reader.read_int32(count).ok() || count < 0) {
    return std::nullopt;
  }
  std::set<std::string> topics;
  for (int32_t i = 0; i < count; ++i) {
    std::string topic;
    if (!reader.read_string(topic, false).ok()) return std::nullopt;
    topics.insert(std::move(topic));
  }
  return topics;
}

}  // namespace

GroupCoordinator::GroupCoordinator(OffsetStore& offsets, Clock& clock,
                                   GroupCoordinatorOptions options)
    : offsets_(offsets), clock_(clock), options_(options), random_(std::random_device{}()) {}

GroupCoordinator::~GroupCoordinator() { shut_down(); }

void GroupCoordinator::run(Completions& completions) {
  for (auto& completion : completions) completion();
  completions.clear();
}

std::string GroupCoordinator::new_member_id_locked(const std::string& prefix) {
  return fmt::format("{}-{:016x}{:016x}", prefix, random_(), random_());
}

ErrorCode GroupCoordinator::find_member_locked(Group& group, const std::string& member_id,
                                               const std::optional<std::string>& instance_id,
                                               GroupMember** member) {
  if (instance_id.has_value()) {
    auto known = group.static_members.find(*instance_id);
    if (known != group.static_members.end() && known->second != member_id) {
      return ErrorCode::kFencedInstanceId;
    }
  }
  auto found = group.members.find(member_id);
  if (found == group.members.end()) return ErrorCode::kUnknownMemberId;
  *member = &found->second;
  return ErrorCode::kNone;
}

JoinGroupResult GroupCoordinator::join_result_locked(const Group& group,
                                                     const GroupMember& member) const {
  JoinGroupResult result;
  result.generation_id = group.generation_id;
  result.protocol_type = group.protocol_type;
  result.protocol_name = group.protocol_name;
  result.leader_id = group.leader_id;
  result.member_id = member.member_id;
  if (member.member_id == group.leader_id) {
    for (const auto& [id, other] : group.members) {
      const Bytes* metadata = other.metadata_for(group.protocol_name);
      result.members.push_back(
          JoinGroupResult::Member{.member_id = id,
                                  .group_instance_id = other.group_instance_id,
                                  .metadata = metadata != nullptr ? *metadata : Bytes()});
    }
  }
  return result;
}

void GroupCoordinator::join_group(JoinGroupParams params, JoinCallback done) {
  Completions out;
  auto fail = [&out, &done](ErrorCode error, std::string member_id = {}) {
    out.push_back([done = std::move(done), result = join_error(error, std::move(member_id))] {
      done(result);
    });
  };
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      fail(ErrorCode::kCoordinatorNotAvailable);
    } else if (params.group_id.empty()) {
      fail(ErrorCode::kInvalidGroupId);
    } else if (params.session_timeout_ms < options_.min_session_timeout_ms ||
               params.session_timeout_ms > options_.max_session_timeout_ms) {
      fail(ErrorCode::kInvalidSessionTimeout, params.member_id);
    } else {
      if (params.rebalance_timeout_ms <= 0) params.rebalance_timeout_ms = params.session_timeout_ms;
      auto found = groups_.find(params.group_id);
      if (found == groups_.end() && !params.member_id.empty()) {
        fail(ErrorCode::kUnknownMemberId, params.member_id);
      } else {
        if (found == groups_.end()) {
          found = groups_.emplace(params.group_id, Group{}).first;
          found->second.group_id = params.group_id;
        }
        Group& group = found->second;
        if (params.member_id.empty()) {
          join_new_member_locked(group, params, done, out);
        } else {
          join_known_member_locked(group, params, done, out);
        }
      }
    }
  }
  run(out);
}

void GroupCoordinator::join_new_member_locked(Group& group, JoinGroupParams& params,
                                              JoinCallback& done, Completions& out) {
  auto fail = [&out, &done](ErrorCode error, std::string member_id = {}) {
    out.push_back([done = std::move(done), result = join_error(error, std::move(member_id))] {
      done(result);
    });
  };
  if (!group.supports(params.protocol_type, params.protocols)) {
    fail(ErrorCode::kInconsistentGroupProtocol);
    return;
  }
  const int64_t now = clock_.now_ms();
  if (params.group_instance_id.has_value()) {
    auto known = group.static_members.find(*params.group_instance_id);
    if (known != group.static_members.end() && group.members.contains(known->second)) {
      // A static member came back (a restart): it takes over its old membership under a new
      // member id, fencing the old instance, and keeps its assignment.
      const std::string old_id = known->second;
      auto node = group.members.extract(old_id);
      GroupMember& member = node.mapped();
      if (member.awaiting_join) {
        out.push_back([cb = std::move(member.awaiting_join)] {
          cb(join_error(ErrorCode::kFencedInstanceId));
        });
        member.awaiting_join = nullptr;
      }
      if (member.awaiting_sync) {
        out.push_back([cb = std::move(member.awaiting_sync)] {
          cb(sync_error(ErrorCode::kFencedInstanceId));
        });
        member.awaiting_sync = nullptr;
      }
      const std::string new_id = new_member_id_locked(*params.group_instance_id);
      const bool protocols_changed = member.protocols != params.protocols;
      member.member_id = new_id;
      member.client_id = params.client_id;
      member.client_host = params.client_host;
      member.session_timeout_ms = params.session_timeout_ms;
      member.rebalance_timeout_ms = params.rebalance_timeout_ms;
      member.protocols = std::move(params.protocols);
      member.last_heartbeat_ms = now;
      node.key() = new_id;
      GroupMember& placed = group.members.insert(std::move(node)).position->second;
      known->second = new_id;
      if (group.leader_id == old_id) group.leader_id = new_id;
      log::info("group {}: static member {} rejoined as {}", group.group_id,
                *params.group_instance_id, new_id);
      if (group.state == GroupState::kStable && !protocols_changed) {
        // Same subscription: no rebalance; it syncs and gets its assignment back.
        out.push_back(
            [done = std::move(done), result = join_result_locked(group, placed)] { done(result); });
        return;
      }
      placed.awaiting_join = std::move(done);
      if (group.state == GroupState::kPreparingRebalance) {
        maybe_complete_join_locked(group, out);
      } else {
        prepare_rebalance_locked(group, out);
      }
      return;
    }
    add_member_locked(group, new_member_id_locked(*params.group_instance_id), params,
                      std::move(done), out);
    return;
  }
  if (params.require_known_member_id) {
    // KIP-394: hand out an id and wait for the member to join with it, so that a client that
    // times out and retries does not leave a phantom member behind.
    std::string member_id = new_member_id_locked(params.client_id);
    group.pending_members[member_id] = now + params.session_timeout_ms;
    fail(ErrorCode::kMemberIdRequired, std::move(member_id));
    return;
  }
  add_member_locked(group, new_member_id_locked(params.client_id), params, std::move(done), out);
}

void GroupCoordinator::join_known_member_locked(Group& group, JoinGroupParams& params,
                                                JoinCallback& done, Completions& out) {
  auto fail = [&out, &done, &params](ErrorCode error) {
    out.push_back(
        [done = std::move(done), result = join_error(error, params.member_id)] { done(result); });
  };
  if (group.pending_members.erase(params.member_id) > 0) {
    if (!group.supports(params.protocol_type, params.protocols)) {
      fail(ErrorCode::kInconsistentGroupProtocol);
      return;
    }
    add_member_locked(group, params.member_id, params, std::move(done), out);
    return;
  }
  GroupMember* member = nullptr;
  if (ErrorCode error =
          find_member_locked(group, params.member_id, params.group_instance_id, &member);
      error != ErrorCode::kNone) {
    fail(error);
    return;
  }
  if (params.protocol_type != group.protocol_type ||
      (group.members.size() > 1 && !group.supports(params.protocol_type, params.protocols))) {
    fail(ErrorCode::kInconsistentGroupProtocol);
    return;
  }
  member->last_heartbeat_ms = clock_.now_ms();
  member->session_timeout_ms = params.session_timeout_ms;
  member->rebalance_timeout_ms = params.rebalance_timeout_ms;
  const bool protocols_changed = member->protocols != params.protocols;
  switch (group.state) {
    case GroupState::kPreparingRebalance:
      if (member->awaiting_join) {
        // A retried join: the earlier request still needs its answer.
        out.push_back([cb = std::move(member->awaiting_join)] {
          cb(join_error(ErrorCode::kRebalanceInProgress));
        });
      }
      member->protocols = std::move(params.protocols);
      member->awaiting_join = std::move(done);
      maybe_complete_join_locked(group, out);
      return;
    case GroupState::kCompletingRebalance:
      if (!protocols_changed) {
        // The member lost the join response: send it again.
        out.push_back([done = std::move(done), result = join_result_locked(group, *member)] {
          done(result);
        });
        return;
      }
      break;
    case GroupState::kStable:
      if (!protocols_changed && member->member_id != group.leader_id) {
        out.push_back([done = std::move(done), result = join_result_locked(group, *member)] {
          done(result);
        });
        return;
      }
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      fail(ErrorCode::kUnknownMemberId);
      return;
  }
  // The leader rejoining (its metadata may have changed) or new protocol metadata: rebalance.
  member->protocols = std::move(params.protocols);
  member->awaiting_join = std::move(done);
  prepare_rebalance_locked(group, out);
}

GroupMember& GroupCoordinator::add_member_locked(Group& group, std::string member_id,
                                                 JoinGroupParams& params, JoinCallback done,
                                                 Completions& out) {
  GroupMember member;
  member.member_id = member_id;
  member.group_instance_id = params.group_instance_id;
  member.client_id = params.client_id;
  member.client_host = params.client_host;
  member.session_timeout_ms = params.session_timeout_ms;
  member.rebalance_timeout_ms = params.rebalance_timeout_ms;
  member.protocol_type = params.protocol_type;
  member.protocols = std::move(params.protocols);
  member.awaiting_join = std::move(done);
  member.last_heartbeat_ms = clock_.now_ms();
  if (group.members.empty()) group.protocol_type = params.protocol_type;
  if (group.leader_id.empty()) group.leader_id = member_id;
  if (member.group_instance_id.has_value()) {
    group.static_members[*member.group_instance_id] = member_id;
  }
  GroupMember& added = group.members.emplace(member_id, std::move(member)).first->second;
  log::info("group {}: member {} joined ({} member(s))", group.group_id, member_id,
            group.members.size());
  if (group.state == GroupState::kPreparingRebalance) {
    maybe_complete_join_locked(group, out);
  } else {
    prepare_rebalance_locked(group, out);
  }
  return added;
}

void GroupCoordinator::prepare_rebalance_locked(Group& group, Completions& out) {
  if (group.state == GroupState::kCompletingRebalance) {
    // The leader's assignment for this generation will never be accepted: followers waiting
    // for it learn to rejoin.
    for (auto& [id, member] : group.members) {
      member.assignment = Bytes();
      if (member.awaiting_sync) {
        out.push_back([cb = std::move(member.awaiting_sync)] {
          cb(sync_error(ErrorCode::kRebalanceInProgress));
        });
        member.awaiting_sync = nullptr;
      }
    }
  }
  const int64_t now = clock_.now_ms();
  const bool was_empty = group.state == GroupState::kEmpty;
  int32_t rebalance_timeout = 0;
  for (const auto& [id, member] : group.members) {
    rebalance_timeout = std::max(rebalance_timeout, member.rebalance_timeout_ms);
  }
  group.state = GroupState::kPreparingRebalance;
  group.rebalance_deadline_ms = now + rebalance_timeout;
  group.initial_delay_until_ms =
      was_empty ? now + std::min(options_.initial_rebalance_delay_ms, rebalance_timeout) : now;
  log::info("group {}: preparing rebalance (generation {})", group.group_id, group.generation_id);
  maybe_complete_join_locked(group, out);
}

void GroupCoordinator::maybe_complete_join_locked(Group& group, Completions& out) {
  if (group.state != GroupState::kPreparingRebalance) return;
  if (group.all_members_joined() && clock_.now_ms() >= group.initial_delay_until_ms) {
    complete_join_locked(group, out);
  }
}

void GroupCoordinator::complete_join_locked(Group& group, Completions& out) {
  // Members that did not rejoin in time are out of the new generation.
  std::vector<std::string> late;
  for (const auto& [id, member] : group.members) {
    if (!member.awaiting_join) late.push_back(id);
  }
  for (const std::string& id : late) {
    log::info("group {}: member {} did not rejoin within the rebalance timeout; removed",
              group.group_id, id);
    GroupMember& member = group.members.at(id);
    if (member.awaiting_sync) {
      out.push_back(
          [cb = std::move(member.awaiting_sync)] { cb(sync_error(ErrorCode::kUnknownMemberId)); });
    }
    if (member.group_instance_id.has_value()) group.static_members.erase(*member.group_instance_id);
    group.members.erase(id);
  }
  if (!group.members.contains(group.leader_id)) {
    group.leader_id = group.members.empty() ? std::string() : group.members.begin()->first;
  }
  ++group.generation_id;
  if (group.members.empty()) {
    group.state = GroupState::kEmpty;
    group.protocol_name.clear();
    log::info("group {}: empty at generation {}", group.group_id, group.generation_id);
    return;
  }
  std::optional<std::string> protocol = group.select_protocol();
  if (!protocol.has_value()) {
    // Join checks make this unreachable; fail the members rather than assert on it.
    for (auto& [id, member] : group.members) {
      out.push_back([cb = std::move(member.awaiting_join)] {
        cb(join_error(ErrorCode::kInconsistentGroupProtocol));
      });
    }
    group.members.clear();
    group.static_members.clear();
    group.leader_id.clear();
    group.state = GroupState::kEmpty;
    return;
  }
  group.protocol_name = *protocol;
  group.state = GroupState::kCompletingRebalance;
  const int64_t now = clock_.now_ms();
  for (auto& [id, member] : group.members) {
    member.last_heartbeat_ms = now;
    out.push_back([cb = std::move(member.awaiting_join),
                   result = join_result_locked(group, member)] { cb(result); });
    member.awaiting_join = nullptr;
  }
  log::info("group {}: generation {} with {} member(s), protocol {}, leader {}", group.group_id,
            group.generation_id, group.members.size(), group.protocol_name, group.leader_id);
}

void GroupCoordinator::remove_member_locked(Group& group, const std::string& member_id,
                                            Completions& out) {
  auto found = group.members.find(member_id);
  if (found == group.members.end()) return;
  GroupMember& member = found->second;
  if (member.awaiting_join) {
    out.push_back(
        [cb = std::move(member.awaiting_join)] { cb(join_error(ErrorCode::kUnknownMemberId)); });
  }
  if (member.awaiting_sync) {
    out.push_back(
        [cb = std::move(member.awaiting_sync)] { cb(sync_error(ErrorCode::kUnknownMemberId)); });
  }
  if (member.group_instance_id.has_value()) {
    auto known = group.static_members.find(*member.group_instance_id);
    if (known != group.static_members.end() && known->second == member_id) {
      group.static_members.erase(known);
    }
  }
  group.members.erase(found);
  if (group.leader_id == member_id) {
    group.leader_id.clear();
    for (const auto& [id, other] : group.members) {
      if (group.leader_id.empty() || other.awaiting_join) {
        group.leader_id = id;
        if (other.awaiting_join) break;
      }
    }
  }
  switch (group.state) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      prepare_rebalance_locked(group, out);
      break;
    case GroupState::kPreparingRebalance:
      maybe_complete_join_locked(group, out);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void GroupCoordinator::sync_group(SyncGroupParams params, SyncCallback done) {
  Completions out;
  {
    std::lock_guard lock(mutex_);
    auto fail = [&out, &done](ErrorCode error) {
      out.push_back([done = std::move(done), result = sync_error(error)] { done(result); });
    };
    auto found = groups_.find(params.group_id);
    GroupMember* member = nullptr;
    ErrorCode error = ErrorCode::kNone;
    if (stopping_) {
      error = ErrorCode::kCoordinatorNotAvailable;
    } else if (found == groups_.end()) {
      error = ErrorCode::kUnknownMemberId;
    } else {
      error =
          find_member_locked(found->second, params.member_id, params.group_instance_id, &member);
      if (error == ErrorCode::kNone && params.generation_id != found->second.generation_id) {
        error = ErrorCode::kIllegalGeneration;
      }
    }
    if (error != ErrorCode::kNone) {
      fail(error);
    } else {
      Group& group = found->second;
      member->last_heartbeat_ms = clock_.now_ms();
      switch (group.state) {
        case GroupState::kPreparingRebalance:
          fail(ErrorCode::kRebalanceInProgress);
          break;
        case GroupState::kCompletingRebalance:
          member->awaiting_sync = std::move(done);
          if (member->member_id == group.leader_id) {
            for (auto& [id, other] : group.members) other.assignment = Bytes();
            for (auto& [id, assignment] : params.assignments) {
              auto target = group.members.find(id);
              if (target != group.members.end()) target->second.assignment = std::move(assignment);
            }
            group.state = GroupState::kStable;
            for (auto& [id, other] : group.members) {
              if (!other.awaiting_sync) continue;
              SyncGroupResult result;
              result.protocol_type = group.protocol_type;
              result.protocol_name = group.protocol_name;
              result.assignment = other.assignment;
              out.push_back([cb = std::move(other.awaiting_sync), result = std::move(result)] {
                cb(result);
              });
              other.awaiting_sync = nullptr;
            }
            log::info("group {}: generation {} stable", group.group_id, group.generation_id);
          }
          break;
        case GroupState::kStable: {
          SyncGroupResult result;
          result.protocol_type = group.protocol_type;
          result.protocol_name = group.protocol_name;
          result.assignment = member->assignment;
          out.push_back([done = std::move(done), result = std::move(result)] { done(result); });
          break;
        }
        case GroupState::kEmpty:
        case GroupState::kDead:
          fail(ErrorCode::kUnknownMemberId);
          break;
      }
    }
  }
  run(out);
}

ErrorCode GroupCoordinator::heartbeat(const std::string& group_id, int32_t generation_id,
                                      const std::string& member_id,
                                      const std::optional<std::string>& group_instance_id) {
  std::lock_guard lock(mutex_);
  if (stopping_) return ErrorCode::kCoordinatorNotAvailable;
  auto found = groups_.find(group_id);
  if (found == groups_.end()) return ErrorCode::kUnknownMemberId;
  Group& group = found->second;
  GroupMember* member = nullptr;
  if (ErrorCode error = find_member_locked(group, member_id, group_instance_id, &member);
      error != ErrorCode::kNone) {
    return error;
  }
  if (generation_id != group.generation_id) return ErrorCode::kIllegalGeneration;
  member->last_heartbeat_ms = clock_.now_ms();
  switch (group.state) {
    case GroupState::kPreparingRebalance:
      return ErrorCode::kRebalanceInProgress;
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      return ErrorCode::kNone;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  return ErrorCode::kUnknownMemberId;
}

LeaveGroupResult GroupCoordinator::leave_group(const std::string& group_id,
                                               const std::vector<MemberIdentity>& members) {
  LeaveGroupResult result;
  Completions out;
  {
    std::lock_guard lock(mutex_);
    auto found = groups_.find(group_id);
    if (stopping_) {
      result.error = ErrorCode::kCoordinatorNotAvailable;
    }
    for (const MemberIdentity& identity : members) {
      if (stopping_) {
        result.members.push_back(ErrorCode::kCoordinatorNotAvailable);
        continue;
      }
      if (found == groups_.end()) {
        result.members.push_back(ErrorCode::kUnknownMemberId);
        continue;
      }
      Group& group = found->second;
      std::string member_id = identity.member_id;
      if (identity.group_instance_id.has_value()) {
        auto known = group.static_members.find(*identity.group_instance_id);
        if (known == group.static_members.end()) {
          result.members.push_back(ErrorCode::kUnknownMemberId);
          continue;
        }
        if (!member_id.empty() && known->second != member_id) {
          result.members.push_back(ErrorCode::kFencedInstanceId);
          continue;
        }
        member_id = known->second;
      }
      if (group.pending_members.erase(member_id) > 0) {
        result.members.push_back(ErrorCode::kNone);
        continue;
      }
      if (!group.members.contains(member_id)) {
        result.members.push_back(ErrorCode::kUnknownMemberId);
        continue;
      }
      log::info("group {}: member {} left", group.group_id, member_id);
      remove_member_locked(group, member_id, out);
      result.members.push_back(ErrorCode::kNone);
    }
  }
  run(out);
  return result;
}

std::vector<GroupListing> GroupCoordinator::list_groups() const {
  std::vector<GroupListing> listings;
  std::set<std::string> listed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, group] : groups_) {
      listings.push_back(GroupListing{id, group.protocol_type, group.state});
      listed.insert(id);
    }
  }
  for (const std::string& id : offsets_.groups()) {
    if (!listed.contains(id)) {
      listings.push_back(GroupListing{id, empty_group_protocol_type(id), GroupState::kEmpty});
    }
  }
  return listings;
}

GroupDescription GroupCoordinator::describe_group(const std::string& group_id) const {
  GroupDescription description;
  description.group_id = group_id;
  {
    std::lock_guard lock(mutex_);
    auto found = groups_.find(group_id);
    if (found != groups_.end()) {
      const Group& group = found->second;
      description.state = group.state;
      description.protocol_type = group.protocol_type;
      description.protocol_name = group.protocol_name;
      for (const auto& [id, member] : group.members) {
        GroupDescription::Member described{.member_id = id,
                                           .group_instance_id = member.group_instance_id,
                                           .client_id = member.client_id,
                                           .client_host = member.client_host,
                                           .metadata = {},
                                           .assignment = {}};
        if (group.state == GroupState::kStable) {
          const Bytes* metadata = member.metadata_for(group.protocol_name);
          if (metadata != nullptr) described.metadata = *metadata;
          described.assignment = member.assignment;
        }
        description.members.push_back(std::move(described));
      }
      return description;
    }
  }
  description.state = offsets_.has_offsets(group_id) ? GroupState::kEmpty : GroupState::kDead;
  if (description.state == GroupState::kEmpty) {
    description.protocol_type = empty_group_protocol_type(group_id);
  }
  return description;
}

ErrorCode GroupCoordinator::delete_group(const std::string& group_id) {
  // The lock is held across the offsets' deletion so that no commit to the group can slip in
  // between. Lock order: mutex_, then the OffsetStore's.
  std::lock_guard lock(mutex_);
  if (stopping_) return ErrorCode::kCoordinatorNotAvailable;
  auto found = groups_.find(group_id);
  if (found == groups_.end() && !offsets_.has_offsets(group_id)) {
    return ErrorCode::kGroupIdNotFound;
  }
  if (found != groups_.end()) {
    if (found->second.state != GroupState::kEmpty) return ErrorCode::kNonEmptyGroup;
    found->second.state = GroupState::kDead;
  }
  if (Status removed = offsets_.remove_group(group_id); !removed.ok()) {
    log::error("group {}: deleting committed offsets failed: {}", group_id, removed.to_string());
    if (found != groups_.end()) found->second.state = GroupState::kEmpty;
    return ErrorCode::kCoordinatorNotAvailable;
  }
  if (found != groups_.end()) groups_.erase(found);
  empty_group_protocol_types_.erase(group_id);
  log::info("group {}: deleted", group_id);
  return ErrorCode::kNone;
}

std::vector<ErrorCode> GroupCoordinator::commit_offsets(const OffsetCommitParams& params) {
  ErrorCode error = ErrorCode::kNone;
  {
    std::lock_guard lock(mutex_);
    auto found = groups_.find(params.group_id);
    if (stopping_) {
      error = ErrorCode::kCoordinatorNotAvailable;
    } else if (params.group_id.empty()) {
      error = ErrorCode::kInvalidGroupId;
    } else if (found == groups_.end()) {
      // No group: a commit from outside group management (generation -1) is fine; a member's
      // commit is from a generation this coordinator does not know (say, before a restart).
      if (params.generation_id >= 0) error = ErrorCode::kIllegalGeneration;
    } else {
      // Kafka's order of checks (GroupCoordinator.handleCommitOffsets).
      Group& group = found->second;
      GroupMember* member = nullptr;
      if (group.state == GroupState::kDead) {
        error = ErrorCode::kCoordinatorNotAvailable;
      } else if (params.group_instance_id.has_value() &&
                 group.static_members.contains(*params.group_instance_id) &&
                 group.static_members.at(*params.group_instance_id) != params.member_id) {
        error = ErrorCode::kFencedInstanceId;
      } else if (params.generation_id < 0 && group.state == GroupState::kEmpty) {
        // A simple commit to a group nobody is a member of.
      } else if (group.state == GroupState::kCompletingRebalance) {
        error = ErrorCode::kRebalanceInProgress;
      } else if (auto m = group.members.find(params.member_id); m == group.members.end()) {
        error = ErrorCode::kUnknownMemberId;
      } else if (params.generation_id != group.generation_id) {
        error = ErrorCode::kIllegalGeneration;
      } else {
        member = &m->second;
        member->last_heartbeat_ms = clock_.now_ms();
      }
    }
  }
  std::vector<ErrorCode> errors(params.offsets.size(), error);
  if (error != ErrorCode::kNone) return errors;
  std::vector<std::pair<TopicPartition, CommittedOffset>> accepted;
  for (size_t i = 0; i < params.offsets.size(); ++i) {
    if (params.offsets[i].second.metadata.size() > options_.max_metadata_bytes) {
      errors[i] = ErrorCode::kOffsetMetadataTooLarge;
    } else {
      accepted.push_back(params.offsets[i]);
    }
  }
  if (Status committed = offsets_.commit(params.group_id, accepted); !committed.ok()) {
    static log::RateLimiter commit_error_log(std::chrono::seconds(10));  // a full disk repeats
    log::error_limited(commit_error_log, "group {}: committing offsets failed: {}", params.group_id,
                       committed.to_string());
    for (ErrorCode& code : errors) {
      if (code == ErrorCode::kNone) code = ErrorCode::kCoordinatorNotAvailable;
    }
  }
  return errors;
}

std::vector<ErrorCode> GroupCoordinator::commit_transactional_offsets(
    const OffsetCommitParams& params, int64_t producer_id, int16_t producer_epoch) {
  ErrorCode error = ErrorCode::kNone;
  {
    std::lock_guard lock(mutex_);
    auto found = groups_.find(params.group_id);
    if (stopping_) {
      error = ErrorCode::kCoordinatorNotAvailable;
    } else if (params.group_id.empty()) {
      error = ErrorCode::kInvalidGroupId;
    } else if (found == groups_.end()) {
      // No members (say, before a restart): only a commit from outside group management.
      if (params.generation_id >= 0) {
        error =
            params.member_id.empty() ? ErrorCode::kIllegalGeneration : ErrorCode::kUnknownMemberId;
      }
    } else {
      // Kafka's order of checks (GroupCoordinator.doTxnCommitOffsets).
      const Group& group = found->second;
      if (group.state == GroupState::kDead) {
        error = ErrorCode::kCoordinatorNotAvailable;
      } else if (params.generation_id < 0 && group.state == GroupState::kEmpty) {
        // A simple commit to a group nobody is a member of.
      } else if (params.group_instance_id.has_value() &&
                 group.static_members.contains(*params.group_instance_id) &&
                 group.static_members.at(*params.group_instance_id) != params.member_id) {
        error = ErrorCode::kFencedInstanceId;
      } else if (!params.member_id.empty() && !group.members.contains(params.member_id)) {
        error = ErrorCode::kUnknownMemberId;
      } else if (params.generation_id >= 0 && params.generation_id != group.generation_id) {
        error = ErrorCode::kIllegalGeneration;
      }
    }
  }
  std::vector<ErrorCode> errors(params.offsets.size(), error);
  if (error != ErrorCode::kNone) return errors;
  std::vector<std::pair<TopicPartition, CommittedOffset>> accepted;
  for (size_t i = 0; i < params.offsets.size(); ++i) {
    if (params.offsets[i].second.metadata.size() > options_.max_metadata_bytes) {
      errors[i] = ErrorCode::kOffsetMetadataTooLarge;
    } else {
      accepted.push_back(params.offsets[i]);
    }
  }
  if (accepted.empty()) return errors;
  if (Status committed =
          offsets_.commit_transactional(params.group_id, producer_id, producer_epoch, accepted);
      !committed.ok()) {
    log::error("group {}: committing transactional offsets of producer {} failed: {}",
               params.group_id, producer_id, committed.to_string());
    for (ErrorCode& code : errors) {
      if (code == ErrorCode::kNone) code = ErrorCode::kCoordinatorNotAvailable;
    }
  }
  return errors;
}

std::pair<ErrorCode, std::vector<ErrorCode>> GroupCoordinator::delete_offsets(
    const std::string& group_id, const std::vector<TopicPartition>& partitions) {
  std::vector<ErrorCode> errors(partitions.size(), ErrorCode::kNone);
  std::lock_guard lock(mutex_);  // held across the store's write, as in delete_group
  if (stopping_) return {ErrorCode::kCoordinatorNotAvailable, {}};
  auto found = groups_.find(group_id);
  if (found == groups_.end() && !offsets_.has_offsets(group_id)) {
    return {ErrorCode::kGroupIdNotFound, {}};
  }
  std::vector<TopicPartition> removable;
  if (found != groups_.end() && !found->second.members.empty()) {
    const Group& group = found->second;
    if (group.protocol_type != "consumer") return {ErrorCode::kNonEmptyGroup, {}};
    // Offsets of topics a live member subscribes to stay: the member would lose its position.
    std::set<std::string> subscribed;
    bool unreadable = false;
    for (const auto& [id, member] : group.members) {
      if (member.protocols.empty()) continue;
      const Bytes* metadata = group.protocol_name.empty()
                                  ? &member.protocols.front().second
                                  : member.metadata_for(group.protocol_name);
      auto topics = metadata != nullptr ? subscribed_topics(metadata->view()) : std::nullopt;
      if (!topics) {
        unreadable = true;
        continue;
      }
      subscribed.insert(topics->begin(), topics->end());
    }
    for (size_t i = 0; i < partitions.size(); ++i) {
      if (unreadable || subscribed.contains(partitions[i].topic)) {
        errors[i] = ErrorCode::kGroupSubscribedToTopic;
      } else {
        removable.push_back(partitions[i]);
      }
    }
  } else {
    removable = partitions;
  }
  if (Status removed = offsets_.remove(group_id, removable); !removed.ok()) {
    log::error("group {}: deleting offsets failed: {}", group_id, removed.to_string());
    return {ErrorCode::kCoordinatorNotAvailable, {}};
  }
  return {ErrorCode::kNone, errors};
}

std::string GroupCoordinator::empty_group_protocol_type(const std::string& group_id) const {
  std::lock_guard lock(mutex_);
  auto found = empty_group_protocol_types_.find(group_id);
  return found != empty_group_protocol_types_.end() ? found->second : std::string();
}

void GroupCoordinator::tick() {
  Completions out;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    const int64_t now = clock_.now_ms();
    for (auto& [group_id, group] : groups_) {
      for (auto pending = group.pending_members.begin(); pending != group.pending_members.end();) {
        pending =
            pending->second <= now ? group.pending_members.erase(pending) : std::next(pending);
      }
      std::vector<std::string> expired;
      for (const auto& [id, member] : group.members) {
        if (member.awaiting_join || member.awaiting_sync) continue;
        if (member.last_heartbeat_ms + member.session_timeout_ms <= now) expired.push_back(id);
      }
      for (const std::string& id : expired) {
        log::info("group {}: member {} session timed out; removed", group_id, id);
        remove_member_locked(group, id, out);
      }
      if (group.state == GroupState::kPreparingRebalance) {
        if (now >= group.rebalance_deadline_ms) {
          complete_join_locked(group, out);
        } else {
          maybe_complete_join_locked(group, out);
        }
      }
    }
    // A group with nobody in it is forgotten, so that groups that come and go do not
    // accumulate; its committed offsets (if any) keep it listed, as Empty.
    std::erase_if(groups_, [this](const auto& entry) {
      const Group& group = entry.second;
      const bool forget = group.state == GroupState::kEmpty && group.members.empty() &&
                          group.pending_members.empty();
      if (forget && !group.protocol_type.empty() && offsets_.has_offsets(entry.first)) {
        empty_group_protocol_types_[entry.first] = group.protocol_type;
      }
      return forget;
    });
    // Lock order: mutex_, then the OffsetStore's (offsets may have expired or been deleted).
    std::erase_if(empty_group_protocol_types_, [this](const auto& entry) {
      return groups_.contains(entry.first) || !offsets_.has_offsets(entry.first);
    });
  }
  run(out);
}

void GroupCoordinator::shut_down() {
  Completions out;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [group_id, group] : groups_) {
      for (auto& [id, member] : group.members) {
        if (member.awaiting_join) {
          out.push_back([cb = std::move(member.awaiting_join)] {
            cb(join_error(ErrorCode::kCoordinatorNotAvailable));
          });
          member.awaiting_join = nullptr;
        }
        if (member.awaiting_sync) {
          out.push_back([cb = std::move(member.awaiting_sync)] {
            cb(sync_error(ErrorCode::kCoordinatorNotAvailable));
          });
          member.awaiting_sync = nullptr;
        }
      }
    }
  }
  run(out);
}

}  // namespace runnel::broker

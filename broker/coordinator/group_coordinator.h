#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "broker/coordinator/group.h"
#include "broker/coordinator/offset_store.h"
#include "core/clock.h"

namespace runnel::broker {

// Kafka's group.* broker settings.
struct GroupCoordinatorOptions {
  int32_t min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  size_t max_metadata_bytes = 4096;           // offset.metadata.max.bytes
};

struct JoinGroupParams {
  std::string group_id;
  std::string member_id;  // empty on a first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // -1 (JoinGroup v0): the session timeout
  std::string protocol_type;
  std::vector<std::pair<std::string, Bytes>> protocols;
  // JoinGroup v4+: a first join without an instance id gets MEMBER_ID_REQUIRED (KIP-394).
  bool require_known_member_id = false;
};

struct SyncGroupParams {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::pair<std::string, Bytes>> assignments;  // (member id, assignment), leader only
};

struct MemberIdentity {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveGroupResult {
  ErrorCode error = ErrorCode::kNone;
  std::vector<ErrorCode> members;  // one per member asked to leave, in order
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  GroupState state = GroupState::kEmpty;
};

struct GroupDescription {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    Bytes metadata;    // for the chosen protocol, when Stable
    Bytes assignment;  // when Stable
  };
  ErrorCode error = ErrorCode::kNone;
  std::string group_id;
  GroupState state = GroupState::kDead;
  std::string protocol_type;
  std::string protocol_name;
  std::vector<Member> members;
};

struct OffsetCommitParams {
  std::string group_id;
  int32_t generation_id = -1;  // -1 with an empty member id: a commit from outside the group
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::pair<TopicPartition, CommittedOffset>> offsets;
};

// The classic consumer-group protocol's coordinator: groups, their members and rebalances,
// and the validation of offset commits against group membership. Offsets themselves live in
// the OffsetStore.
//
// Responses that must wait (a JoinGroup until the rebalance's join phase ends, a follower's
// SyncGroup until the leader's assignment arrives) are given as callbacks and answered later,
// from whichever thread completes the wait: another member's request or tick(). No thread
// ever blocks waiting.
//
// Time: the coordinator reads `clock` and never sleeps; timeouts (sessions, rebalance
// deadlines, the initial rebalance delay, unanswered MEMBER_ID_REQUIRED ids) are enforced by
// tick(), which the broker calls periodically and tests call after moving a ManualClock. A
// timeout therefore fires up to one tick interval late.
//
// Thread safety: every method may be called from any thread. `mutex_` guards every group and
// every member; callbacks are never run with it held (they are collected and run after it is
// released), so a callback may call back into the coordinator. Offset commits validate under
// the lock and append to the OffsetStore after releasing it, so a slow disk does not stall
// heartbeats.
class GroupCoordinator {
 public:
  GroupCoordinator(OffsetStore& offsets, Clock& clock, GroupCoordinatorOptions options = {});
  ~GroupCoordinator();

  // `done` is called exactly once, possibly before join_group() returns.
  void join_group(JoinGroupParams params, JoinCallback done);
  // `done` is called exactly once, possibly before sync_group() returns.
  void sync_group(SyncGroupParams params, SyncCallback done);
  ErrorCode heartbeat(const std::string& group_id, int32_t generation_id,
                      const std::string& member_id,
                      const std::optional<std::string>& group_instance_id);
  // LeaveGroup v0-2 name one member by id; v3+ a list by id or instance id.
  LeaveGroupResult leave_group(const std::string& group_id,
                               const std::vector<MemberIdentity>& members);
  std::vector<GroupListing> list_groups() const;
  GroupDescription describe_group(const std::string& group_id) const;
  // Only an Empty group can be deleted (NON_EMPTY_GROUP otherwise); its offsets go with it.
  ErrorCode delete_group(const std::string& group_id);

  // One error per offset, in order; validation errors apply to every offset of the request.
  std::vector<ErrorCode> commit_offsets(const OffsetCommitParams& params);
  // TxnOffsetCommit (KIP-98, KIP-447): validates the committer against the group as Kafka
  // does (a group nobody is a member of takes commits with generation -1; otherwise
  // FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, without the rebalance check
  // of plain commits), then appends the offsets to the OffsetStore as producer (id, epoch)'s
  // pending transactional offsets. The transaction coordinator checked the producer. One
  // error per offset, in order.
  std::vector<ErrorCode> commit_transactional_offsets(const OffsetCommitParams& params,
                                                      int64_t producer_id, int16_t producer_epoch);
  // GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP... for the whole request, or one error per partition
  // (GROUP_SUBSCRIBED_TO_TOPIC when a member of the group consumes the topic).
  std::pair<ErrorCode, std::vector<ErrorCode>> delete_offsets(
      const std::string& group_id, const std::vector<TopicPartition>& partitions);

  // Enforces every timeout that has passed at clock.now_ms().
  void tick();
  // Answers every waiting JoinGroup and SyncGroup with COORDINATOR_NOT_AVAILABLE (the client
  // looks for the coordinator again) and answers later ones at once: the broker is stopping.
  void shut_down();

  const GroupCoordinatorOptions& options() const { return options_; }

 private:
  using Completions = std::vector<std::function<void()>>;

  // All *_locked methods run with mutex_ held and add the callbacks to run to `out`.
  void join_new_member_locked(Group& group, JoinGroupParams& params, JoinCallback& done,
                              Completions& out);
  void join_known_member_locked(Group& group, JoinGroupParams& params, JoinCallback& done,
                                Completions& out);
  GroupMember& add_member_locked(Group& group, std::string member_id, JoinGroupParams& params,
                                 JoinCallback done, Completions& out);
  void prepare_rebalance_locked(Group& group, Completions& out);
  void maybe_complete_join_locked(Group& group, Completions& out);
  void complete_join_locked(Group& group, Completions& out);
  void remove_member_locked(Group& group, const std::string& member_id, Completions& out);
  JoinGroupResult join_result_locked(const Group& group, const GroupMember& member) const;
  std::string new_member_id_locked(const std::string& prefix);
  // The member `member_id` of `group`, checking a static member's instance id: error when
  // unknown (UNKNOWN_MEMBER_ID) or fenced by a newer instance (FENCED_INSTANCE_ID).
  ErrorCode find_member_locked(Group& group, const std::string& member_id,
                               const std::optional<std::string>& instance_id, GroupMember** member);
  static void run(Completions& completions);
  // The protocol type a forgotten Empty group had, or "" (empty_group_protocol_types_).
  std::string empty_group_protocol_type(const std::string& group_id) const;

  OffsetStore& offsets_;
  Clock& clock_;
  const GroupCoordinatorOptions options_;

  mutable std::mutex mutex_;
  // Every group with members (or members-to-be), by id; GUARDED_BY(mutex_). tick() forgets
  // groups that became Empty. Groups that only have committed offsets (after a restart, or
  // simple commits) are not here: they are Empty, and the OffsetStore knows them.
  std::map<std::string, Group> groups_;
  // The protocol type ("consumer") of each group tick() forgot, while the group still has
  // committed offsets: Kafka keeps an Empty group's protocol type, and tools (kafka-python's
  // admin, kafka-consumer-groups.sh) tell consumer groups by it. GUARDED_BY(mutex_). Not
  // persisted: after a restart such a group reports "" until a member joins again.
  std::map<std::string, std::string> empty_group_protocol_types_;
  std::mt19937_64 random_;  // GUARDED_BY(mutex_): member ids
  bool stopping_ = false;   // GUARDED_BY(mutex_)
};

}  // namespace runnel::broker

#include "broker/coordinator/group_coordinator.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/wire_writer.h"
#include "tests/broker/coordinator/coordinator_test_support.h"

namespace runnel::broker {
namespace {

constexpr int32_t kSession = 10000;
constexpr int32_t kRebalance = 20000;
constexpr int32_t kInitialDelay = 3000;

// A "consumer" protocol subscription as clients encode it (ConsumerProtocolSubscription v0).
Bytes subscription(const std::vector<std::string>& topics) {
  WireWriter writer;
  writer.write_int16(0);
  writer.write_int32(static_cast<int32_t>(topics.size()));
  for (const std::string& topic : topics) {
    writer.write_int16(static_cast<int16_t>(topic.size()));
    writer.bytes().append(BytesView(topic));
  }
  writer.write_int32(-1);  // no user data
  return writer.take();
}

JoinGroupParams join_params(std::string member_id = {},
                            std::optional<std::string> instance_id = std::nullopt,
                            std::vector<std::string> protocols = {"range"},
                            Bytes metadata = subscription({"t"})) {
  JoinGroupParams params;
  params.group_id = "g";
  params.member_id = std::move(member_id);
  params.group_instance_id = std::move(instance_id);
  params.client_id = "client";
  params.client_host = "/127.0.0.1";
  params.session_timeout_ms = kSession;
  params.rebalance_timeout_ms = kRebalance;
  params.protocol_type = "consumer";
  for (const std::string& name : protocols) params.protocols.emplace_back(name, metadata);
  params.require_known_member_id = true;
  return params;
}

// A JoinGroup or SyncGroup whose answer may come later. The answer lands in shared state, so
// that a callback the coordinator still holds when the test ends (its destructor answers
// every waiting request) writes nowhere dangerous.
template <typename Result>
struct Pending {
  std::shared_ptr<std::optional<Result>> state = std::make_shared<std::optional<Result>>();
  std::optional<Result>& result = *state;

  std::function<void(Result)> callback() {
    return [state = state](Result r) {
      EXPECT_FALSE(state->has_value()) << "answered twice";
      *state = std::move(r);
    };
  }
};
// An answer awaited from another thread.
template <typename Result>
struct Answer {
  std::promise<Result> promise;
  std::atomic<bool> answered{false};
};

using PendingJoin = Pending<JoinGroupResult>;
using PendingSync = Pending<SyncGroupResult>;

class GroupCoordinatorTest : public testing::OffsetsFixture {
 protected:
  GroupCoordinatorTest()
      : groups_(std::make_unique<GroupCoordinator>(
            *offsets_, clock_,
            GroupCoordinatorOptions{.min_session_timeout_ms = 1000,
                                    .max_session_timeout_ms = 60000,
                                    .initial_rebalance_delay_ms = kInitialDelay,
                                    .max_metadata_bytes = 4096})) {}

  void advance(int64_t ms) {
    clock_.advance_ms(ms);
    groups_->tick();
  }

  // A new member's first join: MEMBER_ID_REQUIRED, then the join with the given id, whose
  // answer is left pending in `join`.
  std::string join_new(PendingJoin& join, std::optional<std::string> instance_id = std::nullopt) {
    if (instance_id.has_value()) {
      groups_->join_group(join_params({}, instance_id), join.callback());
      return {};
    }
    PendingJoin first;
    groups_->join_group(join_params(), first.callback());
    EXPECT_TRUE(first.result.has_value());
    EXPECT_EQ(first.result->error, ErrorCode::kMemberIdRequired);
    EXPECT_FALSE(first.result->member_id.empty());
    groups_->join_group(join_params(first.result->member_id), join.callback());
    return first.result->member_id;
  }

  SyncGroupParams sync_params(const JoinGroupResult& joined,
                              std::vector<std::pair<std::string, Bytes>> assignments = {}) {
    SyncGroupParams params;
    params.group_id = "g";
    params.generation_id = joined.generation_id;
    params.member_id = joined.member_id;
    params.assignments = std::move(assignments);
    return params;
  }

  GroupState state() const { return groups_->describe_group("g").state; }

  std::unique_ptr<GroupCoordinator> groups_;
};

TEST_F(GroupCoordinatorTest, AFirstJoinWithoutAMemberIdGetsMemberIdRequiredAndAnId) {
  PendingJoin join;
  groups_->join_group(join_params(), join.callback());
  ASSERT_TRUE(join.result.has_value());
  EXPECT_EQ(join.result->error, ErrorCode::kMemberIdRequired);
  EXPECT_TRUE(join.result->member_id.starts_with("client-"));
  // The id is not a member until it joins with it.
  EXPECT_EQ(groups_->describe_group("g").members.size(), 0u);
}

TEST_F(GroupCoordinatorTest, ANewGroupWaitsTheInitialDelayThenFormsGenerationOne) {
  PendingJoin join;
  const std::string id = join_new(join);
  EXPECT_FALSE(join.result.has_value());
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  advance(kInitialDelay - 1);
  EXPECT_FALSE(join.result.has_value());
  advance(1);
  ASSERT_TRUE(join.result.has_value());
  EXPECT_EQ(join.result->error, ErrorCode::kNone);
  EXPECT_EQ(join.result->generation_id, 1);
  EXPECT_EQ(join.result->leader_id, id);
  EXPECT_EQ(join.result->member_id, id);
  EXPECT_EQ(join.result->protocol_name, "range");
  ASSERT_EQ(join.result->members.size(), 1u);
  EXPECT_EQ(join.result->members[0].metadata, subscription({"t"}));
  EXPECT_EQ(state(), GroupState::kCompletingRebalance);
}

TEST_F(GroupCoordinatorTest, FollowersGetTheLeadersAssignmentWhenTheLeaderSyncs) {
  PendingJoin a, b;
  const std::string a_id = join_new(a);
  const std::string b_id = join_new(b);
  advance(kInitialDelay);
  ASSERT_TRUE(a.result && b.result);
  EXPECT_EQ(a.result->generation_id, b.result->generation_id);
  const JoinGroupResult& leader = a.result->leader_id == a_id ? *a.result : *b.result;
  const JoinGroupResult& follower = a.result->leader_id == a_id ? *b.result : *a.result;
  EXPECT_EQ(leader.members.size(), 2u);  // the leader assigns, so it sees everyone
  EXPECT_TRUE(follower.members.empty());

  PendingSync follower_sync, leader_sync;
  groups_->sync_group(sync_params(follower), follower_sync.callback());
  EXPECT_FALSE(follower_sync.result.has_value());  // waits for the leader
  groups_->sync_group(sync_params(leader, {{leader.member_id, Bytes::from_string("L")},
                                           {follower.member_id, Bytes::from_string("F")}}),
                      leader_sync.callback());
  ASSERT_TRUE(follower_sync.result && leader_sync.result);
  EXPECT_EQ(follower_sync.result->error, ErrorCode::kNone);
  EXPECT_EQ(follower_sync.result->assignment, Bytes::from_string("F"));
  EXPECT_EQ(leader_sync.result->assignment, Bytes::from_string("L"));
  EXPECT_EQ(state(), GroupState::kStable);
  auto described = groups_->describe_group("g");
  EXPECT_EQ(described.protocol_name, "range");
  ASSERT_EQ(described.members.size(), 2u);
}

class StableGroupTest : public GroupCoordinatorTest {
 protected:
  // Two members, a and b, in a Stable generation with assignments "A" and "B".
  void SetUp() override {
    PendingJoin a, b;
    join_new(a);
    join_new(b);
    advance(kInitialDelay);
    ASSERT_TRUE(a.result && b.result);
    a_ = *a.result;
    b_ = *b.result;
    const bool a_leads = a_.leader_id == a_.member_id;
    PendingSync follower, leader;
    groups_->sync_group(sync_params(a_leads ? b_ : a_), follower.callback());
    groups_->sync_group(sync_params(a_leads ? a_ : b_, {{a_.member_id, Bytes::from_string("A")},
                                                        {b_.member_id, Bytes::from_string("B")}}),
                        leader.callback());
    ASSERT_EQ(state(), GroupState::kStable);
    ASSERT_TRUE(follower.result && leader.result);
  }

  JoinGroupResult a_, b_;
};

TEST_F(StableGroupTest, HeartbeatsAreCheckedForMemberAndGeneration) {
  EXPECT_EQ(groups_->heartbeat("g", a_.generation_id, a_.member_id, std::nullopt),
            ErrorCode::kNone);
  EXPECT_EQ(groups_->heartbeat("g", a_.generation_id - 1, a_.member_id, std::nullopt),
            ErrorCode::kIllegalGeneration);
  EXPECT_EQ(groups_->heartbeat("g", a_.generation_id, "nobody", std::nullopt),
            ErrorCode::kUnknownMemberId);
  EXPECT_EQ(groups_->heartbeat("other", 1, a_.member_id, std::nullopt),
            ErrorCode::kUnknownMemberId);
}

TEST_F(StableGroupTest, AMemberThatStopsHeartbeatingIsRemovedAndTheOthersRebalance) {
  // b keeps heartbeating; a falls silent.
  for (int i = 0; i < 4; ++i) {
    advance(kSession / 4);
    if (state() == GroupState::kStable) {
      EXPECT_EQ(groups_->heartbeat("g", b_.generation_id, b_.member_id, std::nullopt),
                ErrorCode::kNone);
    }
  }
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(groups_->heartbeat("g", b_.generation_id, b_.member_id, std::nullopt),
            ErrorCode::kRebalanceInProgress);
  PendingJoin rejoin;
  groups_->join_group(join_params(b_.member_id), rejoin.callback());
  ASSERT_TRUE(rejoin.result.has_value());  // a is gone, so everyone has rejoined
  EXPECT_EQ(rejoin.result->generation_id, b_.generation_id + 1);
  EXPECT_EQ(rejoin.result->leader_id, b_.member_id);
  ASSERT_EQ(rejoin.result->members.size(), 1u);
  EXPECT_EQ(groups_->heartbeat("g", a_.generation_id, a_.member_id, std::nullopt),
            ErrorCode::kUnknownMemberId);
}

TEST_F(StableGroupTest, ASessionExpiresAtItsTimeoutToTheMillisecond) {
  // Issue #16 reported sessions ending about a second late; the deadline is the last
  // heartbeat plus session.timeout.ms, checked on every tick (runneld ticks every 100 ms).
  EXPECT_EQ(groups_->heartbeat("g", a_.generation_id, a_.member_id, std::nullopt),
            ErrorCode::kNone);
  EXPECT_EQ(groups_->heartbeat("g", b_.generation_id, b_.member_id, std::nullopt),
            ErrorCode::kNone);
  advance(kSession - 1);
  EXPECT_EQ(state(), GroupState::kStable);
  EXPECT_EQ(groups_->heartbeat("g", b_.generation_id, b_.member_id, std::nullopt),
            ErrorCode::kNone);
  advance(1);
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  auto described = groups_->describe_group("g");
  ASSERT_EQ(described.members.size(), 1u);
  EXPECT_EQ(described.members[0].member_id, b_.member_id);
}

TEST_F(StableGroupTest, AMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsDropped) {
  PendingJoin c;
  join_new(c);  // a newcomer starts a rebalance
  PendingJoin a;
  groups_->join_group(join_params(a_.member_id), a.callback());
  EXPECT_FALSE(a.result.has_value());
  // b heartbeats (so its session holds) but never rejoins.
  for (int64_t waited = 0; waited + 2000 < kRebalance; waited += 2000) {
    advance(2000);
    EXPECT_EQ(groups_->heartbeat("g", b_.generation_id, b_.member_id, std::nullopt),
              ErrorCode::kRebalanceInProgress);
    EXPECT_FALSE(a.result.has_value());
  }
  advance(2000);
  ASSERT_TRUE(a.result && c.result);
  EXPECT_EQ(a.result->generation_id, a_.generation_id + 1);
  auto described = groups_->describe_group("g");
  EXPECT_EQ(described.members.size(), 2u);
  for (const auto& member : described.members) EXPECT_NE(member.member_id, b_.member_id);
}

TEST_F(StableGroupTest, LeavingRebalancesAndTheLastMemberLeavingEmptiesTheGroup) {
  LeaveGroupResult left = groups_->leave_group("g", {{a_.member_id, std::nullopt}});
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0], ErrorCode::kNone);
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  left = groups_->leave_group("g", {{b_.member_id, std::nullopt}});
  EXPECT_EQ(left.members[0], ErrorCode::kNone);
  EXPECT_EQ(state(), GroupState::kEmpty);
  left = groups_->leave_group("g", {{b_.member_id, std::nullopt}});
  EXPECT_EQ(left.members[0], ErrorCode::kUnknownMemberId);
}

TEST_F(StableGroupTest, ARejoiningFollowerWithUnchangedMetadataCausesNoRebalance) {
  const std::string follower = a_.leader_id == a_.member_id ? b_.member_id : a_.member_id;
  PendingJoin again;
  groups_->join_group(join_params(follower), again.callback());
  ASSERT_TRUE(again.result.has_value());
  EXPECT_EQ(again.result->generation_id, a_.generation_id);
  EXPECT_EQ(state(), GroupState::kStable);
}

TEST_F(StableGroupTest, ANewSubscriptionRebalancesAndSyncsWaitingFromTheOldGenerationAreFailed) {
  PendingJoin a;
  groups_->join_group(join_params(a_.member_id, std::nullopt, {"range"}, subscription({"t", "u"})),
                      a.callback());
  EXPECT_FALSE(a.result.has_value());
  EXPECT_EQ(state(), GroupState::kPreparingRebalance);
  PendingSync late;
  groups_->sync_group(sync_params(b_), late.callback());
  ASSERT_TRUE(late.result.has_value());
  EXPECT_EQ(late.result->error, ErrorCode::kRebalanceInProgress);
}

TEST_F(StableGroupTest, MemberCommitsAreCheckedAgainstMembershipAndGeneration) {
  auto commit = [&](int32_t generation, std::string member) {
    OffsetCommitParams params;
    params.group_id = "g";
    params.generation_id = generation;
    params.member_id = std::move(member);
    params.offsets.push_back({TopicPartition{"t", 0}, CommittedOffset{.offset = 42}});
    return groups_->commit_offsets(params).at(0);
  };
  EXPECT_EQ(commit(a_.generation_id, a_.member_id), ErrorCode::kNone);
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 42);
  EXPECT_EQ(commit(a_.generation_id - 1, a_.member_id), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(commit(a_.generation_id, "nobody"), ErrorCode::kUnknownMemberId);
  // A simple (non-member) commit is refused while the group has members.
  EXPECT_EQ(commit(-1, ""), ErrorCode::kUnknownMemberId);
  // Members may still commit while a rebalance is being prepared (before they rejoin)...
  PendingJoin c;
  join_new(c);
  EXPECT_EQ(commit(a_.generation_id, a_.member_id), ErrorCode::kNone);
  // ...but not between the join and the leader's assignment.
  PendingJoin a, b;
  groups_->join_group(join_params(a_.member_id), a.callback());
  groups_->join_group(join_params(b_.member_id), b.callback());
  ASSERT_TRUE(a.result.has_value());
  EXPECT_EQ(state(), GroupState::kCompletingRebalance);
  EXPECT_EQ(commit(a.result->generation_id, a_.member_id), ErrorCode::kRebalanceInProgress);
}

TEST_F(StableGroupTest, TransactionalCommitsAreCheckedAgainstMembershipAndGenerationKip447) {
  auto commit = [&](int32_t generation, std::string member,
                    std::optional<std::string> instance = std::nullopt) {
    OffsetCommitParams params;
    params.group_id = "g";
    params.generation_id = generation;
    params.member_id = std::move(member);
    params.group_instance_id = std::move(instance);
    params.offsets.push_back({TopicPartition{"t", 0}, CommittedOffset{.offset = 42}});
    return groups_->commit_transactional_offsets(params, /*producer_id=*/7, /*epoch=*/0).at(0);
  };
  EXPECT_EQ(commit(a_.generation_id - 1, a_.member_id), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(commit(a_.generation_id, "nobody"), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(commit(a_.generation_id, a_.member_id), ErrorCode::kNone);
  // Pending in the producer's transaction: not a committed offset yet.
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->pending("g", 7).at({"t", 0}).offset, 42);
  // Unlike a plain commit, a transactional one is taken between the join and the assignment:
  // the producer commits what it processed in the generation it knew (KIP-447).
  PendingJoin a, b;
  groups_->join_group(join_params(a_.member_id), a.callback());
  groups_->join_group(join_params(b_.member_id), b.callback());
  ASSERT_TRUE(a.result.has_value());
  ASSERT_EQ(state(), GroupState::kCompletingRebalance);
  EXPECT_EQ(commit(a.result->generation_id, a_.member_id), ErrorCode::kNone);
  EXPECT_EQ(commit(a_.generation_id, a_.member_id), ErrorCode::kIllegalGeneration);
}

TEST_F(GroupCoordinatorTest, ATransactionalCommitFromAFencedStaticMemberIsRefused) {
  PendingJoin first;
  groups_->join_group(join_params({}, "instance-1"), first.callback());
  advance(kInitialDelay);
  ASSERT_TRUE(first.result.has_value());
  ASSERT_EQ(first.result->error, ErrorCode::kNone);
  OffsetCommitParams params;
  params.group_id = "g";
  params.generation_id = first.result->generation_id;
  params.member_id = "an-older-member-id";
  params.group_instance_id = "instance-1";
  params.offsets.push_back({TopicPartition{"t", 0}, CommittedOffset{.offset = 1}});
  EXPECT_EQ(groups_->commit_transactional_offsets(params, 7, 0).at(0),
            ErrorCode::kFencedInstanceId);
  params.member_id = first.result->member_id;
  EXPECT_EQ(groups_->commit_transactional_offsets(params, 7, 0).at(0), ErrorCode::kNone);
}

TEST_F(GroupCoordinatorTest, TransactionalCommitsFromOutsideAGroupNeedNoMembership) {
  OffsetCommitParams params;
  params.group_id = "unknown";
  params.offsets.push_back({TopicPartition{"t", 0}, CommittedOffset{.offset = 5}});
  EXPECT_EQ(groups_->commit_transactional_offsets(params, 7, 0).at(0), ErrorCode::kNone);
  params.generation_id = 3;
  params.member_id = "someone";
  EXPECT_EQ(groups_->commit_transactional_offsets(params, 7, 0).at(0), ErrorCode::kUnknownMemberId);
}

TEST_F(StableGroupTest, OnlyAnEmptyGroupCanBeDeletedAndItsOffsetsGoWithIt) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, CommittedOffset{.offset = 3}}}).ok());
  EXPECT_EQ(groups_->delete_group("g"), ErrorCode::kNonEmptyGroup);
  groups_->leave_group("g", {{a_.member_id, std::nullopt}, {b_.member_id, std::nullopt}});
  EXPECT_EQ(state(), GroupState::kEmpty);
  EXPECT_EQ(groups_->delete_group("g"), ErrorCode::kNone);
  EXPECT_FALSE(offsets_->has_offsets("g"));
  EXPECT_EQ(state(), GroupState::kDead);
  EXPECT_EQ(groups_->delete_group("g"), ErrorCode::kGroupIdNotFound);
}

TEST_F(StableGroupTest, AnEmptyGroupKeepsItsProtocolTypeWhileItHasOffsets) {
  // Kafka keeps "consumer" once the last member has left; tools tell consumer groups by it.
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, CommittedOffset{.offset = 3}}}).ok());
  groups_->leave_group("g", {{a_.member_id, std::nullopt}, {b_.member_id, std::nullopt}});
  advance(1000);  // tick() forgets the Empty group's members
  auto listed = groups_->list_groups();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, GroupState::kEmpty);
  EXPECT_EQ(listed[0].protocol_type, "consumer");
  auto described = groups_->describe_group("g");
  EXPECT_EQ(described.state, GroupState::kEmpty);
  EXPECT_EQ(described.protocol_type, "consumer");
  EXPECT_TRUE(described.members.empty());
  // Deleted, then only committed to from outside group management: no protocol type.
  EXPECT_EQ(groups_->delete_group("g"), ErrorCode::kNone);
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, CommittedOffset{.offset = 4}}}).ok());
  EXPECT_EQ(groups_->describe_group("g").protocol_type, "");
}

TEST_F(StableGroupTest, OffsetsOfTopicsAMemberSubscribesToCannotBeDeleted) {
  ASSERT_TRUE(offsets_
                  ->commit("g", {{{"t", 0}, CommittedOffset{.offset = 3}},
                                 {{"old", 0}, CommittedOffset{.offset = 4}}})
                  .ok());
  auto [error, errors] = groups_->delete_offsets("g", {{"t", 0}, {"old", 0}});
  EXPECT_EQ(error, ErrorCode::kNone);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], ErrorCode::kGroupSubscribedToTopic);
  EXPECT_EQ(errors[1], ErrorCode::kNone);
  EXPECT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_FALSE(offsets_->fetch("g", {"old", 0}).has_value());
  EXPECT_EQ(groups_->delete_offsets("nope", {{"t", 0}}).first, ErrorCode::kGroupIdNotFound);
}

TEST_F(GroupCoordinatorTest, CommitsFromOutsideAGroupWorkForEmptyAndUnknownGroups) {
  OffsetCommitParams params;
  params.group_id = "simple";
  params.generation_id = -1;
  params.offsets.push_back({TopicPartition{"t", 1}, CommittedOffset{.offset = 8, .metadata = "m"}});
  EXPECT_EQ(groups_->commit_offsets(params).at(0), ErrorCode::kNone);
  EXPECT_EQ(offsets_->fetch("simple", {"t", 1})->metadata, "m");
  // A member's commit to a group this coordinator has no generation of (after a restart).
  params.generation_id = 4;
  params.member_id = "gone";
  EXPECT_EQ(groups_->commit_offsets(params).at(0), ErrorCode::kIllegalGeneration);
  // Too much metadata is refused per partition.
  params.generation_id = -1;
  params.member_id.clear();
  params.offsets[0].second.metadata = std::string(5000, 'x');
  EXPECT_EQ(groups_->commit_offsets(params).at(0), ErrorCode::kOffsetMetadataTooLarge);
  // The group is listed (Empty) because it has offsets.
  auto listed = groups_->list_groups();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_id, "simple");
  EXPECT_EQ(listed[0].state, GroupState::kEmpty);
}

TEST_F(GroupCoordinatorTest, ARestartedStaticMemberGetsItsAssignmentBackWithoutARebalance) {
  PendingJoin a, b;
  join_new(a, "instance-a");
  join_new(b, "instance-b");
  advance(kInitialDelay);
  ASSERT_TRUE(a.result && b.result);
  const bool a_leads = a.result->leader_id == a.result->member_id;
  PendingSync follower, leader;
  groups_->sync_group(sync_params(a_leads ? *b.result : *a.result), follower.callback());
  groups_->sync_group(sync_params(a_leads ? *a.result : *b.result,
                                  {{a.result->member_id, Bytes::from_string("A")},
                                   {b.result->member_id, Bytes::from_string("B")}}),
                      leader.callback());
  ASSERT_EQ(state(), GroupState::kStable);
  const int32_t generation = a.result->generation_id;

  // instance-a restarts: a first join with no member id but its instance id.
  PendingJoin again;
  groups_->join_group(join_params({}, "instance-a"), again.callback());
  ASSERT_TRUE(again.result.has_value());
  EXPECT_EQ(again.result->error, ErrorCode::kNone);
  EXPECT_EQ(again.result->generation_id, generation);
  EXPECT_NE(again.result->member_id, a.result->member_id);
  EXPECT_EQ(state(), GroupState::kStable);
  PendingSync sync;
  groups_->sync_group(sync_params(*again.result), sync.callback());
  ASSERT_TRUE(sync.result.has_value());
  EXPECT_EQ(sync.result->assignment, Bytes::from_string("A"));
  // The old incarnation is fenced.
  EXPECT_EQ(groups_->heartbeat("g", generation, a.result->member_id, "instance-a"),
            ErrorCode::kFencedInstanceId);
  EXPECT_EQ(groups_->heartbeat("g", generation, again.result->member_id, "instance-a"),
            ErrorCode::kNone);
}

TEST_F(GroupCoordinatorTest, TheProtocolIsOneEveryMemberSupports) {
  PendingJoin a, b;
  groups_->join_group(join_params({}, "a", {"cooperative-sticky", "range"}), a.callback());
  groups_->join_group(join_params({}, "b", {"roundrobin", "range"}), b.callback());
  PendingJoin c;
  groups_->join_group(join_params({}, "c", {"roundrobin"}), c.callback());
  ASSERT_TRUE(c.result.has_value());
  EXPECT_EQ(c.result->error, ErrorCode::kInconsistentGroupProtocol);
  advance(kInitialDelay);
  ASSERT_TRUE(a.result && b.result);
  EXPECT_EQ(a.result->protocol_name, "range");
}

TEST_F(GroupCoordinatorTest, SessionTimeoutsOutsideTheBrokersBoundsAreRefused) {
  auto params = join_params();
  params.session_timeout_ms = 999;
  PendingJoin join;
  groups_->join_group(params, join.callback());
  ASSERT_TRUE(join.result.has_value());
  EXPECT_EQ(join.result->error, ErrorCode::kInvalidSessionTimeout);
}

TEST_F(GroupCoordinatorTest, AnUnansweredMemberIdExpiresAfterTheSessionTimeout) {
  PendingJoin first;
  groups_->join_group(join_params(), first.callback());
  const std::string id = first.result->member_id;
  advance(kSession);
  PendingJoin late;
  groups_->join_group(join_params(id), late.callback());
  ASSERT_TRUE(late.result.has_value());
  EXPECT_EQ(late.result->error, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, CallbacksRunOutsideTheLockSoTheyMayCallBack) {
  PendingJoin first;
  groups_->join_group(join_params(), first.callback());
  std::optional<ErrorCode> heartbeat;
  groups_->join_group(join_params(first.result->member_id), [&](JoinGroupResult result) {
    heartbeat = groups_->heartbeat("g", result.generation_id, result.member_id, std::nullopt);
  });
  advance(kInitialDelay);
  ASSERT_TRUE(heartbeat.has_value());
  EXPECT_EQ(*heartbeat, ErrorCode::kNone);
}

TEST_F(GroupCoordinatorTest, ShuttingDownAnswersWaitingJoinsAndLaterRequests) {
  PendingJoin join;
  join_new(join);
  groups_->shut_down();
  ASSERT_TRUE(join.result.has_value());
  EXPECT_EQ(join.result->error, ErrorCode::kCoordinatorNotAvailable);
  PendingJoin later;
  groups_->join_group(join_params(), later.callback());
  ASSERT_TRUE(later.result.has_value());
  EXPECT_EQ(later.result->error, ErrorCode::kCoordinatorNotAvailable);
}

// Members on their own threads join, sync, heartbeat, commit and leave while another thread
// moves the clock and ticks (so sessions expire and rebalances time out at random points).
// Every request must be answered exactly once and the group must end Empty; run under
// -DRUNNEL_SANITIZE=address,undefined this also checks the locking for memory errors.
TEST_F(GroupCoordinatorTest, ConcurrentMembersAreEachAnsweredExactlyOnce) {
  constexpr int kMembers = 6;
  constexpr int kRounds = 30;
  std::atomic<bool> stop{false};
  std::atomic<int> answered_twice{0};
  std::atomic<int> stable_syncs{0};
  std::atomic<int> accepted_commits{0};
  std::thread ticker([&] {
    while (!stop) {
      advance(500);
      std::this_thread::yield();
    }
  });
  // Waits for an answer that may come from any thread. The bound only turns a lost answer
  // into a failure instead of a hang.
  auto await = [&](auto& promise_state) {
    auto future = promise_state->promise.get_future();
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      ADD_FAILURE() << "a request was never answered";
      stop = true;
      return decltype(future.get()){};
    }
    return future.get();
  };
  auto run_member = [&](int index) {
    std::string member_id;
    for (int round = 0; round < kRounds && !stop; ++round) {
      auto params = join_params(member_id);
      params.client_id = "member-" + std::to_string(index);
      auto join = std::make_shared<Answer<JoinGroupResult>>();
      groups_->join_group(params, [join, &answered_twice](JoinGroupResult result) {
        if (join->answered.exchange(true)) ++answered_twice;
        join->promise.set_value(std::move(result));
      });
      JoinGroupResult joined = await(join);
      if (joined.error == ErrorCode::kMemberIdRequired) {
        member_id = joined.member_id;
        continue;
      }
      if (joined.error != ErrorCode::kNone) {
        member_id.clear();
        continue;
      }
      member_id = joined.member_id;
      SyncGroupParams sync = sync_params(joined);
      if (joined.leader_id == joined.member_id) {
        for (const auto& member : joined.members) {
          sync.assignments.emplace_back(member.member_id, Bytes::from_string(member.member_id));
        }
      }
      auto synced = std::make_shared<Answer<SyncGroupResult>>();
      groups_->sync_group(sync, [synced, &answered_twice](SyncGroupResult result) {
        if (synced->answered.exchange(true)) ++answered_twice;
        synced->promise.set_value(std::move(result));
      });
      SyncGroupResult assignment = await(synced);
      if (assignment.error == ErrorCode::kNone) {
        EXPECT_EQ(assignment.assignment, Bytes::from_string(member_id));
        ++stable_syncs;
      }
      OffsetCommitParams commit;
      commit.group_id = "g";
      commit.generation_id = joined.generation_id;
      commit.member_id = member_id;
      commit.offsets.push_back({TopicPartition{"t", index}, CommittedOffset{.offset = round}});
      if (groups_->commit_offsets(commit).at(0) == ErrorCode::kNone) ++accepted_commits;
      const ErrorCode beat = groups_->heartbeat("g", joined.generation_id, member_id, std::nullopt);
      if (beat == ErrorCode::kUnknownMemberId) member_id.clear();
      if (round % 7 == index % 7) {
        groups_->leave_group("g", {{member_id, std::nullopt}});
        member_id.clear();
      }
    }
    if (!member_id.empty()) groups_->leave_group("g", {{member_id, std::nullopt}});
  };
  std::vector<std::thread> members;
  for (int i = 0; i < kMembers; ++i) members.emplace_back(run_member, i);
  for (auto& member : members) member.join();
  stop = true;
  ticker.join();
  EXPECT_EQ(answered_twice.load(), 0);
  // The run went through whole rebalances, not only refusals.
  EXPECT_GT(stable_syncs.load(), 0);
  EXPECT_GT(accepted_commits.load(), 0);
  std::printf("%d syncs answered with an assignment, %d commits accepted\n", stable_syncs.load(),
              accepted_commits.load());
  advance(kSession);  // ids handed out with MEMBER_ID_REQUIRED and never used expire
  const GroupDescription described = groups_->describe_group("g");
  EXPECT_TRUE(described.members.empty());
  EXPECT_NE(described.state, GroupState::kStable);
}

}  // namespace
}  // namespace runnel::broker

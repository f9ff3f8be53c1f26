#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/admin.h"
#include "core/client/topic_partition.h"
#include "runtime/streams_metadata.h"

namespace runnel::internal {

// What a stream thread's consumer tells the rest of its group about its instance: Kafka
// Streams' SubscriptionInfo, reduced to what Runnel uses (the process id, which groups an
// instance's threads, and application.server, where the instance answers queries).
//
// Kafka Streams carries it as the subscription's user data, which its own partition assignor
// reads on the group leader. librdkafka (2.0, the client Runnel uses) lets an application
// plug in neither an assignor nor subscription user data, so Runnel carries it in the one
// field of a member that its own client sets and the coordinator hands to everyone: the
// consumer's client.id, which DescribeGroups returns beside the member's assignment (see
// GroupAssignment below). The encoding is appended to the thread's own client id:
//
//   <client id>|rs|<version>|<latest supported version>|<process id>|<application.server>
//
// Version 1 has the two fields shown; a later version appends fields after them and never
// changes these, so a version-1 reader reads a newer member's application.server, and a
// newer reader reads a version-1 member's (missing later fields are absent). A member
// without the marker (an instance from before this encoding) has version 0: it is in the
// group and runs tasks, but names no host.
struct MemberInfo {
  static constexpr std::int32_t kLatestVersion = 1;

  std::int32_t version = kLatestVersion;
  std::int32_t latest_supported_version = kLatestVersion;
  std::string process_id;
  std::optional<HostInfo> application_server;
};

// `client_id` with `info` appended as above.
std::string encode_member_info(std::string_view client_id, const MemberInfo& info);
// The member info a member's client id carries; version 0 (nothing else set) for a client id
// without one or with one that does not parse (a member is never refused for its client id).
MemberInfo decode_member_info(std::string_view client_id);

// Kafka Streams' AssignmentInfo as seen by every member: for each application.server, the
// input partitions its instance runs active tasks of, and those it keeps standby tasks of
// (none yet: Runnel has no standby replicas). Built from the coordinator's description of
// the group (each member's client id and assigned partitions), so it is the assignment the
// group leader handed out, as every member sees it alike. Members that name no host (version
// 0, or no application.server) are left out, as Kafka Streams leaves them out of its
// metadata.
struct HostPartitions {
  std::set<client::TopicPartition> active;
  std::set<client::TopicPartition> standby;

  friend bool operator==(const HostPartitions&, const HostPartitions&) = default;
};
using GroupAssignment = std::map<HostInfo, HostPartitions>;

GroupAssignment group_assignment(const client::GroupDescription& group);

}  // namespace runnel::internal

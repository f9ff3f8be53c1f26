#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/topic_partition.h"
#include "core/result.h"
#include "operators/task_id.h"

namespace runnel {

// Where an instance of an application answers queries: its application.server (Kafka
// Streams' HostInfo). Runnel never listens there itself: the application serves its stores
// there (examples/interactive_queries/ does it over HTTP).
struct HostInfo {
  std::string host;
  std::int32_t port = 0;

  // "host:port" (an IPv6 host in brackets: "[::1]:8080"); InvalidArgument for an empty host
  // or a port outside 1..65535.
  [[nodiscard]] static Result<HostInfo> parse(std::string_view text);
  std::string to_string() const;

  friend auto operator<=>(const HostInfo&, const HostInfo&) = default;
};

// Where a key of a store lives (Kafka Streams' KeyQueryMetadata): the partition the store's
// source partitioner gives it among the partitions of the sub-topology that owns the store,
// that partition's task, whether this instance runs that task now, and which instances do.
struct KeyQueryMetadata {
  std::int32_t partition = -1;
  TaskId task;
  bool local = false;
  // The application.server of the instance running the task (its active replica). Unset when
  // this instance has no application.server (only `local` is known then).
  std::optional<HostInfo> active_host;
  // The instances keeping a standby replica of the task. Always empty today: Runnel has no
  // standby replicas yet (num.standby.replicas); the field is there for when it does.
  std::vector<HostInfo> standby_hosts;
};

// One instance of an application as the group's current assignment shows it (Kafka
// Streams' StreamsMetadata): its application.server, the stores it holds active (standby)
// tasks of, and the input partitions of those tasks.
struct StreamsMetadata {
  HostInfo host;
  std::set<std::string> state_store_names;
  std::set<client::TopicPartition> topic_partitions;
  std::set<std::string> standby_state_store_names;            // Empty: no standbys yet.
  std::set<client::TopicPartition> standby_topic_partitions;  // Empty: no standbys yet.

  friend bool operator==(const StreamsMetadata&, const StreamsMetadata&) = default;
};

}  // namespace runnel

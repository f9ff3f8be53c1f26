#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client/client_config.h"
#include "core/client/internal/rdkafka_handle.h"
#include "core/client/topic_partition.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::client {

// A topic to create.
struct NewTopic {
  std::string name;
  std::int32_t partitions = 1;
  std::int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // "cleanup.policy" = "compact", ...
};

// What the cluster says of one topic.
struct TopicDescription {
  std::string name;
  std::int32_t partitions = 0;
};

// A consumer group as the cluster lists it.
struct GroupListing {
  std::string group_id;
  std::string state;  // "Stable", "Empty", "PreparingRebalance", ... as Kafka names them.
};

// One member of a consumer group and the partitions it is assigned.
struct GroupMember {
  std::string member_id;
  std::string group_instance_id;  // Empty unless the member is static.
  std::string client_id;
  std::string host;
  std::vector<TopicPartition> assignment;
};

// A consumer group's state and members.
struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string assignor;  // The partition assignor the members chose ("range", ...).
  std::vector<GroupMember> members;
};

// Topic and group administration: librdkafka's Admin API and metadata. Works against runneld and
// any Kafka cluster. Thread safety: safe to use from several threads.
class Admin {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Admin>> create(const ClientConfig& config);

  // Creates `topics`; the result has one Status per topic, in order (already_exists_error
  // for a topic that exists). The call fails as a whole only when the cluster cannot be
  // asked at all. `validate_only` checks without creating.
  [[nodiscard]] Result<std::vector<Status>> create_topics(const std::vector<NewTopic>& topics,
                                                          std::chrono::milliseconds timeout,
                                                          bool validate_only = false);
  // Deletes `topics`; one Status per topic, in order (not_found_error for an unknown one).
  [[nodiscard]] Result<std::vector<Status>> delete_topics(const std::vector<std::string>& topics,
                                                          std::chrono::milliseconds timeout);
  // Every topic of the cluster, by name.
  [[nodiscard]] Result<std::vector<TopicDescription>> list_topics(
      std::chrono::milliseconds timeout);
  // One topic; not_found_error when the cluster does not have it. Never creates it.
  [[nodiscard]] Result<TopicDescription> describe_topic(const std::string& name,
                                                        std::chrono::milliseconds timeout);

  // Every consumer group the cluster knows.
  [[nodiscard]] Result<std::vector<GroupListing>> list_groups(std::chrono::milliseconds timeout);
  // One group's state and members; a group nobody knows is described as "Dead" with no
  // members, as Kafka does.
  [[nodiscard]] Result<GroupDescription> describe_group(const std::string& group_id,
                                                        std::chrono::milliseconds timeout);
  // The group's committed offsets, for every partition it has committed.
  [[nodiscard]] Result<std::vector<TopicPartitionOffset>> list_group_offsets(
      const std::string& group_id, std::chrono::milliseconds timeout);
  // Deletes `group_id` with its committed offsets; refused (an error naming the group)
  // while it has members.
  [[nodiscard]] Status delete_group(const std::string& group_id, std::chrono::milliseconds timeout);

 private:
  explicit Admin(internal::RdKafkaHandle handle) : handle_(std::move(handle)) {}

  internal::RdKafkaHandle handle_;
};

}  // namespace runnel::client

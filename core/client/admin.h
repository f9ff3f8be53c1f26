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

// Topic administration: librdkafka's Admin API and metadata. Works against runneld and any
// Kafka cluster. Thread safety: safe to use from several threads.
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

 private:
  explicit Admin(internal::RdKafkaHandle handle) : handle_(std::move(handle)) {}

  internal::RdKafkaHandle handle_;
};

}  // namespace runnel::client

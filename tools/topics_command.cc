#include "tools/topics_command.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/delete_records_request.h"
#include "broker/protocol/generated/delete_records_response.h"
#include "broker/protocol/generated/describe_configs_request.h"
#include "broker/protocol/generated/describe_configs_response.h"
#include "broker/protocol/generated/describe_log_dirs_request.h"
#include "broker/protocol/generated/describe_log_dirs_response.h"
#include "broker/protocol/generated/incremental_alter_configs_request.h"
#include "broker/protocol/generated/incremental_alter_configs_response.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/metadata_response.h"
#include "core/client/consumer.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

struct CreateOptions {
  std::string topic;
  int partitions = 1;
  std::vector<std::string> configs;
  bool if_not_exists = false;
};

int create_topic(const ClusterConnection& cluster, const CreateOptions& options) {
  client::NewTopic topic{options.topic, options.partitions, 1, {}};
  for (const std::string& config : options.configs) {
    const auto equals = config.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(invalid_argument_error("--config " + config + ": expected NAME=VALUE"));
    }
    topic.configs[config.substr(0, equals)] = config.substr(equals + 1);
  }
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto results = (*admin)->create_topics({topic}, cluster.timeout);
  if (!results.ok()) return fail(results.status());
  const Status& created = results->front();
  if (created.code() == StatusCode::kAlreadyExists && options.if_not_exists) return 0;
  if (!created.ok()) return fail(created);
  std::printf("created topic %s with %d partition(s)\n", options.topic.c_str(), options.partitions);
  return 0;
}

int list_topics(const ClusterConnection& cluster) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto topics = (*admin)->list_topics(cluster.timeout);
  if (!topics.ok()) return fail(topics.status());
  std::sort(topics->begin(), topics->end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& topic : *topics) std::printf("%s\n", topic.name.c_str());
  return 0;
}

// Kafka's ConfigSource names, as kafka-configs.sh prints them.
const char* config_source_name(int8_t source) {
  switch (source) {
    case 1:
      return "DYNAMIC_TOPIC_CONFIG";
    case 2:
      return "DYNAMIC_BROKER_CONFIG";
    case 3:
      return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case 4:
      return "STATIC_BROKER_CONFIG";
    case 5:
      return "DEFAULT_CONFIG";
    case 6:
      return "DYNAMIC_BROKER_LOGGER_CONFIG";
    default:
      return "UNKNOWN";
  }
}

// Versions every Kafka release since 2.0 serves: DescribeConfigs 1 has each config's source;
// DescribeLogDirs 1 the partitions' sizes.
constexpr int16_t kDescribeConfigsVersion = 1;
constexpr int16_t kDescribeLogDirsVersion = 1;
constexpr int16_t kDescribeMetadataVersion = 4;

struct TopicDetails {
  std::map<int32_t, int64_t> partition_bytes;  // On the partition's leader.
  std::vector<broker::DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult>
      configs;
};

// The topic's configs (from the bootstrap broker, which answers for any topic) and the size of
// each partition on its leader (DescribeLogDirs, which each broker answers for its own logs).
Result<TopicDetails> topic_details(const ClusterConnection& cluster, const std::string& name) {
  TopicDetails details;
  RUNNEL_ASSIGN_OR_RETURN(auto bootstrap, cluster.connect_wire(cluster.bootstrap_server));
  broker::DescribeConfigsRequest configs_request;
  configs_request.resources.push_back(
      {.resource_type = 2, .resource_name = name, .configuration_keys = std::nullopt});
  RUNNEL_ASSIGN_OR_RETURN(auto configs, bootstrap->call<broker::DescribeConfigsResponse>(
                                            configs_request, kDescribeConfigsVersion));
  if (configs.results.size() != 1) {
    return corruption_error("DescribeConfigs: one result expected");
  }
  if (configs.results[0].error_code != 0) {
    return unavailable_error(fmt::format("configs of topic {}: {}", name,
                                         broker::error_name(configs.results[0].error_code)));
  }
  details.configs = std::move(configs.results[0].configs);
  std::sort(details.configs.begin(), details.configs.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });

  broker::MetadataRequest metadata_request;
  metadata_request.topics.emplace().push_back({.name = name});
  metadata_request.allow_auto_topic_creation = false;
  RUNNEL_ASSIGN_OR_RETURN(auto metadata, bootstrap->call<broker::MetadataResponse>(
                                             metadata_request, kDescribeMetadataVersion));
  std::map<int32_t, std::string> broker_address;
  for (const auto& broker : metadata.brokers) {
    broker_address[broker.node_id] = fmt::format("{}:{}", broker.host, broker.port);
  }
  std::map<int32_t, std::vector<int32_t>> partitions_by_leader;
  for (const auto& topic : metadata.topics) {
    for (const auto& partition : topic.partitions) {
      partitions_by_leader[partition.leader_id].push_back(partition.partition_index);
    }
  }
  for (const auto& [leader, partitions] : partitions_by_leader) {
    auto address = broker_address.find(leader);
    if (address == broker_address.end()) continue;  // No leader now: no size to show.
    RUNNEL_ASSIGN_OR_RETURN(auto client, cluster.connect_wire(address->second));
    broker::DescribeLogDirsRequest request;
    request.topics.emplace().push_back({.topic = name, .partitions = partitions});
    RUNNEL_ASSIGN_OR_RETURN(auto response, client->call<broker::DescribeLogDirsResponse>(
                                               request, kDescribeLogDirsVersion));
    for (const auto& dir : response.results) {
      if (dir.error_code != 0) continue;
      for (const auto& topic : dir.topics) {
        if (topic.name != name) continue;
        for (const auto& partition : topic.partitions) {
          // A partition moving between a broker's log dirs shows twice: its future copy is
          // not the one served.
          if (!partition.is_future_key) {
            details.partition_bytes[partition.partition_index] += partition.partition_size;
          }
        }
      }
    }
  }
  return details;
}

int describe_topic(const ClusterConnection& cluster, const std::string& name) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto topic = (*admin)->describe_topic(name, cluster.timeout);
  if (!topic.ok()) return fail(topic.status());
  auto consumer = client::Consumer::create(cluster.client_config());
  if (!consumer.ok()) return fail(consumer.status());
  auto details = topic_details(cluster, name);
  if (!details.ok()) return fail(details.status());
  std::printf("topic %s: %d partition(s)\n", topic->name.c_str(), topic->partitions);
  std::printf("%-10s %15s %15s %12s %14s\n", "partition", "start offset", "end offset", "records",
              "size (bytes)");
  for (int32_t p = 0; p < topic->partitions; ++p) {
    auto marks = (*consumer)->watermark_offsets({name, p}, cluster.timeout);
    if (!marks.ok()) return fail(marks.status());
    auto size = details->partition_bytes.find(p);
    const std::string bytes =
        size == details->partition_bytes.end() ? "-" : std::to_string(size->second);
    std::printf("%-10d %15lld %15lld %12lld %14s\n", p, static_cast<long long>(marks->first),
                static_cast<long long>(marks->second),
                static_cast<long long>(marks->second - marks->first), bytes.c_str());
  }
  std::printf("\n%-40s %-30s %s\n", "config", "value", "source");
  for (const auto& config : details->configs) {
    const std::string value = config.is_sensitive ? "(sensitive)" : config.value.value_or("(null)");
    std::printf("%-40s %-30s %s\n", config.name.c_str(), value.c_str(),
                config_source_name(config.config_source));
  }
  return 0;
}

int delete_topics(const ClusterConnection& cluster, const std::vector<std::string>& names) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto results = (*admin)->delete_topics(names, cluster.timeout);
  if (!results.ok()) return fail(results.status());
  int code = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if ((*results)[i].ok()) {
      std::printf("deleted topic %s\n", names[i].c_str());
    } else {
      code = fail((*results)[i]);
    }
  }
  return code;
}

struct DeleteRecordsOptions {
  std::string topic;
  std::vector<int32_t> partitions;  // empty: every partition
  int64_t before = -1;              // -1: the high watermark (everything)
};

// Versions every Kafka release since DeleteRecords (1.1) serves; Metadata 4 so that asking
// about a topic does not create it.
constexpr int16_t kDeleteRecordsMetadataVersion = 4;
constexpr int16_t kDeleteRecordsVersion = 0;

// DeleteRecords goes to each partition's leader, found with a Metadata request (librdkafka
// 2.0's DeleteRecords is not wrapped by core/client; the wire client is enough here).
int delete_records(const ClusterConnection& cluster, const DeleteRecordsOptions& options) {
  auto bootstrap = cluster.connect_wire(cluster.bootstrap_server);
  if (!bootstrap.ok()) return fail(bootstrap.status());
  broker::MetadataRequest metadata_request;
  metadata_request.topics.emplace().push_back({.name = options.topic});
  metadata_request.allow_auto_topic_creation = false;
  auto metadata =
      (*bootstrap)->call<broker::MetadataResponse>(metadata_request, kDeleteRecordsMetadataVersion);
  if (!metadata.ok()) return fail(metadata.status());
  if (metadata->topics.size() != 1 || metadata->topics[0].error_code != 0) {
    const int16_t error = metadata->topics.empty() ? 3 : metadata->topics[0].error_code;
    return fail(
        not_found_error(fmt::format("topic {}: {}", options.topic, broker::error_name(error))));
  }
  std::map<int32_t, std::string> broker_address;
  for (const auto& broker : metadata->brokers) {
    broker_address[broker.node_id] = fmt::format("{}:{}", broker.host, broker.port);
  }
  std::map<std::string, broker::DeleteRecordsRequest> by_leader;
  std::vector<int32_t> partitions = options.partitions;
  if (partitions.empty()) {
    for (const auto& partition : metadata->topics[0].partitions) {
      partitions.push_back(partition.partition_index);
    }
  }
  for (int32_t index : partitions) {
    const auto& known = metadata->topics[0].partitions;
    auto found = std::find_if(known.begin(), known.end(),
                              [index](const auto& p) { return p.partition_index == index; });
    if (found == known.end()) {
      return fail(invalid_argument_error(
          fmt::format("topic {} has no partition {}", options.topic, index)));
    }
    auto address = broker_address.find(found->leader_id);
    if (address == broker_address.end()) {
      return fail(
          unavailable_error(fmt::format("partition {}-{} has no leader", options.topic, index)));
    }
    broker::DeleteRecordsRequest& request = by_leader[address->second];
    request.timeout_ms = static_cast<int32_t>(cluster.timeout.count());
    if (request.topics.empty()) request.topics.push_back({.name = options.topic, .partitions = {}});
    request.topics[0].partitions.push_back({.partition_index = index, .offset = options.before});
  }
  int code = 0;
  for (const auto& [address, request] : by_leader) {
    auto client = cluster.connect_wire(address);
    if (!client.ok()) return fail(client.status());
    auto response = (*client)->call<broker::DeleteRecordsResponse>(request, kDeleteRecordsVersion);
    if (!response.ok()) return fail(response.status());
    for (const auto& topic : response->topics) {
      for (const auto& partition : topic.partitions) {
        if (partition.error_code != 0) {
          code = fail(unavailable_error(fmt::format("partition {}-{}: {}", topic.name,
                                                    partition.partition_index,
                                                    broker::error_name(partition.error_code))));
        } else {
          std::printf("partition %s-%d now starts at offset %lld\n", topic.name.c_str(),
                      partition.partition_index, static_cast<long long>(partition.low_watermark));
        }
      }
    }
  }
  return code;
}

struct AlterConfigOptions {
  std::string topic;
  std::vector<std::string> set;     // NAME=VALUE
  std::vector<std::string> remove;  // NAME
};

constexpr int16_t kIncrementalAlterConfigsVersion = 0;

// IncrementalAlterConfigs (Kafka 2.3+) to the bootstrap broker, which any broker accepts.
int alter_config(const ClusterConnection& cluster, const AlterConfigOptions& options) {
  broker::IncrementalAlterConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = 2;  // topic
  resource.resource_name = options.topic;
  for (const std::string& config : options.set) {
    const auto equals = config.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(invalid_argument_error("--set " + config + ": expected NAME=VALUE"));
    }
    resource.configs.push_back({.name = config.substr(0, equals),
                                .config_operation = 0,
                                .value = config.substr(equals + 1)});
  }
  for (const std::string& name : options.remove) {
    resource.configs.push_back({.name = name, .config_operation = 1, .value = std::nullopt});
  }
  if (resource.configs.empty()) {
    return fail(invalid_argument_error("nothing to alter: give --set NAME=VALUE or --delete NAME"));
  }
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  auto response = (*client)->call<broker::IncrementalAlterConfigsResponse>(
      request, kIncrementalAlterConfigsVersion);
  if (!response.ok()) return fail(response.status());
  if (response->responses.size() != 1) {
    return fail(corruption_error("IncrementalAlterConfigs: one result expected"));
  }
  const auto& result = response->responses[0];
  if (result.error_code != 0) {
    return fail(invalid_argument_error(
        fmt::format("topic {}: {}{}", options.topic, broker::error_name(result.error_code),
                    result.error_message ? ": " + *result.error_message : std::string())));
  }
  std::printf("altered the config of topic %s\n", options.topic.c_str());
  return 0;
}

}  // namespace

void add_topics_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run) {
  CLI::App* topics = parent.add_subcommand("topics", "Create, list, describe and delete topics");
  topics->require_subcommand(1);

  auto create = std::make_shared<CreateOptions>();
  CLI::App* create_cmd = topics->add_subcommand("create", "Create a topic");
  create_cmd->add_option("topic", create->topic, "Topic name")->required();
  create_cmd->add_option("--partitions,-p", create->partitions, "Number of partitions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  create_cmd->add_option("--config,-c", create->configs,
                         "Topic config NAME=VALUE, repeatable (cleanup.policy=compact, ...)");
  create_cmd->add_flag("--if-not-exists", create->if_not_exists,
                       "Succeed when the topic exists already");
  create_cmd->callback([&cluster, &run, create] {
    run = [&cluster, create] { return create_topic(cluster, *create); };
  });

  topics->add_subcommand("list", "List every topic")->callback([&cluster, &run] {
    run = [&cluster] { return list_topics(cluster); };
  });

  auto describe_name = std::make_shared<std::string>();
  CLI::App* describe = topics->add_subcommand(
      "describe",
      "Show a topic's partitions (start and end offsets, records, size) and its configs with "
      "their source");
  describe->add_option("topic", *describe_name, "Topic name")->required();
  describe->callback([&cluster, &run, describe_name] {
    run = [&cluster, describe_name] { return describe_topic(cluster, *describe_name); };
  });

  auto delete_names = std::make_shared<std::vector<std::string>>();
  CLI::App* remove = topics->add_subcommand("delete", "Delete topics and all their records");
  remove->add_option("topics", *delete_names, "Topic names")->required();
  remove->callback([&cluster, &run, delete_names] {
    run = [&cluster, delete_names] { return delete_topics(cluster, *delete_names); };
  });

  auto delete_records_options = std::make_shared<DeleteRecordsOptions>();
  CLI::App* delete_records_cmd = topics->add_subcommand(
      "delete-records",
      "Delete a topic's records before an offset (moves the partitions' start offset)");
  delete_records_cmd->add_option("topic", delete_records_options->topic, "Topic name")->required();
  delete_records_cmd->add_option("--partition,-p", delete_records_options->partitions,
                                 "Partition, repeatable (default: every partition)");
  delete_records_cmd
      ->add_option("--before", delete_records_options->before,
                   "Delete the records below this offset (-1, the default: every record)")
      ->check(CLI::Range(int64_t{-1}, std::numeric_limits<int64_t>::max()));
  auto alter = std::make_shared<AlterConfigOptions>();
  CLI::App* alter_cmd = topics->add_subcommand(
      "alter-config", "Set or delete topic configs (retention.ms, cleanup.policy, ...) at once");
  alter_cmd->add_option("topic", alter->topic, "Topic name")->required();
  alter_cmd->add_option("--set,-s", alter->set, "NAME=VALUE, repeatable");
  alter_cmd->add_option("--delete,-d", alter->remove, "NAME back to its default, repeatable");
  alter_cmd->callback([&cluster, &run, alter] {
    run = [&cluster, alter] { return alter_config(cluster, *alter); };
  });

  delete_records_cmd->callback([&cluster, &run, delete_records_options] {
    run = [&cluster, delete_records_options] {
      return delete_records(cluster, *delete_records_options);
    };
  });
}

}  // namespace runnel::tools

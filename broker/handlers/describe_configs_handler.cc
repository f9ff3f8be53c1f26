#include "broker/handlers/describe_configs_handler.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "broker/handlers/config_resource.h"
#include "broker/handlers/topic_config_sources.h"
#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using ResourceResult = DescribeConfigsResponse::DescribeConfigsResult;
using Entry = DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult;
using Synonym = DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult::
    DescribeConfigsSynonym;

// Kafka's ConfigSource value of runneld's broker configs (topic configs:
// topic_config_sources.h).
constexpr int8_t kStaticBrokerConfigSource = 4;

// Kafka's ConfigType values (DescribeConfigs v3+).
enum class ConfigType : int8_t {
  kBoolean = 1,
  kString = 2,
  kInt = 3,
  kLong = 5,
  kDouble = 6,
  kList = 7,
};

// The type Kafka's LogConfig and KafkaConfig define each config runneld describes with; a
// config they do not list is a STRING, as the value runneld keeps is.
ConfigType config_type(std::string_view name) {
  static const std::unordered_map<std::string_view, ConfigType> kTypes = {
      {"cleanup.policy", ConfigType::kList},
      {"follower.replication.throttled.replicas", ConfigType::kList},
      {"leader.replication.throttled.replicas", ConfigType::kList},
      {"min.cleanable.dirty.ratio", ConfigType::kDouble},
      {"message.downconversion.enable", ConfigType::kBoolean},
      {"preallocate", ConfigType::kBoolean},
      {"remote.log.copy.disable", ConfigType::kBoolean},
      {"remote.log.delete.on.disable", ConfigType::kBoolean},
      {"remote.storage.enable", ConfigType::kBoolean},
      {"unclean.leader.election.enable", ConfigType::kBoolean},
      {"auto.create.topics.enable", ConfigType::kBoolean},
      {"index.interval.bytes", ConfigType::kInt},
      {"max.message.bytes", ConfigType::kInt},
      {"min.insync.replicas", ConfigType::kInt},
      {"segment.bytes", ConfigType::kInt},
      {"segment.index.bytes", ConfigType::kInt},
      {"broker.id", ConfigType::kInt},
      {"num.partitions", ConfigType::kInt},
      {"default.replication.factor", ConfigType::kInt},
      {"socket.request.max.bytes", ConfigType::kInt},
      {"num.network.threads", ConfigType::kInt},
      {"log.segment.bytes", ConfigType::kInt},
      {"message.max.bytes", ConfigType::kInt},
      {"delete.retention.ms", ConfigType::kLong},
      {"file.delete.delay.ms", ConfigType::kLong},
      {"flush.messages", ConfigType::kLong},
      {"flush.ms", ConfigType::kLong},
      {"local.retention.bytes", ConfigType::kLong},
      {"local.retention.ms", ConfigType::kLong},
      {"max.compaction.lag.ms", ConfigType::kLong},
      {"message.timestamp.after.max.ms", ConfigType::kLong},
      {"message.timestamp.before.max.ms", ConfigType::kLong},
      {"message.timestamp.difference.max.ms", ConfigType::kLong},
      {"min.compaction.lag.ms", ConfigType::kLong},
      {"retention.bytes", ConfigType::kLong},
      {"retention.ms", ConfigType::kLong},
      {"segment.jitter.ms", ConfigType::kLong},
      {"segment.ms", ConfigType::kLong},
      {"connections.max.idle.ms", ConfigType::kLong},
      {"log.roll.ms", ConfigType::kLong},
      {"log.retention.ms", ConfigType::kLong},
      {"log.retention.bytes", ConfigType::kLong},
      {"log.retention.check.interval.ms", ConfigType::kLong},
      {"log.cleaner.backoff.ms", ConfigType::kLong},
      {"log.flush.interval.messages", ConfigType::kLong},
      {"log.flush.interval.ms", ConfigType::kLong},
  };
  auto found = kTypes.find(name);
  return found != kTypes.end() ? found->second : ConfigType::kString;
}

Entry make_entry(const ConfigEntry& config, int8_t source, bool include_synonyms) {
  Entry entry;
  entry.name = config.name;
  entry.value = config.value;
  entry.read_only = config.read_only;
  entry.is_default = config.is_default;
  entry.config_source = source;
  entry.is_sensitive = config.is_sensitive;
  entry.config_type = static_cast<int8_t>(config_type(config.name));
  // Documentation (v3+, when asked) stays null: runneld carries no config documentation.
  entry.documentation = std::nullopt;
  if (include_synonyms) {
    Synonym synonym;
    synonym.name = config.name;
    synonym.value = config.value;
    synonym.source = source;
    entry.synonyms.push_back(std::move(synonym));
  }
  return entry;
}

bool wanted(const DescribeConfigsRequest::DescribeConfigsResource& resource,
            const std::string& name) {
  if (!resource.configuration_keys.has_value()) return true;
  const auto& keys = *resource.configuration_keys;
  return std::find(keys.begin(), keys.end(), name) != keys.end();
}

std::vector<ConfigEntry> broker_configs(const BrokerContext& context) {
  const BrokerConfig& config = context.config;
  auto entry = [](std::string name, auto value) {
    return ConfigEntry{.name = std::move(name),
                       .value = fmt::format("{}", value),
                       .is_default = false,
                       .is_sensitive = false,
                       .read_only = true};
  };
  return {
      entry("broker.id", context.identity.node_id),
      entry("log.dirs", config.data_dir.string()),
      entry("num.partitions", config.num_partitions),
      entry("auto.create.topics.enable", config.auto_create_topics ? "true" : "false"),
      entry("default.replication.factor", 1),
      entry("socket.request.max.bytes", config.server.socket_request_max_bytes),
      entry("connections.max.idle.ms", config.server.connections_max_idle_ms),
      entry("num.network.threads", config.server.network_threads),
      entry("log.segment.bytes", config.log_segment_bytes),
      entry("log.roll.ms", config.log_segment_ms),
      entry("log.retention.ms", config.log_retention_ms),
      entry("log.retention.bytes", config.log_retention_bytes),
      entry("log.retention.check.interval.ms", config.retention_check_interval_ms),
      entry("log.cleaner.backoff.ms", config.log_cleaner_backoff_ms),
      entry("log.flush.interval.messages", config.log_flush_messages),
      entry("log.flush.interval.ms", config.log_flush_ms),
      entry("message.max.bytes", config.message_max_bytes),
      entry("log.message.timestamp.type", config.log_message_timestamp_type),
  };
}

// name -> value of `entries`.
std::map<std::string, std::string> values_by_name(const std::vector<ConfigEntry>& entries) {
  std::map<std::string, std::string> values;
  for (const ConfigEntry& entry : entries) values.emplace(entry.name, entry.value);
  return values;
}

ResourceResult describe(const BrokerContext& context,
                        const DescribeConfigsRequest::DescribeConfigsResource& resource,
                        bool include_synonyms) {
  ResourceResult result;
  result.resource_type = resource.resource_type;
  result.resource_name = resource.resource_name;
  result.error_code = static_cast<int16_t>(ErrorCode::kNone);
  if (resource.resource_type == kTopicResource) {
    auto topic = context.logs.describe_topic(resource.resource_name);
    if (!topic) {
      result.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
      result.error_message = fmt::format("topic '{}' does not exist", resource.resource_name);
      return result;
    }
    // Sources and synonyms as Kafka reports them (topic_config_sources.h).
    const TopicConfig& broker_defaults = context.logs.defaults();
    const auto broker_values = values_by_name(broker_defaults.describe(broker_defaults));
    const TopicConfig kafka_defaults;
    const auto kafka_values = values_by_name(kafka_defaults.describe(kafka_defaults));
    for (const ConfigEntry& config : topic->config.describe(broker_defaults)) {
      if (!wanted(resource, config.name)) continue;
      const TopicConfigSources sources =
          topic_config_sources(config, broker_values.at(config.name), kafka_values.at(config.name));
      Entry entry = make_entry(config, sources.source, /*include_synonyms=*/false);
      for (const ConfigSourceValue& from : sources.synonyms) {
        if (!include_synonyms) break;
        Synonym synonym;
        synonym.name = from.name;
        synonym.value = from.value;
        synonym.source = from.source;
        entry.synonyms.push_back(std::move(synonym));
      }
      result.configs.push_back(std::move(entry));
    }
    return result;
  }
  if (resource.resource_type == kBrokerResource) {
    const std::string own_id = std::to_string(context.identity.node_id);
    if (!resource.resource_name.empty() && resource.resource_name != own_id) {
      result.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      result.error_message =
          fmt::format("unknown broker '{}': runneld is broker {}", resource.resource_name, own_id);
      return result;
    }
    for (const ConfigEntry& config : broker_configs(context)) {
      if (!wanted(resource, config.name)) continue;
      result.configs.push_back(make_entry(config, kStaticBrokerConfigSource, include_synonyms));
    }
    return result;
  }
  result.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
  result.error_message =
      fmt::format("resource type {} is not served: runneld describes topics (2) and brokers (4)",
                  resource.resource_type);
  return result;
}

// DESCRIBE_CONFIGS on the topic, or on the cluster for a broker's configs.
ErrorCode authorization_error(const Access& access,
                              const DescribeConfigsRequest::DescribeConfigsResource& resource) {
  if (resource.resource_type == kTopicResource &&
      !access.topic(AclOperation::kDescribeConfigs, resource.resource_name)) {
    return ErrorCode::kTopicAuthorizationFailed;
  }
  if (resource.resource_type == kBrokerResource &&
      !access.cluster(AclOperation::kDescribeConfigs)) {
    return ErrorCode::kClusterAuthorizationFailed;
  }
  return ErrorCode::kNone;
}

}  // namespace

DescribeConfigsResponse handle_describe_configs(BrokerContext& context, const Access& access,
                                                const DescribeConfigsRequest& request,
                                                int16_t version) {
  DescribeConfigsResponse response;
  const bool include_synonyms = version >= 1 && request.include_synonyms;
  for (const auto& resource : request.resources) {
    if (ErrorCode refused = authorization_error(access, resource); refused != ErrorCode::kNone) {
      ResourceResult result;
      result.resource_type = resource.resource_type;
      result.resource_name = resource.resource_name;
      result.error_code = static_cast<int16_t>(refused);
      result.error_message = "not authorized to describe these configs";
      response.results.push_back(std::move(result));
      continue;
    }
    response.results.push_back(describe(context, resource, include_synonyms));
  }
  return response;
}

}  // namespace runnel::broker

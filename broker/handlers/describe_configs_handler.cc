#include "broker/handlers/describe_configs_handler.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "broker/handlers/config_resource.h"
#include "broker/protocol/error_code.h"
#include "broker/storage/topic_config.h"

namespace runnel::broker {
namespace {

using ResourceResult = DescribeConfigsResponse::DescribeConfigsResult;
using Entry = DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult;
using Synonym = DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult::
    DescribeConfigsSynonym;

// Kafka's ConfigSource values.
constexpr int8_t kTopicConfigSource = 1;
constexpr int8_t kStaticBrokerConfigSource = 4;
constexpr int8_t kDefaultConfigSource = 5;

// The broker config that gives a topic config its value when the topic does not set it
// (Kafka's LogConfig synonyms; where Kafka has several, as log.retention.ms/minutes/hours,
// the one runneld takes). A topic config not listed has a broker config of the same name.
std::string_view broker_synonym(std::string_view topic_config) {
  static const std::map<std::string_view, std::string_view> kSynonyms = {
      {"cleanup.policy", "log.cleanup.policy"},
      {"delete.retention.ms", "log.cleaner.delete.retention.ms"},
      {"file.delete.delay.ms", "log.segment.delete.delay.ms"},
      {"flush.messages", "log.flush.interval.messages"},
      {"flush.ms", "log.flush.interval.ms"},
      {"index.interval.bytes", "log.index.interval.bytes"},
      {"local.retention.bytes", "log.local.retention.bytes"},
      {"local.retention.ms", "log.local.retention.ms"},
      {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms"},
      {"max.message.bytes", "message.max.bytes"},
      {"message.downconversion.enable", "log.message.downconversion.enable"},
      {"message.format.version", "log.message.format.version"},
      {"message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms"},
      {"message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms"},
      {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms"},
      {"message.timestamp.type", "log.message.timestamp.type"},
      {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio"},
      {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms"},
      {"preallocate", "log.preallocate"},
      {"retention.bytes", "log.retention.bytes"},
      {"retention.ms", "log.retention.ms"},
      {"segment.bytes", "log.segment.bytes"},
      {"segment.index.bytes", "log.index.size.max.bytes"},
      {"segment.jitter.ms", "log.roll.jitter.ms"},
      {"segment.ms", "log.roll.ms"},
  };
  const auto found = kSynonyms.find(topic_config);
  return found == kSynonyms.end() ? topic_config : found->second;
}

// Kafka's DEFAULT_CONFIG synonym of a topic config: the broker config that holds Kafka's
// default, which for the configs Kafka also takes in hours is the hours one
// (log.retention.hours=168 for retention.ms, as kafka-configs.sh --describe --all shows).
// flush.ms has none: log.flush.interval.ms has no default in Kafka.
std::optional<std::pair<std::string, std::string>> default_synonym(std::string_view topic_config,
                                                                   std::string_view broker_name,
                                                                   const std::string& value) {
  static const std::map<std::string_view, std::string_view> kInHours = {
      {"retention.ms", "log.retention.hours"},
      {"segment.ms", "log.roll.hours"},
      {"segment.jitter.ms", "log.roll.jitter.hours"},
  };
  if (topic_config == "flush.ms") return std::nullopt;
  if (const auto hours = kInHours.find(topic_config); hours != kInHours.end()) {
    return std::pair{std::string(hours->second), std::to_string(std::stoll(value) / 3'600'000)};
  }
  return std::pair{std::string(broker_name), value};
}

Synonym make_synonym(std::string_view name, std::string_view value, int8_t source) {
  Synonym synonym;
  synonym.name = std::string(name);
  synonym.value = std::string(value);
  synonym.source = source;
  return synonym;
}

Entry make_entry(const ConfigEntry& config, int8_t source) {
  Entry entry;
  entry.name = config.name;
  entry.value = config.value;
  entry.read_only = config.read_only;
  entry.is_default = config.is_default;
  entry.config_source = source;
  entry.is_sensitive = config.is_sensitive;
  return entry;
}

// A topic config's entry. Its value comes, in Kafka's order of precedence, from the topic
// (DYNAMIC_TOPIC_CONFIG), from the broker (STATIC_BROKER_CONFIG: a runneld flag or
// server.properties setting other than Kafka's default) or from Kafka's default
// (DEFAULT_CONFIG); the synonyms list every one of those that defines the config, first the
// one in effect, as Kafka's do. `broker_value` is the broker's default for topics and
// `kafka_default` Kafka's own. A runneld setting equal to Kafka's default cannot be told from
// no setting, so it is reported as DEFAULT_CONFIG.
Entry make_topic_entry(const ConfigEntry& config, const std::string& broker_value,
                       const std::string& kafka_default, bool include_synonyms) {
  const bool broker_sets_it = broker_value != kafka_default;
  const int8_t source = !config.is_default ? kTopicConfigSource
                        : broker_sets_it   ? kStaticBrokerConfigSource
                                           : kDefaultConfigSource;
  Entry entry = make_entry(config, source);
  if (include_synonyms) {
    const std::string_view broker_name = broker_synonym(config.name);
    if (!config.is_default) {
      entry.synonyms.push_back(make_synonym(config.name, config.value, kTopicConfigSource));
    }
    if (broker_sets_it) {
      entry.synonyms.push_back(make_synonym(broker_name, broker_value, kStaticBrokerConfigSource));
    }
    if (auto fallback = default_synonym(config.name, broker_name, kafka_default)) {
      entry.synonyms.push_back(
          make_synonym(fallback->first, fallback->second, kDefaultConfigSource));
    }
  }
  return entry;
}

// A broker config's entry: runneld's settings are all static, read at start-up.
Entry make_broker_entry(const ConfigEntry& config, bool include_synonyms) {
  Entry entry = make_entry(config, kStaticBrokerConfigSource);
  if (include_synonyms) {
    entry.synonyms.push_back(make_synonym(config.name, config.value, kStaticBrokerConfigSource));
  }
  return entry;
}

// name -> value of `entries`.
std::map<std::string, std::string> values_by_name(const std::vector<ConfigEntry>& entries) {
  std::map<std::string, std::string> values;
  for (const ConfigEntry& entry : entries) values.emplace(entry.name, entry.value);
  return values;
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
    const TopicConfig& broker_defaults = context.logs.defaults();
    const auto broker_values = values_by_name(broker_defaults.describe(broker_defaults));
    const TopicConfig kafka_defaults;
    const auto kafka_values = values_by_name(kafka_defaults.describe(kafka_defaults));
    for (const ConfigEntry& config : topic->config.describe(broker_defaults)) {
      if (!wanted(resource, config.name)) continue;
      result.configs.push_back(make_topic_entry(config, broker_values.at(config.name),
                                                kafka_values.at(config.name), include_synonyms));
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
      result.configs.push_back(make_broker_entry(config, include_synonyms));
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

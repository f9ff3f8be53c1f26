#include "broker/storage/topic_config.h"

#include <charconv>
#include <functional>

#include <fmt/format.h>

namespace runnel::broker {
namespace {

Result<int64_t> parse_long(std::string_view name, std::string_view text, int64_t min) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return invalid_argument_error(fmt::format("{}: '{}' is not an integer", name, text));
  }
  if (value < min) {
    return invalid_argument_error(fmt::format("{}: {} is below the minimum {}", name, value, min));
  }
  return value;
}

// How to read, write and compare one config.
struct ConfigField {
  std::string_view name;
  std::function<Status(TopicConfig&, std::string_view)> parse;
  std::function<std::string(const TopicConfig&)> format;
};

template <typename T>
ConfigField integer_field(std::string_view name, T TopicConfig::*member, int64_t min,
                          int64_t max = std::numeric_limits<T>::max()) {
  return ConfigField{
      name,
      [name, member, min, max](TopicConfig& config, std::string_view text) -> Status {
        RUNNEL_ASSIGN_OR_RETURN(int64_t value, parse_long(name, text, min));
        if (value > max) {
          return invalid_argument_error(
              fmt::format("{}: {} is above the maximum {}", name, value, max));
        }
        config.*member = static_cast<T>(value);
        return ok_status();
      },
      [member](const TopicConfig& config) { return std::to_string(config.*member); },
  };
}

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> fields = {
      {"cleanup.policy",
       [](TopicConfig& config, std::string_view text) -> Status {
         if (text != "delete" && text != "compact" && text != "compact,delete" &&
             text != "delete,compact") {
           return invalid_argument_error(fmt::format(
               "cleanup.policy: '{}' is not one of delete, compact, compact,delete", text));
         }
         config.cleanup_policy = std::string(text);
         return ok_status();
       },
       [](const TopicConfig& config) { return config.cleanup_policy; }},
      integer_field("delete.retention.ms", &TopicConfig::delete_retention_ms, 0),
      integer_field("flush.messages", &TopicConfig::flush_messages, 1),
      integer_field("flush.ms", &TopicConfig::flush_ms, 0),
      integer_field("index.interval.bytes", &TopicConfig::index_interval_bytes, 0),
      integer_field("max.message.bytes", &TopicConfig::max_message_bytes, 0),
      {"message.timestamp.type",
       [](TopicConfig& config, std::string_view text) -> Status {
         if (text != "CreateTime" && text != "LogAppendTime") {
           return invalid_argument_error(fmt::format(
               "message.timestamp.type: '{}' is not CreateTime or LogAppendTime", text));
         }
         config.message_timestamp_type = std::string(text);
         return ok_status();
       },
       [](const TopicConfig& config) { return config.message_timestamp_type; }},
      {"min.cleanable.dirty.ratio",
       [](TopicConfig& config, std::string_view text) -> Status {
         double value = 0;
         auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
         if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > 1) {
           return invalid_argument_error(fmt::format(
               "min.cleanable.dirty.ratio: '{}' is not a number between 0 and 1", text));
         }
         config.min_cleanable_dirty_ratio = value;
         return ok_status();
       },
       [](const TopicConfig& config) {
         return fmt::format("{}", config.min_cleanable_dirty_ratio);
       }},
      integer_field("retention.bytes", &TopicConfig::retention_bytes, -1),
      integer_field("retention.ms", &TopicConfig::retention_ms, -1),
      // Kafka's minimum segment size is 14 bytes (one empty batch header); anything small
      // enough to roll on every batch is allowed, as tests need it.
      integer_field("segment.bytes", &TopicConfig::segment_bytes, 14, 1073741824),
      integer_field("segment.ms", &TopicConfig::segment_ms, 1),
  };
  return fields;
}

// A Kafka topic config runneld accepts but does not act on (TopicConfig::not_enforced): its
// name, Kafka's default and Kafka's check of a value.
struct NotEnforcedConfig {
  std::string_view name;
  std::string_view kafka_default;
  std::function<Status(std::string_view name, std::string_view value)> validate;
};

std::function<Status(std::string_view, std::string_view)> at_least(int64_t min) {
  return [min](std::string_view name, std::string_view text) {
    return parse_long(name, text, min).status();
  };
}

Status boolean(std::string_view name, std::string_view text) {
  if (text == "true" || text == "false") return ok_status();
  return invalid_argument_error(fmt::format("{}: '{}' is not true or false", name, text));
}

Status any_text(std::string_view /*name*/, std::string_view /*text*/) { return ok_status(); }

// The rest of Kafka's topic configs (LogConfig, Kafka 3.9), so that a client or tool that sets
// them (Kafka Streams sets min.insync.replicas and friends on its internal topics) is not
// refused. Why each is not honoured: docs/PROTOCOL.md, "Topic configs".
const std::vector<NotEnforcedConfig>& not_enforced_configs() {
  static const std::vector<NotEnforcedConfig> configs = {
      {"compression.type", "producer",
       [](std::string_view name, std::string_view text) -> Status {
         for (std::string_view known :
              {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}) {
           if (text == known) return ok_status();
         }
         return invalid_argument_error(fmt::format(
             "{}: '{}' is not one of producer, uncompressed, gzip, snappy, lz4, zstd", name, text));
       }},
      {"file.delete.delay.ms", "60000", at_least(0)},
      {"follower.replication.throttled.replicas", "", any_text},
      {"leader.replication.throttled.replicas", "", any_text},
      {"local.retention.bytes", "-2", at_least(-2)},
      {"local.retention.ms", "-2", at_least(-2)},
      {"max.compaction.lag.ms", "9223372036854775807", at_least(1)},
      {"message.downconversion.enable", "true", boolean},
      {"message.format.version", "3.0-IV1", any_text},
      {"message.timestamp.after.max.ms", "9223372036854775807", at_least(0)},
      {"message.timestamp.before.max.ms", "9223372036854775807", at_least(0)},
      {"message.timestamp.difference.max.ms", "9223372036854775807", at_least(0)},
      {"min.compaction.lag.ms", "0", at_least(0)},
      {"min.insync.replicas", "1", at_least(1)},
      {"preallocate", "false", boolean},
      {"remote.log.copy.disable", "false", boolean},
      {"remote.log.delete.on.disable", "false", boolean},
      {"remote.storage.enable", "false", boolean},
      {"segment.index.bytes", "10485760", at_least(4)},
      {"segment.jitter.ms", "0", at_least(0)},
      {"unclean.leader.election.enable", "false", boolean},
  };
  return configs;
}

const NotEnforcedConfig* find_not_enforced(std::string_view name) {
  for (const NotEnforcedConfig& config : not_enforced_configs()) {
    if (config.name == name) return &config;
  }
  return nullptr;
}

}  // namespace

Result<TopicConfig> TopicConfig::with_overrides(
    const std::map<std::string, std::string>& overrides) const {
  TopicConfig config = *this;
  for (const auto& [name, value] : overrides) {
    const ConfigField* field = nullptr;
    for (const ConfigField& candidate : config_fields()) {
      if (candidate.name == name) field = &candidate;
    }
    if (field != nullptr) {
      RUNNEL_RETURN_IF_ERROR(field->parse(config, value));
      continue;
    }
    const NotEnforcedConfig* accepted = find_not_enforced(name);
    if (accepted == nullptr) {
      return invalid_argument_error(fmt::format("unknown topic config '{}'", name));
    }
    RUNNEL_RETURN_IF_ERROR(accepted->validate(name, value));
    // Kept only when it differs from Kafka's default, as a field equal to its default is
    // the same config whether set or not.
    if (value == accepted->kafka_default) {
      config.not_enforced.erase(name);
    } else {
      config.not_enforced[name] = value;
    }
  }
  return config;
}

std::vector<ConfigEntry> TopicConfig::describe(const TopicConfig& defaults) const {
  std::vector<ConfigEntry> entries;
  for (const ConfigField& field : config_fields()) {
    std::string value = field.format(*this);
    const bool is_default = value == field.format(defaults);
    entries.push_back(ConfigEntry{
        .name = std::string(field.name), .value = std::move(value), .is_default = is_default});
  }
  auto value_in = [](const TopicConfig& config, const NotEnforcedConfig& accepted) {
    auto found = config.not_enforced.find(std::string(accepted.name));
    return found != config.not_enforced.end() ? found->second : std::string(accepted.kafka_default);
  };
  for (const NotEnforcedConfig& accepted : not_enforced_configs()) {
    std::string value = value_in(*this, accepted);
    const bool is_default = value == value_in(defaults, accepted);
    entries.push_back(ConfigEntry{
        .name = std::string(accepted.name), .value = std::move(value), .is_default = is_default});
  }
  return entries;
}

Status validate_topic_name(std::string_view name) {
  if (name.empty()) return invalid_argument_error("topic name is empty");
  if (name == "." || name == "..") {
    return invalid_argument_error(fmt::format("topic name '{}' is not allowed", name));
  }
  if (name.size() > 249) {
    return invalid_argument_error(
        fmt::format("topic name is {} characters long; the limit is 249", name.size()));
  }
  for (char c : name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) {
      return invalid_argument_error(fmt::format(
          "topic name '{}' contains '{}'; only ASCII letters, digits, '.', '_' and '-' are "
          "allowed",
          name, c));
    }
  }
  return ok_status();
}

}  // namespace runnel::broker

#include "broker/handlers/topic_config_sources.h"

#include <map>
#include <optional>
#include <string_view>
#include <utility>

namespace runnel::broker {
namespace {

// Kafka's ConfigSource values.
constexpr std::int8_t kTopicConfigSource = 1;
constexpr std::int8_t kStaticBrokerConfigSource = 4;
constexpr std::int8_t kDefaultConfigSource = 5;

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
std::optional<ConfigSourceValue> default_synonym(std::string_view topic_config,
                                                 std::string_view broker_name,
                                                 const std::string& value) {
  static const std::map<std::string_view, std::string_view> kInHours = {
      {"retention.ms", "log.retention.hours"},
      {"segment.ms", "log.roll.hours"},
      {"segment.jitter.ms", "log.roll.jitter.hours"},
  };
  if (topic_config == "flush.ms") return std::nullopt;
  if (const auto hours = kInHours.find(topic_config); hours != kInHours.end()) {
    return ConfigSourceValue{std::string(hours->second),
                             std::to_string(std::stoll(value) / 3'600'000), kDefaultConfigSource};
  }
  return ConfigSourceValue{std::string(broker_name), value, kDefaultConfigSource};
}

}  // namespace

TopicConfigSources topic_config_sources(const ConfigEntry& config, const std::string& broker_value,
                                        const std::string& kafka_default) {
  const bool broker_sets_it = broker_value != kafka_default;
  TopicConfigSources sources;
  sources.source = !config.is_default ? kTopicConfigSource
                   : broker_sets_it   ? kStaticBrokerConfigSource
                                      : kDefaultConfigSource;
  const std::string_view broker_name = broker_synonym(config.name);
  if (!config.is_default) {
    sources.synonyms.push_back({config.name, config.value, kTopicConfigSource});
  }
  if (broker_sets_it) {
    sources.synonyms.push_back({std::string(broker_name), broker_value, kStaticBrokerConfigSource});
  }
  if (auto fallback = default_synonym(config.name, broker_name, kafka_default)) {
    sources.synonyms.push_back(std::move(*fallback));
  }
  return sources;
}

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/storage/topic_config.h"

namespace runnel::broker {

// One place a topic config's value can come from, as DescribeConfigs reports it: a name (the
// topic config's own, or the broker config behind it), its value there and Kafka's
// ConfigSource.
struct ConfigSourceValue {
  std::string name;
  std::string value;
  std::int8_t source = 0;

  bool operator==(const ConfigSourceValue&) const = default;
};

// Where a topic config's value comes from, and its synonyms as Kafka lists them.
struct TopicConfigSources {
  std::int8_t source = 0;  // the source of the value in effect
  // Every source that defines the config, the one in effect first (Kafka's order of
  // precedence): the topic's override (DYNAMIC_TOPIC_CONFIG), the broker's setting under its
  // broker config name (STATIC_BROKER_CONFIG; retention.ms: log.retention.ms) and Kafka's
  // default (DEFAULT_CONFIG, under the name Kafka reports it: log.retention.hours=168).
  std::vector<ConfigSourceValue> synonyms;
};

// The sources of `config`, one of a topic's entries. `broker_value` is the broker's default
// for topics (runneld's flags or server.properties) and `kafka_default` Kafka's own. A broker
// setting equal to Kafka's default cannot be told from no setting, so it is reported as
// DEFAULT_CONFIG.
TopicConfigSources topic_config_sources(const ConfigEntry& config, const std::string& broker_value,
                                        const std::string& kafka_default);

}  // namespace runnel::broker

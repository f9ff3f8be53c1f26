#include "runtime/streams_config.h"

#include <charconv>
#include <string_view>

namespace runnel {
namespace {

Result<std::int64_t> parse_int(const std::string& name, const std::string& value,
                               std::int64_t min) {
  std::int64_t out = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (ec != std::errc() || ptr != end || value.empty()) {
    return invalid_argument_error(name + ": not an integer: \"" + value + "\"");
  }
  if (out < min) {
    return invalid_argument_error(name + ": must be at least " + std::to_string(min) + ", got " +
                                  value);
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<StreamsConfig> StreamsConfig::parse(const StreamsProperties& properties) {
  StreamsConfig config;
  config.state_dir = std::filesystem::temp_directory_path() / "runnel-streams";
  config.deserialization_handler = std::make_shared<LogAndFailExceptionHandler>();
  for (const auto& [name, value] : properties) {
    if (name == kApplicationId) {
      config.application_id = value;
    } else if (name == kBootstrapServers) {
      config.bootstrap_servers = value;
    } else if (name == kNumStreamThreads) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t n, parse_int(name, value, 1));
      if (n > 1024) return invalid_argument_error(name + ": at most 1024, got " + value);
      config.num_stream_threads = static_cast<std::int32_t>(n);
    } else if (name == kStateDir) {
      if (value.empty()) return invalid_argument_error(std::string(name) + ": empty path");
      config.state_dir = value;
    } else if (name == kCommitIntervalMs) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t ms, parse_int(name, value, 1));
      config.commit_interval = std::chrono::milliseconds(ms);
    } else if (name == kPollMs) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t ms, parse_int(name, value, 0));
      config.poll = std::chrono::milliseconds(ms);
    } else if (name == kReplicationFactor) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t n, parse_int(name, value, 1));
      if (n > 32767) return invalid_argument_error(name + ": too large: " + value);
      config.replication_factor = static_cast<std::int16_t>(n);
    } else if (name == kProcessingGuarantee) {
      if (value == "at_least_once") {
        config.processing_guarantee = ProcessingGuarantee::kAtLeastOnce;
      } else if (value == "exactly_once_v2") {
        return unsupported_error(
            "processing.guarantee=exactly_once_v2 is not supported yet (it needs Kafka "
            "transactions); use at_least_once");
      } else {
        return invalid_argument_error(
            "processing.guarantee: expected at_least_once or "
            "exactly_once_v2, got \"" +
            value + "\"");
      }
    } else if (name == kDeserializationExceptionHandler) {
      if (value == "log-and-fail" || value.ends_with("LogAndFailExceptionHandler")) {
        config.deserialization_handler = std::make_shared<LogAndFailExceptionHandler>();
      } else if (value == "log-and-continue" || value.ends_with("LogAndContinueExceptionHandler")) {
        config.deserialization_handler = std::make_shared<LogAndContinueExceptionHandler>();
      } else {
        return invalid_argument_error(std::string(name) +
                                      ": expected log-and-fail or log-and-continue, got \"" +
                                      value + "\"");
      }
    } else if (name == kDefaultTimestampExtractor) {
      Result<DefaultTimestampExtractor> extractor = parse_default_timestamp_extractor(value);
      if (!extractor.ok()) return extractor.status().with_context(name);
      config.default_timestamp_extractor = *extractor;
    } else if (name == kCacheMaxBytesBuffering || name == kStateStoreCacheMaxBytes) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t bytes, parse_int(name, value, 0));
      config.cache_max_bytes = static_cast<std::uint64_t>(bytes);
    } else if (name == kMaxTaskIdleMs) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t ms, parse_int(name, value, -1));
      config.max_task_idle = std::chrono::milliseconds(ms);
    } else if (name == kDefaultKeySerde || name == kDefaultValueSerde) {
      return invalid_argument_error(
          name +
          ": serdes follow the C++ types: a type's default serde is its "
          "runnel::DefaultSerde<T> specialization (specialize it for your own types), and "
          "Consumed, Produced, Grouped and Materialized take a serde for one operator");
    } else {
      // A librdkafka property for one kind of client or for all.
      client::ClientConfig* only = nullptr;
      std::string property = name;
      for (auto [prefix, target] :
           {std::pair<std::string_view, client::ClientConfig*>{"consumer.", &config.consumer},
            {"producer.", &config.producer},
            {"admin.", &config.admin}}) {
        if (starts_with(name, prefix)) {
          only = target;
          property = name.substr(prefix.size());
        }
      }
      if (property == "group.id" || property == "enable.auto.commit") {
        return invalid_argument_error(name +
                                      ": set by the runtime (the group is application.id and "
                                      "offsets are committed by the runtime)");
      }
      if (only != nullptr) {
        (*only)[property] = value;
      } else {
        config.consumer[property] = value;
        config.producer[property] = value;
        config.admin[property] = value;
      }
    }
  }
  if (config.application_id.empty()) {
    return invalid_argument_error("application.id is required");
  }
  for (char c : config.application_id) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) {
      return invalid_argument_error("application.id \"" + config.application_id +
                                    "\" may hold only letters, digits, '.', '_' and '-' (it "
                                    "prefixes topic names)");
    }
  }
  if (config.bootstrap_servers.empty()) {
    return invalid_argument_error("bootstrap.servers is required");
  }
  for (client::ClientConfig* c : {&config.consumer, &config.producer, &config.admin}) {
    (*c)["bootstrap.servers"] = config.bootstrap_servers;
  }
  return config;
}

}  // namespace runnel

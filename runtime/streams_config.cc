#include "runtime/streams_config.h"

#include <charconv>
#include <limits>
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
  bool commit_interval_set = false;
  config.state_dir = std::filesystem::temp_directory_path() / "runnel-streams";
  config.deserialization_handler = std::make_shared<LogAndFailExceptionHandler>();
  bool continue_after_processing_errors = false;
  for (const auto& [name, value] : properties) {
    if (name == kApplicationId) {
      config.application_id = value;
    } else if (name == kBootstrapServers) {
      config.bootstrap_servers = value;
    } else if (name == kNumStreamThreads) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t n, parse_int(name, value, 1));
      if (n > 1024) return invalid_argument_error(name + ": at most 1024, got " + value);
      config.num_stream_threads = static_cast<std::int32_t>(n);
    } else if (name == kMetricsHttpListen) {
      config.metrics_http_listen = value;
    } else if (name == kMetricsRecordingLevel) {
      if (value != "INFO" && value != "DEBUG" && value != "TRACE") {
        return invalid_argument_error(std::string(name) + ": expected INFO, DEBUG or TRACE, got '" +
                                      value + "'");
      }
      // Kafka records its state-store metrics at DEBUG; TRACE adds nothing here.
      config.record_store_metrics = value != "INFO";
    } else if (name == kStateDir) {
      if (value.empty()) return invalid_argument_error(std::string(name) + ": empty path");
      config.state_dir = value;
    } else if (name == kCommitIntervalMs) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t ms, parse_int(name, value, 1));
      config.commit_interval = std::chrono::milliseconds(ms);
      commit_interval_set = true;
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
      } else if (value == "exactly_once_v2" || value == "exactly_once_beta") {
        config.processing_guarantee = ProcessingGuarantee::kExactlyOnceV2;
      } else if (value == "exactly_once") {
        return invalid_argument_error(
            "processing.guarantee=exactly_once (Kafka's first exactly-once, one producer per "
            "task, deprecated since Kafka 3.0) is not supported: use exactly_once_v2");
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
    } else if (name == kProcessingExceptionHandler) {
      if (value == "log-and-fail" || value.ends_with("LogAndFailProcessingExceptionHandler")) {
        continue_after_processing_errors = false;
      } else if (value == "log-and-continue" ||
                 value.ends_with("LogAndContinueProcessingExceptionHandler")) {
        continue_after_processing_errors = true;
      } else {
        return invalid_argument_error(std::string(name) +
                                      ": expected log-and-fail or log-and-continue, got \"" +
                                      value + "\"");
      }
    } else if (name == kDeadLetterQueueTopicName || name == kDeadLetterQueueTopicNameAlias) {
      config.dead_letter_queue_topic = value;
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
    } else if (name == kApplicationServer) {
      Result<HostInfo> host = HostInfo::parse(value);
      if (!host.ok()) return host.status().with_context(name);
      config.application_server = std::move(host).value();
    } else if (name == kBufferedRecordsPerPartition) {
      RUNNEL_ASSIGN_OR_RETURN(std::int64_t records, parse_int(name, value, 1));
      if (records > std::numeric_limits<std::int32_t>::max()) {
        return invalid_argument_error(name + ": too large: " + value);
      }
      config.buffered_records_per_partition = static_cast<std::int32_t>(records);
    } else if (name == kTopologyOptimization) {
      // Applied by StreamsBuilder::build(properties); checked here so that a bad value fails
      // the application's start, and kept from the clients (librdkafka refuses it).
      Result<TopologyOptimizations> optimizations = TopologyOptimizations::parse(value);
      if (!optimizations.ok()) return optimizations.status();
    } else if (name == kDefaultKeySerde || name == kDefaultValueSerde) {
      return invalid_argument_error(
          name +
          ": serdes follow the C++ types: a type's default serde is its "
          "runnel::DefaultSerde<T> (specialize it for your own types, or write "
          "RUNNEL_JSON_DEFAULT_SERDE(T) beside a JSON type's to_json/from_json: "
          "core/json_serde.h), and "
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
      if (property == "transactional.id") {
        return invalid_argument_error(name +
                                      ": set by the runtime under exactly_once_v2, one per "
                                      "stream thread (<application.id>-<process id>-<thread>)");
      }
      if (property == "group.instance.id" && (only == nullptr || only == &config.consumer)) {
        // Per thread: the runtime appends the thread's number.
        config.group_instance_id = value;
        continue;
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
  if (config.exactly_once()) {
    // Kafka Streams' EOS defaults: a short commit interval, since output is invisible to
    // read_committed readers until its transaction commits; consumers that never see aborted
    // or open transactions (stores restore only what committed); an idempotent producer.
    if (!commit_interval_set) config.commit_interval = std::chrono::milliseconds(100);
    auto isolation = config.consumer.find("isolation.level");
    if (isolation != config.consumer.end() && isolation->second != "read_committed") {
      return invalid_argument_error(
          "isolation.level=" + isolation->second +
          ": under exactly_once_v2 the consumers read read_committed (stores must not restore, "
          "nor tasks process, records of aborted transactions)");
    }
    config.consumer["isolation.level"] = "read_committed";
    auto idempotence = config.producer.find("enable.idempotence");
    if (idempotence != config.producer.end() && idempotence->second != "true") {
      return invalid_argument_error("enable.idempotence=" + idempotence->second +
                                    ": a transactional producer is idempotent (exactly_once_v2)");
    }
    config.producer["enable.idempotence"] = "true";
    // Kafka Streams' default: an instance that dies mid-transaction holds back
    // read_committed readers of its output for at most this long (a restart with the same
    // transactional.id aborts the transaction at once).
    config.producer.try_emplace("transaction.timeout.ms", "10000");
  }
  // After the loop: the handler needs the dead-letter topic, whichever came first.
  if (continue_after_processing_errors) {
    config.processing_handler =
        std::make_shared<LogAndContinueProcessingExceptionHandler>(config.dead_letter_queue_topic);
  } else {
    config.processing_handler =
        std::make_shared<LogAndFailProcessingExceptionHandler>(config.dead_letter_queue_topic);
  }
  return config;
}

}  // namespace runnel

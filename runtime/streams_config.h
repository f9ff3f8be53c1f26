#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/client/client_config.h"
#include "core/result.h"
#include "operators/timestamp_extractor.h"
#include "operators/topology_optimization.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/processing_exception_handler.h"
#include "runtime/streams_metadata.h"

namespace runnel {

// An application's configuration as the user writes it: property names as in Kafka Streams
// ("application.id", "bootstrap.servers", ...), values as strings.
using StreamsProperties = std::map<std::string, std::string>;

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnceV2 };

// The parsed and checked form of StreamsProperties. Kafka Streams' keys:
//
//   application.id      (required) group id, prefix of internal topics and of the state dir
//   bootstrap.servers   (required) the brokers (runneld or Kafka)
//   num.stream.threads  default 1
//   state.dir           default <system temp dir>/runnel-streams
//   commit.interval.ms  default 30000; 100 under exactly_once_v2 (as Kafka Streams): each
//                       commit ends a transaction, and output is invisible to read_committed
//                       readers until then
//   poll.ms             default 100: how long a thread waits for records in one poll
//   replication.factor  default 1: of the internal topics the application creates
//   processing.guarantee  at_least_once (default) or exactly_once_v2 (Kafka Streams' EOS
//                       v2, KIP-447; "exactly_once_beta", its name before Kafka 3.0, is
//                       accepted too; the deprecated per-task "exactly_once" is refused).
//                       Under exactly_once_v2 each stream thread writes through one
//                       transactional producer (transactional.id <application.id>-<process
//                       id>-<thread>, enable.idempotence=true, transaction.timeout.ms 10000
//                       unless set), input offsets commit inside its transactions, and every
//                       consumer (main, restore, global) reads isolation.level=read_committed;
//                       setting read_uncommitted or enable.idempotence=false is refused.
//                       See docs/RUNTIME.md, "Exactly once".
//   group.instance.id   (also consumer.group.instance.id) static membership (KIP-345) of the
//                       stream threads' consumers: each thread's id is "<value>-<thread>".
//                       Default: "<application.id>-<process id>" when the application has
//                       state stores (the process id is kept in the state directory, so a
//                       restarted instance comes back as the same members and is given its
//                       partitions back without waiting out its former self); none for an
//                       application without stores, whose process id is new at each start.
//                       An empty value turns static membership off. A static member does not
//                       leave the group when it closes: its partitions move only after
//                       session.timeout.ms, which defaults to 10000 for static members (as
//                       Kafka Streams' default was before 3.0) unless set.
//   application.server  unset by default: host:port where this instance answers interactive
//                       queries (the application serves them there; Runnel does not listen).
//                       Every stream thread's consumer tells the group (encoded in its
//                       client.id: runtime/internal/member_info.h), so that every instance's
//                       query_metadata_for_key, streams_metadata_for_store and
//                       metadata_for_all_streams_clients name the instance holding a key
//   default.deserialization.exception.handler  log-and-fail (default) or log-and-continue
//                       (Kafka's class names LogAndFailExceptionHandler and
//                       LogAndContinueExceptionHandler are accepted too)
//   processing.exception.handler  log-and-fail (default) or log-and-continue, for exceptions
//                       thrown by user code while processing a record or punctuating (Kafka's
//                       LogAndFailProcessingExceptionHandler and
//                       LogAndContinueProcessingExceptionHandler names are accepted too); a
//                       handler object of one's own: KafkaStreams::
//                       set_processing_exception_handler
//   errors.dead.letter.queue.topic.name  unset by default (alias
//                       errors.deadletterqueue.topic.name): the built-in processing handlers
//                       send the failing record there, with the error in headers (KIP-1034)
//   default.timestamp.extractor  for sources without their own (Consumed): Kafka's built-ins
//                       FailOnInvalidTimestamp (default), LogAndSkipOnInvalidTimestamp,
//                       UsePartitionTimeOnInvalidTimestamp, WallclockTimestampExtractor
//   cache.max.bytes.buffering  default 10485760 (alias statestore.cache.max.bytes): the bytes
//                       of the record caches of stores with caching enabled (every DSL
//                       store unless Materialized::with_caching_disabled; key-value, window
//                       and session stores), split evenly across the stream threads and
//                       shared by the caching stores of each; 0 turns caching off everywhere
//   max.task.idle.ms    default 0: how long a task with several input partitions waits for
//                       records on an empty one (that is not known to be at its end) before
//                       processing the others out of timestamp order; -1 never waits
//   buffered.records.per.partition  default 1000: at most this many polled records wait in a
//                       stream thread per input partition. Each partition's fetched records
//                       wait in librdkafka in a queue of their own, and a poll takes from
//                       each only what its buffer has room for, so that a partition with a
//                       backlog (a source topic) never holds up another's records (a
//                       repartition topic's) behind it; see docs/RUNTIME.md, "Which record
//                       next"
//   topology.optimization  none (default), all, or a comma-separated list of rewrites:
//                       applied by StreamsBuilder::build(properties), which must be given
//                       the same properties (a topology built with build() is not
//                       rewritten); only checked here. Runnel implements
//                       single.store.self.join (KIP-862); see operators/topology_optimization.h
//   default.key.serde, default.value.serde  refused: in C++ the types choose the serdes
//                       (runnel::DefaultSerde<T>, or a serde given to Consumed, Produced,
//                       Grouped or Materialized)
//
// Every other property is a librdkafka property passed to the application's clients:
// "consumer.<name>", "producer.<name>" and "admin.<name>" to one kind of client only, an
// unprefixed name to all of them. "group.id", "enable.auto.commit" and "transactional.id"
// belong to the runtime and are refused.
struct StreamsConfig {
  static constexpr const char* kApplicationId = "application.id";
  static constexpr const char* kBootstrapServers = "bootstrap.servers";
  static constexpr const char* kApplicationServer = "application.server";
  static constexpr const char* kNumStreamThreads = "num.stream.threads";
  static constexpr const char* kStateDir = "state.dir";
  static constexpr const char* kCommitIntervalMs = "commit.interval.ms";
  static constexpr const char* kPollMs = "poll.ms";
  static constexpr const char* kProcessingGuarantee = "processing.guarantee";
  static constexpr const char* kReplicationFactor = "replication.factor";
  static constexpr const char* kDeserializationExceptionHandler =
      "default.deserialization.exception.handler";
  static constexpr const char* kProcessingExceptionHandler = "processing.exception.handler";
  static constexpr const char* kDeadLetterQueueTopicName = "errors.dead.letter.queue.topic.name";
  static constexpr const char* kDeadLetterQueueTopicNameAlias = "errors.deadletterqueue.topic.name";
  static constexpr const char* kDefaultTimestampExtractor = "default.timestamp.extractor";
  static constexpr const char* kCacheMaxBytesBuffering = "cache.max.bytes.buffering";
  static constexpr const char* kStateStoreCacheMaxBytes = "statestore.cache.max.bytes";
  static constexpr const char* kMaxTaskIdleMs = "max.task.idle.ms";
  static constexpr const char* kBufferedRecordsPerPartition = "buffered.records.per.partition";
  static constexpr const char* kTopologyOptimization = TopologyOptimizations::kConfig;
  static constexpr const char* kDefaultKeySerde = "default.key.serde";
  static constexpr const char* kDefaultValueSerde = "default.value.serde";
  // HOST:PORT where the instance serves /metrics in Prometheus' text format (port 0 picks
  // one, logged); unset: no HTTP endpoint. docs/OBSERVABILITY.md lists the metrics.
  static constexpr const char* kMetricsHttpListen = "metrics.http.listen";
  // Kafka's INFO or DEBUG. Runnel's default is DEBUG (Kafka's is INFO): state-store metrics
  // are recorded, every store call counted and one in 16 timed
  // (bench/operators/metrics_overhead_bench.cc); INFO leaves the metering decorators out.
  static constexpr const char* kMetricsRecordingLevel = "metrics.recording.level";

  std::string application_id;
  std::string bootstrap_servers;
  std::optional<HostInfo> application_server;  // Unset: this instance names no host.
  std::int32_t num_stream_threads = 1;
  std::filesystem::path state_dir;
  std::chrono::milliseconds commit_interval{30'000};
  std::chrono::milliseconds poll{100};
  std::int16_t replication_factor = 1;  // Of the internal topics the application creates.
  ProcessingGuarantee processing_guarantee = ProcessingGuarantee::kAtLeastOnce;
  // Shared by every task of the application; thread-safe.
  std::shared_ptr<DeserializationExceptionHandler> deserialization_handler;
  // Shared by every task of the application; thread-safe.
  std::shared_ptr<ProcessingExceptionHandler> processing_handler;
  std::string dead_letter_queue_topic;  // Empty: none.
  DefaultTimestampExtractor default_timestamp_extractor =
      DefaultTimestampExtractor::kFailOnInvalidTimestamp;
  std::uint64_t cache_max_bytes = 10 << 20;    // For the whole instance.
  std::chrono::milliseconds max_task_idle{0};  // -1: never wait.
  std::int32_t buffered_records_per_partition = 1000;
  std::string metrics_http_listen;    // Empty: no /metrics endpoint.
  bool record_store_metrics = false;  // metrics.recording.level=DEBUG or TRACE
  // Static membership of the stream threads' consumers: nullopt, the runtime's default (see
  // above); empty, off; otherwise the prefix of every thread's group.instance.id.
  std::optional<std::string> group_instance_id;
  // librdkafka properties given by the user, per kind of client, bootstrap.servers included.
  client::ClientConfig consumer;
  client::ClientConfig producer;
  client::ClientConfig admin;

  // Parses `properties`. InvalidArgument naming the property for a missing required one, a
  // value that does not parse or is out of range, a property the runtime owns, or a client
  // property that would break the processing guarantee.
  bool exactly_once() const { return processing_guarantee == ProcessingGuarantee::kExactlyOnceV2; }
  [[nodiscard]] static Result<StreamsConfig> parse(const StreamsProperties& properties);
};

}  // namespace runnel

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "core/client/admin.h"
#include "core/status.h"
#include "operators/internal/store_def.h"
#include "operators/topology.h"
#include "runtime/global_stream_thread.h"
#include "runtime/internal/directory_lock.h"
#include "runtime/internal/member_info.h"
#include "runtime/internal/producer_collector.h"
#include "runtime/internal/store_reader.h"
#include "runtime/internal/task_registry.h"
#include "runtime/queryable_store.h"
#include "runtime/stream_thread.h"
#include "runtime/streams_config.h"
#include "runtime/streams_metadata.h"

namespace runnel {

namespace internal {
class MetricsEndpoint;
}  // namespace internal

// A running stream-processing application: Kafka Streams' KafkaStreams.
//
//   StreamsBuilder builder;
//   builder.stream<std::string, std::string>("text").map_values(...).to("out");
//   KafkaStreams app(builder.build(), {{"application.id", "wordcount"},
//                                      {"bootstrap.servers", "127.0.0.1:9092"}});
//   RUNNEL_RETURN_IF_ERROR(app.start());
//   ...
//   app.close();
//
// While it runs, its state stores can be queried from any thread (interactive queries):
//
//   auto counts = app.store<std::string, std::int64_t>("counts");   // Result<...>
//   if (counts.ok()) auto n = counts->get("hello");                  // Result<optional<int64>>
//
// see runtime/queryable_store.h for what a view sees and when it fails.
//
// start() checks the configuration (see StreamsConfig), checks that the source topics exist,
// creates the internal topics (repartition topics <application.id>-<name>-repartition with
// the topology's partition count, or that of the sub-topology writing them; changelog topics
// <application.id>-<store>-changelog, compacted, with as many partitions as the sub-topology
// using the store has tasks), checks that joined topics are co-partitioned, bootstraps the
// global tables' stores (GlobalStreamThread: every partition of their topics up to the end,
// before any stream thread exists) and starts their maintainer, and starts
// num.stream.threads StreamThreads. Every instance started with the same application.id
// shares the work through the consumer group application.id: each input partition's tasks run
// in exactly one thread of one instance, and move when instances come and go.
//
// Thread safety: every method may be called from any thread, except that the state listener
// and the uncaught-error handler must not call close() (they run on stream threads, which
// close() joins).
class AppReporter;

class KafkaStreams {
 public:
  // Kafka Streams' KafkaStreams.State: CREATED → REBALANCING ⇄ RUNNING → PENDING_SHUTDOWN →
  // NOT_RUNNING, or → ERROR when a stream thread fails or start() does.
  enum class State { kCreated, kRebalancing, kRunning, kPendingShutdown, kNotRunning, kError };

  // Called with each change of state, on the thread that caused it; one call at a time.
  using StateListener = std::function<void(State new_state, State old_state)>;
  // Called once per failing stream thread with the error that ended it; the application then
  // stops its other threads and moves to ERROR.
  using UncaughtErrorHandler = std::function<void(const std::string& thread, const Status& error)>;

  struct Metrics {
    std::vector<StreamThreadMetrics> threads;  // As each thread last published them.
    // Sums over the threads.
    std::uint64_t processed = 0;
    std::uint64_t skipped_deserialization = 0;
    std::uint64_t dropped = 0;
    std::uint64_t dropped_late = 0;
    std::int64_t consumer_lag = 0;
    std::uint64_t restored_records = 0;
    std::uint64_t restored_bytes = 0;
    // The global state maintainer's (GlobalKTable), when the topology has global tables.
    GlobalStreamThreadMetrics global;
  };

  // Takes the topology and the properties; nothing is checked or contacted before start().
  KafkaStreams(Topology topology, StreamsProperties properties);
  // close()s.
  ~KafkaStreams();
  KafkaStreams(const KafkaStreams&) = delete;
  KafkaStreams& operator=(const KafkaStreams&) = delete;

  // Only before start(); InvalidArgument afterwards.
  [[nodiscard]] Status set_state_listener(StateListener listener);
  [[nodiscard]] Status set_uncaught_error_handler(UncaughtErrorHandler handler);
  // A processing exception handler object of one's own, in place of the one
  // processing.exception.handler names; shared by every task (thread-safe).
  [[nodiscard]] Status set_processing_exception_handler(
      std::shared_ptr<ProcessingExceptionHandler> handler);

  // Starts the application; returns once its threads run (they join the group in the
  // background: the state is REBALANCING until every thread has its tasks, then RUNNING).
  // Fails, leaving the state ERROR, on an invalid topology or configuration, a missing source
  // or global table topic, a global table record that fails under log-and-fail, an internal
  // topic that exists with another partition count, or an unreachable cluster.
  // InvalidArgument when called twice. A topology with state stores locks its
  // directory <state.dir>/<application.id> until close() (or the process's death): another
  // instance, in this process or another, started on the same state.dir then fails start()
  // with Unavailable, as Kafka Streams refuses two instances in one state directory.
  [[nodiscard]] Status start();

  // Stops every thread (each commits what it processed, closes its tasks and leaves the
  // group) and waits for them. Idempotent. NOT_RUNNING afterwards, or still ERROR.
  void close();

  State state() const { return state_.load(); }
  Metrics metrics() const;
  // The port /metrics is served on (metrics.http.listen), once start() succeeded; nullopt
  // without that property.
  std::optional<std::uint16_t> metrics_http_port() const;
  // The configuration as parsed by start(); meaningful once start() succeeded.
  const StreamsConfig& config() const { return config_; }

  // Interactive queries (Kafka Streams' KafkaStreams#store): a read-only view of the
  // key-value store `name` over every local task that has it; see ReadOnlyKeyValueStore for
  // what it sees, its errors and thread safety. Serdes default to the ones the topology gave
  // the store. NotFound for a name the topology has no store of; InvalidArgument for a store
  // of another kind, or types that are not the store's (pass serdes then); Unavailable before
  // the application is RUNNING (retry), Aborted once it stops.
  template <typename K, typename V>
  [[nodiscard]] Result<ReadOnlyKeyValueStore<K, V>> store(
      const std::string& name, std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) const {
    RUNNEL_ASSIGN_OR_RETURN(auto reader, store_reader(name, StoreKind::kKeyValue));
    RUNNEL_RETURN_IF_ERROR(resolve_serdes(name, key_serde, value_serde));
    return ReadOnlyKeyValueStore<K, V>(std::move(reader), std::move(key_serde),
                                       std::move(value_serde));
  }
  // The same for a window store (a windowed aggregation's, or a Processor API one).
  template <typename K, typename V>
  [[nodiscard]] Result<ReadOnlyWindowStore<K, V>> window_store(
      const std::string& name, std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) const {
    RUNNEL_ASSIGN_OR_RETURN(auto reader, store_reader(name, StoreKind::kWindow));
    RUNNEL_RETURN_IF_ERROR(resolve_serdes(name, key_serde, value_serde));
    return ReadOnlyWindowStore<K, V>(std::move(reader), std::move(key_serde),
                                     std::move(value_serde));
  }
  // The same for a session store (a session-windowed aggregation's, or a Processor API one).
  template <typename K, typename V>
  [[nodiscard]] Result<ReadOnlySessionStore<K, V>> session_store(
      const std::string& name, std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) const {
    RUNNEL_ASSIGN_OR_RETURN(auto reader, store_reader(name, StoreKind::kSession));
    RUNNEL_RETURN_IF_ERROR(resolve_serdes(name, key_serde, value_serde));
    return ReadOnlySessionStore<K, V>(std::move(reader), std::move(key_serde),
                                      std::move(value_serde));
  }

  // Remote interactive queries (Kafka Streams' queryMetadataForKey): which partition of
  // store `name` holds `key`, that partition's task, whether this instance runs it now, and,
  // when application.server is set, which instance runs it (active_host; standby_hosts is
  // empty: Runnel has no standby replicas yet). Every instance of the application answers
  // alike: the hosts come from the group's current assignment as its coordinator describes it
  // (runtime/internal/member_info.h), fetched once per rebalance of this instance. A caller
  // that reaches any instance can so forward a query to the one holding the key; an instance
  // whose threads did not set application.server (an older one) is never named, and its keys
  // have no active_host.
  //
  // The key is serialized with the store's key serde (or `key_serde`) and partitioned as the
  // store's input was: with the partitioner this topology gave the sink writing that input
  // (a Repartitioned or Produced partitioner, asked with no value, as Kafka asks), else with
  // murmur2, as Runnel's and Java's producers do. An input written by another program with
  // another partitioner needs that partitioner (the overload below), or the key may be
  // looked for in the wrong place.
  //
  // Errors as store(); Unavailable while the group rebalances (retry), and when no instance
  // with an application.server runs the key's task (a member left and the group has not
  // noticed yet); the cluster's error when the group cannot be described.
  template <typename K>
  [[nodiscard]] Result<KeyQueryMetadata> query_metadata_for_key(
      const std::string& name, const K& key,
      std::shared_ptr<const Serde<K>> key_serde = nullptr) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes bytes, serialize_store_key(name, key, key_serde));
    const TopologyPartitioner* partitioner = topology_partitioner(name);
    if (partitioner == nullptr) return query_metadata_for_key_bytes(name, bytes);
    return key_query_metadata(name, bytes, [&](const std::string&, std::int32_t count) {
      return partitioner->choose(full_topic(partitioner->topic), typeid(K), &key, count);
    });
  }
  // Chooses a key's partition of the store's input (Kafka's StreamPartitioner, given no
  // value); std::nullopt leaves it to murmur2 of the serialized key.
  template <typename K>
  using KeyPartitioner = std::function<std::optional<std::int32_t>(
      const std::string& topic, const K& key, std::int32_t num_partitions)>;
  // The same with the partitioner the store's input topic was written with (a custom
  // Produced/Repartitioned partitioner, or another client's default). InvalidArgument for a
  // partition outside the topic.
  template <typename K>
  [[nodiscard]] Result<KeyQueryMetadata> query_metadata_for_key(
      const std::string& name, const K& key, const KeyPartitioner<K>& partitioner,
      std::shared_ptr<const Serde<K>> key_serde = nullptr) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes bytes, serialize_store_key(name, key, key_serde));
    return key_query_metadata(name, bytes, [&](const std::string& topic, std::int32_t count) {
      return partitioner(topic, key, count);
    });
  }
  // The same for a key already serialized, partitioned with murmur2.
  [[nodiscard]] Result<KeyQueryMetadata> query_metadata_for_key_bytes(const std::string& name,
                                                                      BytesView key) const;

  // Every instance of the application (with an application.server) as the group's current
  // assignment shows it (Kafka Streams' metadataForAllStreamsClients), ordered by host. Needs
  // application.server on this instance (InvalidArgument otherwise); errors as
  // query_metadata_for_key otherwise.
  [[nodiscard]] Result<std::vector<StreamsMetadata>> metadata_for_all_streams_clients() const;
  // Those of them that run a task with store `name` (Kafka Streams'
  // streamsMetadataForStore). NotFound for a store the topology does not have.
  [[nodiscard]] Result<std::vector<StreamsMetadata>> streams_metadata_for_store(
      const std::string& name) const;

  static const char* to_string(State state);

 private:
  // The byte-level reader of store `name`, checked to exist and be of `kind`.
  Result<std::shared_ptr<const internal::StoreReader>> store_reader(const std::string& name,
                                                                    StoreKind kind) const;
  template <typename K, typename V>
  Status resolve_serdes(const std::string& name, std::shared_ptr<const Serde<K>>& key_serde,
                        std::shared_ptr<const Serde<V>>& value_serde) const {
    const internal::StoreDef* def = topology_.store(name);
    if (!key_serde) key_serde = internal::store_serde<K>(def->key_serde);
    if (!value_serde) value_serde = internal::store_serde<V>(def->value_serde);
    if (!key_serde || !value_serde) return wrong_serde_error(name);
    return ok_status();
  }
  template <typename K>
  Result<Bytes> serialize_store_key(const std::string& name, const K& key,
                                    std::shared_ptr<const Serde<K>> key_serde) const {
    const internal::StoreDef* def = topology_.store(name);
    if (def == nullptr) return unknown_store_error(name);
    if (!key_serde) key_serde = internal::store_serde<K>(def->key_serde);
    if (!key_serde) return wrong_serde_error(name);
    Result<Bytes> bytes = key_serde->serialize(key);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name + "': key");
    return bytes;
  }
  // The partition a key goes to among `count` partitions of `topic`, or nullopt for murmur2
  // of its bytes.
  using PartitionChooser =
      std::function<std::optional<std::int32_t>(const std::string& topic, std::int32_t count)>;
  Result<KeyQueryMetadata> key_query_metadata(const std::string& name, BytesView key,
                                              const PartitionChooser& choose) const;
  // The user's partitioner of the sink in this topology that writes an input topic of store
  // `name`'s sub-topology, or null (murmur2 then).
  struct TopologyPartitioner {
    std::string topic;  // As the topology records it (internal ones without the app id).
    decltype(internal::NodeDef::key_partitioner) choose;
  };
  const TopologyPartitioner* topology_partitioner(const std::string& name) const;
  std::string full_topic(const std::string& recorded) const;
  // The sub-topology whose tasks hold store `name`; NotFound when none does.
  Result<const Topology::Subtopology*> store_owner(const std::string& name) const;
  // The full names of a sub-topology's input topics.
  std::vector<std::string> full_source_topics(const Topology::Subtopology& sub) const;
  // The group's assignment by application.server, fetched once per rebalance of this
  // instance; Unavailable while the group is not Stable or this instance rebalances.
  Result<internal::GroupAssignment> group_assignment() const;
  std::vector<StreamsMetadata> streams_metadata(const internal::GroupAssignment& assignment) const;
  static Status unknown_store_error(const std::string& name);
  static Status wrong_serde_error(const std::string& name);

  Status prepare();
  Status create_internal_topics();
  // close()'s work but the reporter's.
  void close_threads();
  // Both with mutex_ held.
  void transition_locked(State to);
  void on_thread_state(int index, StreamThread::State state);
  void on_thread_error(int index, const Status& error);
  void on_global_error(const Status& error);

  const Topology topology_;
  const StreamsProperties properties_;
  StreamsConfig config_;  // Written by start() before any thread exists; read-only afterwards.
  std::unique_ptr<client::Admin> admin_;
  // Held from start() to close() by an application with stores (see start()).
  internal::DirectoryLock state_dir_lock_;
  std::unique_ptr<internal::TopicPartitionCounts> partition_counts_;
  std::vector<std::string> source_topics_;  // Full names.
  // This instance's identity (internal::process_id.h): kept in the state directory when the
  // application has stores, new at each start otherwise. Set by prepare().
  std::string process_id_;
  bool process_id_persistent_ = false;
  // The tasks whose stores may be queried, and whether they may be now; shared with the
  // stream threads and with the store views, which may outlive the application. Made by the
  // constructor; its availability follows state_ (set under mutex_ by transition_locked).
  const std::shared_ptr<internal::TaskRegistry> registry_;
  // Keeps the global stores (null without global tables): made and bootstrapped by start()
  // before the stream threads, stopped by close() after them, as they read its stores;
  // declared before them so that it is destroyed after them.
  std::unique_ptr<GlobalStreamThread> global_thread_;
  // Made by start(), joined and destroyed by close(), both under threads_mutex_ (metrics() too).
  // Stream threads read the vector (to stop each other) only while they run, when it is fixed.
  std::vector<std::unique_ptr<StreamThread>> threads_;
  mutable std::mutex threads_mutex_;
  // /metrics over HTTP (metrics.http.listen): made by start() and taken out and stopped by
  // close() (so gone before the destructor reaches the members it reads), both under
  // threads_mutex_.
  std::unique_ptr<internal::MetricsEndpoint> metrics_endpoint_;

  std::atomic<State> state_{State::kCreated};
  // Guards transitions (and so listener calls), thread_states_ and the callbacks.
  mutable std::mutex mutex_;
  std::vector<StreamThread::State> thread_states_;
  StateListener state_listener_;
  UncaughtErrorHandler error_handler_;
  std::shared_ptr<ProcessingExceptionHandler> processing_handler_;  // Null: from the config.

  // Counts this instance's rebalances (entries into REBALANCING, under mutex_): a cached group
  // assignment is the group's only while the count it was fetched at holds.
  std::atomic<std::uint64_t> rebalances_{0};
  // Store name -> the topology's partitioner of its input, if any (topology_partitioner()).
  mutable std::mutex partitioners_mutex_;
  mutable std::map<std::string, std::optional<TopologyPartitioner>> partitioners_;
  mutable std::mutex assignment_mutex_;
  // The group assignment and the rebalance count it was fetched at; guarded by
  // assignment_mutex_.
  mutable std::optional<std::pair<std::uint64_t, internal::GroupAssignment>> assignment_cache_;
  // Writes this instance's reports to __runnel_app_reports (runtime/app_reporter.h). Set by
  // start(); atomic because close() stops it before taking threads_mutex_, which a report
  // being made waits for.
  std::chrono::milliseconds report_interval_{10'000};
  std::atomic<std::shared_ptr<AppReporter>> reporter_;
};

}  // namespace runnel

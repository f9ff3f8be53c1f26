#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/client/admin.h"
#include "core/status.h"
#include "operators/topology.h"
#include "runtime/global_stream_thread.h"
#include "runtime/internal/producer_collector.h"
#include "runtime/stream_thread.h"
#include "runtime/streams_config.h"

namespace runnel {

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

  // Starts the application; returns once its threads run (they join the group in the
  // background: the state is REBALANCING until every thread has its tasks, then RUNNING).
  // Fails, leaving the state ERROR, on an invalid topology or configuration, a missing source
  // or global table topic, a global table record that fails under log-and-fail, an internal
  // topic that exists with another partition count, or an unreachable
  // cluster. InvalidArgument when called twice.
  [[nodiscard]] Status start();

  // Stops every thread (each commits what it processed, closes its tasks and leaves the
  // group) and waits for them. Idempotent. NOT_RUNNING afterwards, or still ERROR.
  void close();

  State state() const { return state_.load(); }
  Metrics metrics() const;
  // The configuration as parsed by start(); meaningful once start() succeeded.
  const StreamsConfig& config() const { return config_; }

  static const char* to_string(State state);

 private:
  Status prepare();
  Status create_internal_topics();
  // Both with mutex_ held.
  void transition_locked(State to);
  void on_thread_state(int index, StreamThread::State state);
  void on_thread_error(int index, const Status& error);
  void on_global_error(const Status& error);

  const Topology topology_;
  const StreamsProperties properties_;
  StreamsConfig config_;  // Written by start() before any thread exists; read-only afterwards.
  std::unique_ptr<client::Admin> admin_;
  std::unique_ptr<internal::TopicPartitionCounts> partition_counts_;
  std::vector<std::string> source_topics_;  // Full names.
  // Keeps the global stores (null without global tables): made and bootstrapped by start()
  // before the stream threads, stopped by close() after them, as they read its stores;
  // declared before them so that it is destroyed after them.
  std::unique_ptr<GlobalStreamThread> global_thread_;
  // Made by start(), joined and destroyed by close(), both under threads_mutex_ (metrics() too).
  // Stream threads read the vector (to stop each other) only while they run, when it is fixed.
  std::vector<std::unique_ptr<StreamThread>> threads_;
  mutable std::mutex threads_mutex_;

  std::atomic<State> state_{State::kCreated};
  // Guards transitions (and so listener calls), thread_states_ and the callbacks.
  mutable std::mutex mutex_;
  std::vector<StreamThread::State> thread_states_;
  StateListener state_listener_;
  UncaughtErrorHandler error_handler_;
};

}  // namespace runnel

#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/client/admin.h"
#include "core/client/producer.h"
#include "operators/topology.h"
#include "runtime/internal/task_registry.h"

namespace runnel {

class KafkaStreams;
struct StreamsConfig;

// Makes a running KafkaStreams instance visible to any tool that reads the cluster
// (`runnel apps`, the console): every report interval and at each change of state it writes
// a JSON report of itself to the compacted topic __runnel_app_reports, keyed by
// "<application.id>/<instance id>" (the instance id is the process id, kept in the state
// directory for applications with stores). A clean close writes a tombstone for the key, so
// a stopped application disappears once compaction runs (readers drop it at once). It is an
// ordinary topic, made on first use with cleanup.policy=compact: the same works on a Kafka
// cluster.
//
// The report (one JSON object): format (1), application_id, instance_id, client_id, host,
// pid, state, processing_guarantee, started_at and reported_at (epoch ms), report_interval_ms,
// processed, lag, restored_records, threads [{name, processed, tasks [{id, state (running;
// restoring before its stores are restored; while the instance is not RUNNING, its state in
// lower case, e.g. rebalancing), processed, input_partitions [{topic, partition, lag}], stores
// [{name, bytes}]}]}], stores [{name, persistent, bytes}] (bytes: the RocksDB files of the
// instance's tasks, null for in-memory stores), topology (Topology::describe()'s text).
//
// Reporting never fails the application: a broker that refuses the topic or the writes is
// logged (warning) and tried again at the next interval. Configured with
// runnel.app.report.interval.ms (default 10000; 0 turns reports off).
class AppReporter {
 public:
  static constexpr const char* kTopic = "__runnel_app_reports";
  static constexpr const char* kIntervalConfig = "runnel.app.report.interval.ms";

  struct Options {
    const KafkaStreams* app = nullptr;  // Borrowed; outlives the reporter.
    const Topology* topology = nullptr;
    std::shared_ptr<internal::TaskRegistry> registry;  // Which tasks run (restored).
    std::string instance_id;
    std::chrono::milliseconds interval{10'000};
  };

  explicit AppReporter(Options options);
  ~AppReporter();
  AppReporter(const AppReporter&) = delete;
  AppReporter& operator=(const AppReporter&) = delete;

  // Starts the reporting thread (the first report goes out at once).
  void start();
  // Asks for a report now (the application's state changed). Never blocks on I/O: safe to
  // call with the application's locks held.
  void report_soon();
  // Stops the reporting thread; must be called before the application's threads are joined
  // (a report reads their metrics).
  void stop();
  // After stop(): a tombstone for this instance (`clean`), or a last report with `state`.
  void finish(bool clean, const char* state);

  // The report's key.
  std::string key() const;

 private:
  void run();
  std::string make_report();
  // Makes the topic if missing, then sends `value` (null: a tombstone) and waits for it.
  void publish(const std::optional<std::string>& value);
  // Creates __runnel_app_reports (compacted, one partition); AlreadyExists when it is there.
  static Status create_topic(const StreamsConfig& config);

  Options options_;
  std::string host_;
  std::int64_t started_at_ms_ = 0;
  std::unique_ptr<client::Producer> producer_;
  bool topic_ready_ = false;  // Only the reporting thread (then finish()) touches these.
  std::string last_report_;   // What finish() sends, with its state, when the close is not clean.
  bool finished_ = false;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;        // GUARDED_BY(mutex_)
  bool report_pending_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace runnel

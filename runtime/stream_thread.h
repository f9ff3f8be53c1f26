#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/client/consumer.h"
#include "core/client/producer.h"
#include "core/clock.h"
#include "core/status.h"
#include "operators/topology.h"
#include "runtime/internal/changelog_reader.h"
#include "runtime/internal/producer_collector.h"
#include "runtime/internal/task_registry.h"
#include "runtime/streams_config.h"
#include "runtime/task_manager.h"
#include "state/cache_budget.h"

namespace runnel {

// What one StreamThread has done, as published at most 100 ms ago (and at each commit,
// rebalance and exit).
struct StreamThreadMetrics {
  std::string name;
  std::vector<TaskManager::TaskMetrics> tasks;  // The tasks it owns now.
  // Over the thread's life, closed tasks included.
  std::uint64_t processed = 0;
  std::uint64_t skipped_deserialization = 0;
  std::uint64_t dropped = 0;
  std::uint64_t dropped_late = 0;  // Of `dropped`: records for windows already closed.
  // Average processing time of a record, from its source through the sinks' send().
  std::uint64_t process_latency_avg_ns = 0;
  std::uint64_t process_latency_max_ns = 0;  // The slowest batch's mean per record.
  std::uint64_t polls = 0;                   // Consumer polls (the loop's iterations).
  // Commits: producer flush, stores, checkpoints and offsets.
  std::uint64_t commits = 0;
  std::uint64_t commit_latency_avg_us = 0;
  std::uint64_t commit_latency_max_us = 0;
  // Iterations of the loop whose processing and commit (or whose poll beyond its timeout)
  // took 50 ms or more: every record waiting behind one waited that long. Logged at debug
  // level with where the time went.
  std::uint64_t slow_iterations = 0;
  // Restoration of stores from their changelogs.
  std::uint64_t restored_records = 0;
  std::uint64_t restored_bytes = 0;
  double restore_seconds = 0;
  // Changelog offsets still to read by the restoration running now (0 when none runs); read
  // live, not from the published snapshot, since a restoration publishes nothing until done.
  std::int64_t restore_remaining_records = 0;
  // Per owned input partition: the high watermark last fetched minus the next offset to
  // process (absent until both are known).
  std::map<client::TopicPartition, std::int64_t> consumer_lag;
};

// One processing thread of a KafkaStreams instance: a consumer in the application's group,
// a producer for every sink, and the TaskManager of the tasks the group gave it. The loop:
// poll (rebalances happen inside; each partition's records from a librdkafka queue of its own,
// up to what its buffer has room for, buffered.records.per.partition) → restore new tasks'
// stores from their changelogs (with a separate restore consumer) → queue → process every
// task in turn, each in timestamp order → wall-clock punctuators →
// commit every commit.interval.ms (flush stores → flush the producer until every send is
// acknowledged → write checkpoints → commit input offsets). Errors end the thread (it does not
// commit then, so the records since the last commit are processed again by whoever owns their
// partitions next) and are reported through Options::on_error; nothing is thrown.
//
// Under exactly_once_v2 the thread's producer is transactional (transactional.id
// <application.id>-<process id>-<thread>): everything it sends between two commits, and the
// input offsets of what it processed, form one transaction (see commit_transaction()). A
// fenced producer, a transaction that must abort, or partitions lost mid-transaction abort the
// transaction and close every task dirty; the thread then makes the tasks of its partitions
// again, rewound to the last committed transaction (a new producer if it was fenced), without
// leaving the group. After kMaxFailedTransactions such failures in a row it ends with the
// error. A consumer fenced as a static member (another instance with the same
// group.instance.id) ends the thread.
//
// Thread safety: start(), request_stop(), join() and metrics() may be called from any thread;
// everything else (consumer, producer, tasks) is owned by the thread start() runs.
class StreamThread final : private client::RebalanceListener {
 public:
  enum class State {
    kCreated,
    kStarting,
    kPartitionsRevoked,
    kPartitionsAssigned,
    kRunning,
    kPendingShutdown,
    kDead
  };

  struct Options {
    int index = 0;
    // The instance's identity (internal/process_id.h), which names this thread's
    // transactional.id and default group.instance.id: <application.id>-<process_id>-<index+1>.
    std::string process_id;
    // Whether process_id survives restarts (kept in the state directory): only then is static
    // membership on by default (StreamsConfig::group_instance_id).
    bool process_id_persistent = false;
    const Topology* topology = nullptr;                          // Borrowed; outlives the thread.
    const StreamsConfig* config = nullptr;                       // Borrowed.
    internal::TopicPartitionCounts* partition_counts = nullptr;  // Borrowed.
    std::vector<std::string> source_topics;  // Full names, internal ones included.
    // Where the thread's running tasks are offered to interactive queries; borrowed, may be
    // null (no queries).
    internal::TaskRegistry* task_registry = nullptr;
    // The instance's global stores, which its tasks read; borrowed (the global state
    // maintainer outlives the stream threads). Null: none.
    const GlobalStores* global_stores = nullptr;
    // Called on this thread at each change of state.
    std::function<void(int index, State state)> on_state;
    // Called on this thread once, when an error ends it (before its kDead state).
    std::function<void(int index, const Status& error)> on_error;
  };

  // Makes the thread's consumer and producer (no broker is contacted yet). InvalidArgument when
  // librdkafka refuses a passed-through property.
  [[nodiscard]] static Result<std::unique_ptr<StreamThread>> create(Options options);
  // Stops and joins the thread if it still runs.
  ~StreamThread() override;
  StreamThread(const StreamThread&) = delete;
  StreamThread& operator=(const StreamThread&) = delete;

  void start();
  // Asks the loop to end: it commits, closes its tasks, leaves the group and flushes.
  void request_stop() { stop_requested_.store(true); }
  void join();

  const std::string& name() const { return name_; }
  State state() const { return state_.load(); }
  StreamThreadMetrics metrics() const;

 private:
  StreamThread(Options options, std::string name, bool exactly_once);

  void run();
  Status run_loop();
  // A commit: checkpoints come every kCheckpointDelta changelog records of a task, and for
  // every task when `final` (the tasks are about to close or move). At least once: flush
  // caches → flush the producer → checkpoints → commit the input offsets.
  Status commit(bool final);
  // The exactly_once_v2 commit: flush caches → flush the producer → send the input offsets
  // to the transaction → commit it → StreamTask::commit_state() → checkpoints.
  Status commit_transaction(bool final);
  // exactly_once_v2: whether the thread survives `error` (from processing or a commit) by
  // aborting its transaction and restarting its tasks from the last committed one: the
  // producer was fenced or the transaction must abort.
  bool recoverable(const Status& error) const;
  // exactly_once_v2: `error`, or the producer's fatal error (Fenced...) when it has one, which
  // is then the real cause, with `error` as context.
  Status with_fatal_cause(const Status& error) const;
  // exactly_once_v2: aborts the open transaction if the producer still can (else marks it
  // for replacement) and closes every task dirty. Safe inside rebalance callbacks.
  void abort_and_close_tasks(const Status& cause);
  // exactly_once_v2, on the loop only: after abort_and_close_tasks, replaces a fenced
  // producer, makes the tasks of the partitions still assigned again and rewinds their
  // input to the committed offsets; the next iteration restores their stores.
  Status rebuild_tasks();
  // exactly_once_v2: makes producer_ a new transactional producer and registers it
  // (init_transactions fences any earlier producer with the same transactional.id).
  Status make_transactional_producer();
  void set_state(State state);
  void publish_metrics();
  // Counts (and logs at debug level) an iteration of the loop whose work after the poll, or
  // whose poll beyond `poll_timeout` (a rebalance), took kSlowIteration or more, with its
  // poll, process and commit times.
  void note_slow_iteration(std::chrono::steady_clock::time_point start,
                           std::chrono::milliseconds poll_timeout,
                           std::chrono::steady_clock::time_point polled,
                           std::chrono::steady_clock::time_point processed);

  // RebalanceListener: runs inside consumer_->poll_partitions() on this thread.
  void on_partitions_assigned(const std::vector<client::TopicPartition>& partitions) override;
  void on_partitions_revoked(const std::vector<client::TopicPartition>& partitions) override;
  void on_partitions_lost(const std::vector<client::TopicPartition>& partitions) override;

  Options options_;
  const std::string name_;
  std::atomic<State> state_{State::kCreated};
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;

  // Owned by the thread (after start()). Declaration order matters: the task manager holds
  // ConsumerRecords and the collector borrows the producer, so they go before the clients.
  std::unique_ptr<client::Producer> producer_;
  std::unique_ptr<client::Consumer> consumer_;
  std::unique_ptr<internal::ChangelogReader> changelog_reader_;  // Null without logged stores.
  std::unique_ptr<internal::ProducerCollector> collector_;
  // Before tasks_: the tasks' caches give their bytes back when destroyed.
  std::unique_ptr<state::CacheBudget> cache_budget_;
  std::unique_ptr<TaskManager> tasks_;
  // An error met inside a rebalance callback, which cannot return one.
  Status rebalance_error_;
  // Set once the thread failed: revokes then close tasks without committing.
  bool failed_ = false;
  // exactly_once_v2 (all owned by the thread).
  const bool exactly_once_;
  client::ClientConfig producer_config_;  // transactional.id included, for replacements.
  bool producer_unusable_ = false;        // Fenced or fatal: replaced by rebuild_tasks().
  bool rebuild_pending_ = false;          // Tasks were closed dirty; rebuild_tasks() is due.
  int failed_transactions_in_a_row_ = 0;  // Reset by a successful commit.
  std::uint64_t commits_ = 0;
  std::uint64_t commit_total_us_ = 0;
  std::uint64_t commit_max_us_ = 0;
  std::uint64_t slow_iterations_ = 0;
  std::uint64_t polls_ = 0;

  mutable std::mutex metrics_mutex_;
  StreamThreadMetrics metrics_;  // Guarded by metrics_mutex_; a snapshot the thread publishes.
};

}  // namespace runnel

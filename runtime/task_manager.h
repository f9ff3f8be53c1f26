#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/client/consumer_record.h"
#include "core/client/topic_partition.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/status.h"
#include "operators/internal/task_context.h"
#include "operators/task_id.h"
#include "operators/topology.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/internal/changelog_reader.h"
#include "runtime/internal/checkpointer.h"
#include "runtime/internal/directory_lock.h"
#include "runtime/internal/task_registry.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"

namespace runnel {

// The tasks of one StreamThread: made when the group assigns their input partitions, closed
// when it takes them back, fed with the records the thread polls. One task per
// (sub-topology, partition); a sub-topology reading several co-partitioned topics has one task
// per partition number reading all of them, in timestamp order.
//
// A task with logged stores is restored before it processes anything: each store replays its
// changelog partition from the offset in the task's checkpoint file (<state.dir>/<app>/
// <task>/.checkpoint), or from the start when there is none; a checkpoint outside the log
// wipes the task's local state first. Each commit writes the checkpoint again.
//
// A task with stores holds the lock of its directory (internal::DirectoryLock on
// <task>/.lock) from before its stores open until it closes, so that two threads or processes
// never open one task's stores, or wipe them, at once. A task whose directory is locked by
// another holder (a thread of this instance that has not closed it yet, or another process
// sharing the state.dir) is not made yet: it waits, its input paused by the thread, and each
// restore_new_tasks() tries again, as Kafka Streams retries a task whose lock it cannot get.
//
// Interactive queries: once restored, a task is added to Options::registry, and every call
// here that makes a task touch its stores (process, punctuate_wall_clock, flush_caches, and
// closing) holds that task's registry lock meanwhile, so that readers on other threads see
// its stores between records, never during one; a task leaves the registry before it closes.
//
// Thread-compatible: owned and used by one StreamThread. It holds ConsumerRecords, so it must
// be emptied (close_all) or destroyed before the Consumer that returned them.
class TaskManager {
 public:
  struct Options {
    const Topology* topology = nullptr;  // Borrowed; outlives the manager.
    std::string application_id;
    internal::RecordCollector* collector = nullptr;                      // Borrowed.
    const Clock* clock = nullptr;                                        // Borrowed.
    DeserializationExceptionHandler* deserialization_handler = nullptr;  // Borrowed.
    ProcessingExceptionHandler* processing_handler = nullptr;            // Borrowed.
    DefaultTimestampExtractor default_timestamp_extractor =
        DefaultTimestampExtractor::kFailOnInvalidTimestamp;
    state::CacheBudget* cache_budget = nullptr;  // Borrowed; see StreamTask::Options.
    // max.task.idle.ms: see process().
    std::chrono::milliseconds max_task_idle{0};
    // buffered.records.per.partition: see room().
    std::size_t buffered_records_per_partition = 1000;
    // The high watermark of an input partition as last fetched, -1 while unknown; for
    // process() to tell an empty partition at its end from one whose records are on the way.
    // Null: always unknown.
    std::function<std::int64_t(const client::TopicPartition&)> high_watermark;
    // The consumer's position in an input partition (one past the last record or transaction
    // marker it returned), -1 while unknown. Under read_committed a transactional input ends
    // with a marker that poll() never returns: once a partition's queue is empty, this is
    // where it stands, and comparing the last processed record with the high watermark would
    // see a record left for ever. Null: unknown.
    std::function<std::int64_t(const client::TopicPartition&)> consumer_position;
    // The group's committed offsets of `partitions`, with their metadata: a new task's stream
    // time is restored from it (see internal/partition_time_metadata.h). Null: a new task's
    // stream time starts unknown.
    std::function<Result<std::vector<client::TopicPartitionOffset>>(
        const std::vector<client::TopicPartition>&)>
        committed;
    std::string name;  // Of the owning thread, for logs.
    // Where stores and checkpoints live: <state_dir>/<application_id>/<task>.
    std::filesystem::path state_dir;
    internal::ChangelogReader* changelog_reader = nullptr;  // Borrowed.
    // Set when the owning thread is asked to stop: restoration gives up (Aborted).
    const std::atomic<bool>* stop = nullptr;
    // Where restored tasks are offered to interactive queries; borrowed, may be null.
    internal::TaskRegistry* registry = nullptr;
    // The instance's global stores, handed to every task; borrowed. Null: none.
    const GlobalStores* global_stores = nullptr;
    // exactly_once_v2: tasks buffer their RocksDB writes until commit_state()
    // (StreamTask::Options::buffer_uncommitted_writes).
    bool exactly_once = false;
    // StreamTask::Options::record_store_metrics.
    bool record_store_metrics = true;
  };

  // Restoration, accumulated since the manager was made.
  struct RestoreMetrics {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t tasks = 0;  // Tasks whose stores were restored (or found up to date).
    double seconds = 0;
  };

  struct TaskMetrics {
    TaskId id;
    StreamTask::Metrics counts;
    // Times the task stopped idling on an empty input and processed out of timestamp order.
    std::uint64_t enforced_processing = 0;
    // Its state stores' operation counts and latencies.
    std::vector<StreamTask::StoreMetrics> stores;
  };

  // Processing time (StreamTask::process, timed per batch of a task's queued records),
  // accumulated since the manager was made.
  struct ProcessLatency {
    std::uint64_t records = 0;
    std::uint64_t total_ns = 0;
    // The largest mean per record of one task's batch: a per-record maximum would cost a
    // clock read per record.
    std::uint64_t max_ns = 0;
  };

  explicit TaskManager(Options options);
  ~TaskManager();
  TaskManager(const TaskManager&) = delete;
  TaskManager& operator=(const TaskManager&) = delete;

  // Makes the tasks of newly assigned `partitions` (a task already made for another of its
  // partitions gains the new one). InvalidArgument for a topic the topology does not read; a
  // task that fails to init fails the call (tasks made before it stay).
  [[nodiscard]] Status assign(const std::vector<client::TopicPartition>& partitions);
  // Closes every task that reads one of `partitions`, dropping the records buffered for it
  // (the group's next owner reads them again from the committed offset). Commit first to keep
  // the progress made.
  void revoke(const std::vector<client::TopicPartition>& partitions);
  // Closes every task. Without a commit (and, under exactly_once_v2, commit_state()) first,
  // this is a dirty close: uncommitted store writes are dropped and no checkpoint is written,
  // so the tasks' next owner restores them to the last committed state.
  void close_all();

  // Makes the tasks that were waiting for their directory's lock where it is free now, then
  // restores the stores of every task made since the last call. Fails with the first error
  // (a changelog that cannot be read, a store that refuses a record, a lock file that cannot
  // be made); a lock still held elsewhere is not an error (see waiting_partitions()).
  [[nodiscard]] Status restore_new_tasks();
  // The input partitions of tasks still waiting for their directory's lock.
  std::vector<client::TopicPartition> waiting_partitions() const;

  // The first half of a commit: flushes every task's caches (they write their entries down
  // and forward them, which may send records; StreamTask::flush_caches).
  [[nodiscard]] Status flush_caches();
  // Writes each task's checkpoint once its changelog writes are acknowledged: per changelog
  // partition, one past the last acknowledged offset in `acknowledged` (the producer's
  // delivery reports), or where restoration ended when the task has written nothing. The
  // task's stores are written to disk first (StreamTask::make_durable), so that they never
  // hold less than the checkpoint says.
  //
  // `min_delta` > 0 skips a task whose changelog offsets all moved fewer than `min_delta`
  // records since its last checkpoint (a commit comes every 100 ms under exactly_once_v2,
  // and a checkpoint costs a memtable flush per store; see docs/RUNTIME.md); 0 writes every
  // task's. With min_delta > 0 a due checkpoint is written in the background: the stores'
  // batched writes go into RocksDB here, their memtables are written to disk and the file
  // after that on a thread of the manager's own (internal/checkpointer.h), so the stream
  // thread does not wait for the disk; an error there is returned by a later call. With 0,
  // the checkpoints still queued land first, then every task's is written before returning.
  [[nodiscard]] Status write_checkpoints(
      const std::map<client::TopicPartition, std::int64_t>& acknowledged,
      std::int64_t min_delta = 0);
  // exactly_once_v2, after the transaction committed and before write_checkpoints(): every
  // task applies its buffered store writes to RocksDB (StreamTask::commit_state). Fails with the
  // first error, naming the task; the tasks must then be closed without a checkpoint (close_all),
  // and restoration repairs their stores.
  [[nodiscard]] Status commit_state();

  // How many more records of `tp` may be queued: buffered.records.per.partition less those
  // queued; 0 for a partition no task reads (yet), whose records stay with the consumer.
  // The thread polls each partition for no more than this, so that a partition with a
  // backlog fills its own buffer and stops there, and never stands in front of another
  // partition's records (Kafka Streams pauses such a partition instead).
  std::size_t room(const client::TopicPartition& tp);
  // Queues polled records behind their partitions' earlier ones. A record of a partition
  // no task reads (revoked while it was being fetched) is dropped.
  void add_records(std::vector<client::ConsumerRecord>& records);
  // Processes the queued records; within a task, the queue head with the smallest timestamp
  // goes first. Returns how many were processed; stops at the first task error, which names
  // the task.
  //
  // A task reading several partitions needs a record from each to know which comes first, so
  // while one of its inputs is empty it idles (max.task.idle.ms, Kafka Streams' rule): when
  // that partition still has records on the broker (its last fetched high watermark is past
  // its position) or nothing is known of it yet, for at most max(max.task.idle.ms,
  // kFetchWait), which lets the fetch that brings them arrive; when it is known to be at its
  // end, for max.task.idle.ms (0: not at all), in case a producer is about to write to it.
  // Past that, the task processes what it has ("enforced processing", counted in
  // TaskMetrics). max.task.idle.ms -1 never idles.
  [[nodiscard]] Result<std::size_t> process();
  // How long a task may wait for records that are on the broker but not yet fetched: longer
  // than librdkafka's fetch.wait.max.ms (500 ms).
  static constexpr std::chrono::milliseconds kFetchWait{1000};
  // Runs the wall-clock punctuators of every task.
  [[nodiscard]] Status punctuate_wall_clock();

  // For each input partition processed since the last mark_committed(): the next offset to
  // read, as Kafka commits it, with the task's stream time as its metadata.
  std::vector<client::TopicPartitionOffset> uncommitted_offsets() const;
  void mark_committed();

  // The offset of the next record to process of every owned partition whose position is
  // known (something was processed or is queued, or the consumer moved past a transaction
  // marker): for lag, against the high watermark.
  std::map<client::TopicPartition, std::int64_t> positions() const;

  std::vector<TaskMetrics> task_metrics() const;
  // Counts of the tasks closed so far, so that totals survive rebalances.
  const StreamTask::Metrics& closed_task_counts() const { return closed_counts_; }
  const ProcessLatency& process_latency() const { return latency_; }
  const RestoreMetrics& restore_metrics() const { return restore_metrics_; }
  std::size_t task_count() const { return tasks_.size(); }
  std::vector<TaskId> task_ids() const;

 private:
  struct Input {
    std::deque<client::ConsumerRecord> queue;
    std::int64_t next_offset = -1;       // After the last processed record; -1: none yet.
    std::int64_t committed_offset = -1;  // next_offset when last committed.
    // Of the last record queued. A partition revoked and assigned again inside one poll is
    // fetched again from its committed offset while records fetched before the revoke may
    // still arrive in the same batch: records at or below this offset are such duplicates.
    std::int64_t last_queued = -1;
    // The group's committed offset when the task was made, where the consumer starts
    // fetching; -1: none committed. After a rebalance an input whose committed offset is its
    // end has no record to process or queue, and librdkafka knows no position for it (it
    // reports the last record returned to the application), so this is what says it is at
    // its end rather than unknown.
    std::int64_t fetch_start = -1;
  };
  // Where an input with an empty queue stands: past what was processed or queued, and past
  // any transaction markers the consumer skipped after it; -1 while unknown.
  std::int64_t empty_input_position(const client::TopicPartition& tp, const Input& input) const;
  struct Task {
    // Released after `task` closes (members are destroyed in reverse order).
    internal::DirectoryLock lock;
    // Null while the directory's lock is held elsewhere.
    std::unique_ptr<StreamTask> task;
    bool lock_wait_logged = false;
    std::map<client::TopicPartition, Input> inputs;
    bool restored = false;
    // Its stream time was set from the committed metadata (or there was none to set).
    bool stream_time_restored = false;
    // When it started idling on an empty input (max.task.idle.ms); nullopt: not idling.
    std::optional<std::int64_t> idle_since_ms;
    bool enforcing = false;  // Idled long enough: processes until every input has records.
    std::uint64_t enforced_processing = 0;
    // Per changelog partition of its stores: the offset after the last record the stores
    // reflect, as of restoration or the last checkpoint.
    std::map<client::TopicPartition, std::int64_t> changelog_offsets;
    // The offsets of its last checkpoint written (for write_checkpoints' min_delta).
    std::map<client::TopicPartition, std::int64_t> checkpointed_offsets;
    // Its entry in Options::registry, once restored; null otherwise or without a registry.
    std::shared_ptr<internal::TaskSlot> slot;
  };

  // The task is restored: it may process, and readers may query it.
  void mark_restored(Task& task);
  // Reads, in one call, the group's committed offsets of the inputs of every made task not
  // yet read: sets the task's stream time to the largest partition time committed for its
  // inputs (Kafka Streams' initializeTaskTime), and each input's fetch_start.
  void read_committed_offsets();
  // Held while the task touches its stores; empty when the task is not offered to queries.
  static std::unique_lock<std::mutex> lock_stores(Task& task);
  void close_task(Task& task);
  // Whether `task` may process now, given which inputs are empty (see process()).
  bool ready_to_process(Task& task);
  // Locks the task's directory (when it has stores) and makes the task; leaves it unmade,
  // and OK, while the lock is held elsewhere.
  [[nodiscard]] Status try_make_task(TaskId id, Task& task);
  // The input queue of `tp`, or null when no task reads it.
  Input* find_input(const client::TopicPartition& tp);
  Result<std::unique_ptr<StreamTask>> make_task(TaskId id);
  // Removes everything in the task's directory but its lock file, which this manager holds.
  [[nodiscard]] Status wipe_task_directory(TaskId id);
  std::filesystem::path checkpoint_path(TaskId id) const;

  Options options_;
  std::unique_ptr<RocksDbStoreSupplier> store_supplier_;
  // Writes the periodic checkpoints (write_checkpoints with min_delta > 0).
  internal::Checkpointer checkpointer_;
  std::map<std::string, std::int32_t> subtopology_by_topic_;  // Full topic names.
  std::set<std::int32_t> stateful_subtopologies_;             // Those whose tasks have stores.
  std::map<TaskId, Task> tasks_;
  StreamTask::Metrics closed_counts_;
  ProcessLatency latency_;
  RestoreMetrics restore_metrics_;
};

}  // namespace runnel

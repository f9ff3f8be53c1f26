#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
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
    std::string name;  // Of the owning thread, for logs.
    // Where stores and checkpoints live: <state_dir>/<application_id>/<task>.
    std::filesystem::path state_dir;
    internal::ChangelogReader* changelog_reader = nullptr;  // Borrowed.
    // Set when the owning thread is asked to stop: restoration gives up (Aborted).
    const std::atomic<bool>* stop = nullptr;
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
  };

  // Processing time (StreamTask::process, timed per batch of a task's queued records),
  // accumulated since the manager was made.
  struct ProcessLatency {
    std::uint64_t records = 0;
    std::uint64_t total_ns = 0;
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
  // Closes every task.
  void close_all();

  // Restores the stores of every task made since the last call. Fails with the first error
  // (a changelog that cannot be read, a store that refuses a record).
  [[nodiscard]] Status restore_new_tasks();

  // The first half of a commit: flushes every task's stores (caches forward what they hold,
  // which may send records).
  [[nodiscard]] Status flush_stores();
  // Writes each task's checkpoint once its changelog writes are acknowledged: per changelog
  // partition, one past the last acknowledged offset in `acknowledged` (the producer's
  // delivery reports), or where restoration ended when the task has written nothing.
  [[nodiscard]] Status write_checkpoints(
      const std::map<client::TopicPartition, std::int64_t>& acknowledged);

  // Queues polled records behind their partitions' earlier ones. A record of a partition
  // no task reads (revoked while it was being fetched) is dropped.
  void add_records(std::vector<client::ConsumerRecord>& records);
  // Processes every queued record; within a task, the queue head with the smallest timestamp
  // goes first. Returns how many were processed; stops at the first task error, which names
  // the task.
  [[nodiscard]] Result<std::size_t> process();
  // Runs the wall-clock punctuators of every task.
  [[nodiscard]] Status punctuate_wall_clock();

  // For each input partition processed since the last mark_committed(): the next offset to
  // read, as Kafka commits it.
  std::vector<client::TopicPartitionOffset> uncommitted_offsets() const;
  void mark_committed();

  // The offset of the next record to process of every owned partition whose position is
  // known (something was processed or is queued).
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
  };
  struct Task {
    std::unique_ptr<StreamTask> task;
    std::map<client::TopicPartition, Input> inputs;
    bool restored = false;
    // Per changelog partition of its stores: the offset after the last record the stores
    // reflect, as of restoration or the last checkpoint.
    std::map<client::TopicPartition, std::int64_t> changelog_offsets;
  };

  void close_task(Task& task);
  // The input queue of `tp`, or null when no task reads it.
  Input* find_input(const client::TopicPartition& tp);
  Result<std::unique_ptr<StreamTask>> make_task(TaskId id);
  std::filesystem::path checkpoint_path(TaskId id) const;

  Options options_;
  std::unique_ptr<RocksDbStoreSupplier> store_supplier_;
  std::map<std::string, std::int32_t> subtopology_by_topic_;  // Full topic names.
  std::map<TaskId, Task> tasks_;
  StreamTask::Metrics closed_counts_;
  ProcessLatency latency_;
  RestoreMetrics restore_metrics_;
};

}  // namespace runnel

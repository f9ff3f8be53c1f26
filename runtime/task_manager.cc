#include "runtime/task_manager.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "core/log.h"
#include "runtime/internal/partition_time_metadata.h"
#include "state/checkpoint_file.h"
#include "state/deferred_flushes.h"

namespace runnel {

namespace {

// At-least-once: how many bytes of writes a RocksDB store batches before one RocksDB Write
// (state::RocksDbStoreOptions::write_batch_bytes); every checkpoint applies the rest first.
// Exactly-once buffers until the transaction commits instead. Larger batches cost less CPU in
// the fraud demo (docs/BENCHMARKS.md); each holds up to about 3x its bytes in memory.
constexpr std::size_t kAtLeastOnceWriteBatchBytes = 2 << 20;

state::RocksDbStoreOptions task_store_options(bool exactly_once) {
  state::RocksDbStoreOptions options;
  if (!exactly_once) options.write_batch_bytes = kAtLeastOnceWriteBatchBytes;
  return options;
}

}  // namespace

TaskManager::TaskManager(Options options)
    : options_(std::move(options)),
      store_supplier_(std::make_unique<RocksDbStoreSupplier>(
          options_.state_dir, options_.application_id, task_store_options(options_.exactly_once))) {
  const Topology& topology = *options_.topology;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    if (sub.global) continue;  // Read by the global state maintainer, not by tasks.
    for (const std::string& topic : sub.source_topics) {
      const std::string full = topology.is_internal_topic(topic)
                                   ? Topology::internal_topic_name(options_.application_id, topic)
                                   : topic;
      subtopology_by_topic_[full] = sub.id;
    }
    for (const std::string& name : sub.nodes) {
      const internal::NodeDef* def = topology.node(name);
      if (def != nullptr && !def->stores.empty()) stateful_subtopologies_.insert(sub.id);
    }
  }
}

TaskManager::~TaskManager() { close_all(); }

Status TaskManager::assign(const std::vector<client::TopicPartition>& partitions) {
  for (const client::TopicPartition& tp : partitions) {
    auto sub = subtopology_by_topic_.find(tp.topic);
    if (sub == subtopology_by_topic_.end()) {
      return invalid_argument_error("assigned " + tp.topic + "[" + std::to_string(tp.partition) +
                                    "], which the topology does not read");
    }
    const TaskId id{sub->second, tp.partition};
    auto [it, added] = tasks_.try_emplace(id);
    it->second.inputs.try_emplace(tp);
    if (added) {
      Status made = try_make_task(id, it->second);
      if (!made.ok()) {
        tasks_.erase(it);
        return made;
      }
    }
  }
  return ok_status();
}

Status TaskManager::try_make_task(TaskId id, Task& task) {
  if (stateful_subtopologies_.count(id.subtopology) != 0 && !task.lock.held()) {
    Result<internal::DirectoryLock> lock =
        internal::DirectoryLock::try_lock(store_supplier_->task_directory(id));
    if (lock.status().code() == StatusCode::kUnavailable) {
      if (!task.lock_wait_logged) {
        log::warn(
            "{}: the directory of task {} is locked by another thread or process; "
            "waiting for it",
            options_.name, id.to_string());
        task.lock_wait_logged = true;
      }
      return ok_status();
    }
    if (!lock.ok()) return lock.status().with_context("task " + id.to_string());
    task.lock = std::move(*lock);
  }
  RUNNEL_ASSIGN_OR_RETURN(task.task, make_task(id));
  log::info("{}: created task {}", options_.name, id.to_string());
  return ok_status();
}

Status TaskManager::wipe_task_directory(TaskId id) {
  RUNNEL_RETURN_IF_ERROR(checkpointer_.drain());
  const std::filesystem::path dir = store_supplier_->task_directory(id);
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == internal::DirectoryLock::kFileName) continue;
    std::filesystem::remove_all(it->path(), ec);
    if (ec) break;
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return io_error("cannot wipe " + dir.string() + ": " + ec.message());
  }
  return ok_status();
}

std::vector<client::TopicPartition> TaskManager::waiting_partitions() const {
  std::vector<client::TopicPartition> out;
  for (const auto& [id, task] : tasks_) {
    if (task.task != nullptr) continue;
    for (const auto& [tp, input] : task.inputs) out.push_back(tp);
  }
  return out;
}

Result<std::unique_ptr<StreamTask>> TaskManager::make_task(TaskId id) {
  StreamTask::Options options{.application_id = options_.application_id,
                              .collector = options_.collector,
                              .clock = options_.clock,
                              .deserialization_handler = options_.deserialization_handler,
                              .store_supplier = store_supplier_.get(),
                              .default_timestamp_extractor = options_.default_timestamp_extractor,
                              .cache_budget = options_.cache_budget,
                              .global_stores = options_.global_stores,
                              .buffer_uncommitted_writes = options_.exactly_once,
                              .record_store_metrics = options_.record_store_metrics,
                              .processing_handler = options_.processing_handler};
  return StreamTask::create(*options_.topology, id, std::move(options));
}

std::filesystem::path TaskManager::checkpoint_path(TaskId id) const {
  return store_supplier_->task_directory(id) / state::CheckpointFile::kFileName;
}

Status TaskManager::restore_new_tasks() {
  // Every new task's changelogs are read together, so that partitions are fetched in parallel.
  for (int attempt = 0;; ++attempt) {
    std::vector<internal::ChangelogToRestore> changelogs;
    std::map<client::TopicPartition, Task*> owner;
    std::map<TaskId, std::vector<client::TopicPartition>> changelogs_of;
    for (auto& [id, task] : tasks_) {
      if (task.task == nullptr) RUNNEL_RETURN_IF_ERROR(try_make_task(id, task));
    }
    read_committed_offsets();
    for (auto& [id, task] : tasks_) {
      if (task.restored || task.task == nullptr) continue;
      std::vector<StreamTask::Store> stores = task.task->stores();
      RUNNEL_ASSIGN_OR_RETURN(std::optional<state::CheckpointOffsets> offsets,
                              state::CheckpointFile(checkpoint_path(id)).read());
      for (const StreamTask::Store& store : stores) {
        if (!store.changelog) continue;
        internal::ChangelogToRestore c{
            store.name, {store.changelog->topic, store.changelog->partition}, std::nullopt};
        if (offsets && !store.in_memory) {
          auto it = offsets->find(*store.changelog);
          if (it != offsets->end()) c.checkpoint = it->second;
        }
        owner[c.changelog] = &task;
        changelogs_of[id].push_back(c.changelog);
        changelogs.push_back(std::move(c));
      }
      if (changelogs_of.count(id) == 0) {  // No logged store: nothing to restore.
        mark_restored(task);
      }
    }
    if (changelogs.empty()) return ok_status();
    if (options_.changelog_reader == nullptr) {
      return invalid_argument_error("tasks have logged stores but no restore consumer");
    }
    const auto start = std::chrono::steady_clock::now();
    RUNNEL_ASSIGN_OR_RETURN(internal::RestoreOutcome outcome,
                            options_.changelog_reader->restore(
                                changelogs,
                                [&owner](const internal::ChangelogToRestore& c,
                                         std::span<const state::RestoreRecord> batch) {
                                  return owner.at(c.changelog)->task->restore(c.store, batch);
                                },
                                *options_.stop));
    restore_metrics_.records += outcome.records;
    restore_metrics_.bytes += outcome.bytes;
    restore_metrics_.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (outcome.stale.empty()) {
      for (auto& [id, tps] : changelogs_of) {
        Task& task = tasks_.at(id);
        for (const client::TopicPartition& tp : tps) {
          task.changelog_offsets[tp] = outcome.end_offsets.at(tp);
        }
        mark_restored(task);
      }
      if (outcome.records > 0) {
        log::info("{}: restored {} record(s) into {} task(s)", options_.name, outcome.records,
                  changelogs_of.size());
      }
      return ok_status();
    }
    if (attempt > 0) return internal_error("changelogs still stale after wiping local state");
    // The local state is ahead of, or unrelated to, the changelog: Kafka Streams' "task
    // corrupted". Wipe it and restore everything from the changelog.
    for (const client::TopicPartition& tp : outcome.stale) {
      for (auto& [id, task] : tasks_) {
        if (&task != owner.at(tp) || task.task == nullptr) continue;
        log::warn("{}: task {} has a stale checkpoint; wiping its local state", options_.name,
                  id.to_string());
        task.task->close();
        task.task.reset();
        RUNNEL_RETURN_IF_ERROR(wipe_task_directory(id));
        RUNNEL_ASSIGN_OR_RETURN(task.task, make_task(id));
      }
    }
  }
}

void TaskManager::mark_restored(Task& task) {
  task.restored = true;
  ++restore_metrics_.tasks;
  if (options_.registry != nullptr) task.slot = options_.registry->add(*task.task);
}

void TaskManager::read_committed_offsets() {
  std::vector<client::TopicPartition> partitions;
  for (const auto& [id, task] : tasks_) {
    if (task.task == nullptr || task.stream_time_restored) continue;
    for (const auto& [tp, input] : task.inputs) partitions.push_back(tp);
  }
  if (partitions.empty() || !options_.committed) return;
  Result<std::vector<client::TopicPartitionOffset>> committed = options_.committed(partitions);
  std::map<client::TopicPartition, Timestamp> partition_times;
  if (committed.ok()) {
    for (const client::TopicPartitionOffset& c : *committed) {
      if (std::optional<Timestamp> time = internal::decode_partition_time(c.metadata)) {
        partition_times[c.topic_partition] = *time;
      }
      if (Input* input = find_input(c.topic_partition); input != nullptr && c.offset >= 0) {
        input->fetch_start = c.offset;
      }
    }
  } else {
    // Not worth failing the thread over: the first record processed sets the stream time, as
    // it did before stream times were committed.
    log::warn("{}: the committed stream times of {} partition(s) are unknown: {}", options_.name,
              partitions.size(), committed.status().to_string());
  }
  for (auto& [id, task] : tasks_) {
    if (task.task == nullptr || task.stream_time_restored) continue;
    task.stream_time_restored = true;
    Timestamp stream_time = kNoTimestamp;
    for (const auto& [tp, input] : task.inputs) {
      auto it = partition_times.find(tp);
      if (it != partition_times.end()) stream_time = std::max(stream_time, it->second);
    }
    if (stream_time != kNoTimestamp) task.task->restore_stream_time(stream_time);
  }
}

std::unique_lock<std::mutex> TaskManager::lock_stores(Task& task) {
  if (task.slot == nullptr) return {};
  return std::unique_lock(task.slot->mutex);
}

Status TaskManager::flush_caches() {
  for (auto& [id, task] : tasks_) {
    if (!task.restored) continue;
    std::unique_lock lock = lock_stores(task);
    Status s = task.task->flush_caches();
    if (!s.ok()) return s.with_context("flushing the caches of task " + id.to_string());
  }
  return ok_status();
}

Status TaskManager::commit_state() {
  for (auto& [id, task] : tasks_) {
    if (!task.restored) continue;
    std::unique_lock lock = lock_stores(task);
    Status s = task.task->commit_state();
    if (!s.ok()) return s.with_context("committing the stores of task " + id.to_string());
  }
  return ok_status();
}

Status TaskManager::write_checkpoints(
    const std::map<client::TopicPartition, std::int64_t>& acknowledged, std::int64_t min_delta) {
  // A final checkpoint (min_delta <= 0: before a close) is written here, after the periodic
  // ones still queued, so that none of those lands after it.
  const bool in_background = min_delta > 0;
  if (!in_background) RUNNEL_RETURN_IF_ERROR(checkpointer_.drain());
  for (auto& [id, task] : tasks_) {
    if (!task.restored || task.changelog_offsets.empty()) continue;
    state::CheckpointOffsets offsets;
    bool due = min_delta <= 0;
    for (auto& [tp, offset] : task.changelog_offsets) {
      auto acked = acknowledged.find(tp);
      if (acked != acknowledged.end() && acked->second + 1 > offset) offset = acked->second + 1;
      offsets[state::TopicPartition{tp.topic, tp.partition}] = offset;
      auto last = task.checkpointed_offsets.find(tp);
      if (last == task.checkpointed_offsets.end() || offset - last->second >= min_delta) {
        due = true;
      }
    }
    if (!due) continue;
    task.checkpointed_offsets = task.changelog_offsets;
    std::vector<state::DeferredFlushes::Job> flushes;
    {
      std::unique_lock lock = lock_stores(task);
      // In the background, the stores' part on this thread; the wait for the disk and the
      // file on the checkpointer's (internal/checkpointer.h).
      std::optional<state::DeferredFlushes> deferred;
      if (in_background) deferred.emplace();
      Status durable = task.task->make_durable();
      if (!durable.ok()) {
        return durable.with_context("writing the stores of task " + id.to_string() + " to disk");
      }
      if (deferred) flushes = deferred->take();
    }
    if (in_background) {
      RUNNEL_RETURN_IF_ERROR(checkpointer_.submit({.what = "task " + id.to_string(),
                                                   .flushes = std::move(flushes),
                                                   .checkpoint_path = checkpoint_path(id),
                                                   .offsets = std::move(offsets)}));
      continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(store_supplier_->task_directory(id), ec);
    const state::CheckpointFile checkpoint(checkpoint_path(id));
    Status s = checkpoint.write(offsets);
    if (!s.ok()) return s.with_context("checkpoint of task " + id.to_string());
  }
  return ok_status();
}

void TaskManager::close_task(Task& task) {
  // A checkpoint still being written must land before the stores close and the directory's
  // lock goes.
  Status pending = checkpointer_.drain();
  if (!pending.ok()) log::warn("{}: {}", options_.name, pending.to_string());
  if (task.slot != nullptr) {
    // Waits for the queries reading the task; none starts afterwards.
    options_.registry->remove(task.slot);
    task.slot.reset();
  }
  if (task.task == nullptr) return;
  task.task->close();
  const StreamTask::Metrics& m = task.task->metrics();
  closed_counts_.processed += m.processed;
  closed_counts_.skipped_deserialization += m.skipped_deserialization;
  closed_counts_.dropped += m.dropped;
  closed_counts_.dropped_late += m.dropped_late;
  log::info("{}: closed task {}", options_.name, task.task->id().to_string());
}

void TaskManager::revoke(const std::vector<client::TopicPartition>& partitions) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    bool reads_revoked = false;
    for (const client::TopicPartition& tp : partitions) {
      if (it->second.inputs.count(tp) != 0) reads_revoked = true;
    }
    if (!reads_revoked) {
      ++it;
      continue;
    }
    close_task(it->second);
    it = tasks_.erase(it);
  }
}

void TaskManager::close_all() {
  for (auto& [id, task] : tasks_) close_task(task);
  tasks_.clear();
}

void TaskManager::add_records(std::vector<client::ConsumerRecord>& records) {
  // A poll returns records in runs of one partition: the input is looked up once per run,
  // not once per record (three map lookups with string compares).
  client::TopicPartition tp;
  Input* input = nullptr;
  bool known = false;  // Whether `input` is the lookup's answer for `tp`.
  for (client::ConsumerRecord& record : records) {
    if (!known || record.partition() != tp.partition || record.topic() != tp.topic) {
      tp.topic.assign(record.topic());
      tp.partition = record.partition();
      input = find_input(tp);
      known = true;
    }
    if (input == nullptr) continue;
    if (record.offset() <= input->last_queued) continue;
    input->last_queued = record.offset();
    input->queue.push_back(std::move(record));
  }
  records.clear();
}

std::size_t TaskManager::room(const client::TopicPartition& tp) {
  const Input* input = find_input(tp);
  if (input == nullptr) return 0;
  const std::size_t bound = options_.buffered_records_per_partition;
  return input->queue.size() >= bound ? 0 : bound - input->queue.size();
}

TaskManager::Input* TaskManager::find_input(const client::TopicPartition& tp) {
  auto sub = subtopology_by_topic_.find(tp.topic);
  if (sub == subtopology_by_topic_.end()) return nullptr;
  auto task = tasks_.find(TaskId{sub->second, tp.partition});
  if (task == tasks_.end()) return nullptr;
  auto input = task->second.inputs.find(tp);
  return input == task->second.inputs.end() ? nullptr : &input->second;
}

Result<std::size_t> TaskManager::process() {
  std::size_t processed = 0;
  // Timed per task and batch rather than per record: two clock reads per record would be a
  // visible share of a cheap topology's cost.
  for (auto& [id, task] : tasks_) {
    if (!task.restored) continue;
    const auto start = std::chrono::steady_clock::now();
    const std::size_t before = processed;
    // Per task and batch, not per record, so that the lock's cost is shared by the batch's
    // records; a reader waits at most one batch.
    std::unique_lock lock = lock_stores(task);
    while (true) {
      // The queue whose head has the smallest timestamp; ties go to the first partition.
      Input* next = nullptr;
      const client::TopicPartition* next_tp = nullptr;
      Timestamp best = 0;
      bool some_empty = false;
      for (auto& [tp, input] : task.inputs) {
        if (input.queue.empty()) {
          some_empty = true;
          continue;
        }
        const Timestamp t = input.queue.front().timestamp();
        if (next == nullptr || t < best) {
          next = &input;
          next_tp = &tp;
          best = t;
        }
      }
      if (next == nullptr) break;
      if (some_empty) {
        if (!ready_to_process(task)) break;
      } else {
        task.idle_since_ms.reset();
        task.enforcing = false;
      }
      const client::ConsumerRecord& record = next->queue.front();
      const Headers headers = record.headers();
      // The topic and the timestamp as already known (the input's name, the head's timestamp
      // read above), not asked of librdkafka again.
      internal::RawRecordView view{next_tp->topic,
                                   next_tp->partition,
                                   record.offset(),
                                   record.key(),
                                   record.value(),
                                   best,
                                   headers.empty() ? nullptr : &headers};
      Status s = task.task->process(view);
      if (!s.ok()) return s.with_context("task " + id.to_string());
      next->next_offset = record.offset() + 1;
      next->queue.pop_front();
      ++processed;
    }
    if (processed > before) {
      const auto batch_ns =
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
      latency_.records += processed - before;
      latency_.total_ns += batch_ns;
      latency_.max_ns = std::max(latency_.max_ns, batch_ns / (processed - before));
    }
  }
  return processed;
}

Status TaskManager::punctuate_wall_clock() {
  for (auto& [id, task] : tasks_) {
    if (!task.restored) continue;
    std::unique_lock lock = lock_stores(task);
    Status s = task.task->punctuate_wall_clock();
    if (!s.ok()) return s.with_context("task " + id.to_string());
  }
  return ok_status();
}

std::vector<client::TopicPartitionOffset> TaskManager::uncommitted_offsets() const {
  std::vector<client::TopicPartitionOffset> out;
  for (const auto& [id, task] : tasks_) {
    for (const auto& [tp, input] : task.inputs) {
      if (input.next_offset >= 0 && input.next_offset != input.committed_offset) {
        // Kafka Streams commits each partition's own time; a task's stream time is the
        // largest of them, which is what a restart needs back.
        const Timestamp stream_time = task.task->stream_time();
        out.push_back({tp, input.next_offset,
                       stream_time >= 0 ? internal::encode_partition_time(stream_time) : ""});
      }
    }
  }
  return out;
}

void TaskManager::mark_committed() {
  for (auto& [id, task] : tasks_) {
    for (auto& [tp, input] : task.inputs) input.committed_offset = input.next_offset;
  }
}

std::map<client::TopicPartition, std::int64_t> TaskManager::positions() const {
  std::map<client::TopicPartition, std::int64_t> out;
  for (const auto& [id, task] : tasks_) {
    for (const auto& [tp, input] : task.inputs) {
      if (!input.queue.empty()) {
        out[tp] = input.queue.front().offset();
      } else if (const std::int64_t position = empty_input_position(tp, input); position >= 0) {
        out[tp] = position;
      }
    }
  }
  return out;
}

std::int64_t TaskManager::empty_input_position(const client::TopicPartition& tp,
                                               const Input& input) const {
  const std::int64_t own = input.next_offset >= 0   ? input.next_offset
                           : input.last_queued >= 0 ? input.last_queued + 1
                                                    : input.fetch_start;
  // Every record the consumer returned was queued, and the queue is empty: whatever lies
  // between `own` and the consumer's position is markers and aborted records.
  const std::int64_t consumer = options_.consumer_position ? options_.consumer_position(tp) : -1;
  return std::max(own, consumer);
}

bool TaskManager::ready_to_process(Task& task) {
  if (options_.max_task_idle.count() < 0 || task.inputs.size() < 2) return true;
  if (task.enforcing) return true;
  // The longest any empty input asks the task to wait.
  std::chrono::milliseconds limit{0};
  for (const auto& [tp, input] : task.inputs) {
    if (!input.queue.empty()) continue;
    const std::int64_t high = options_.high_watermark ? options_.high_watermark(tp) : -1;
    const std::int64_t position = empty_input_position(tp, input);
    const bool at_end = high == 0 || (high > 0 && position >= high);
    limit = std::max(
        limit, at_end ? options_.max_task_idle : std::max(options_.max_task_idle, kFetchWait));
  }
  if (limit.count() == 0) return true;
  const std::int64_t now = options_.clock->now_ms();
  if (!task.idle_since_ms) task.idle_since_ms = now;
  if (now - *task.idle_since_ms < limit.count()) return false;
  // Until every input has records again.
  task.enforcing = true;
  ++task.enforced_processing;
  return true;
}

std::vector<TaskManager::TaskMetrics> TaskManager::task_metrics() const {
  std::vector<TaskMetrics> out;
  for (const auto& [id, task] : tasks_) {
    if (task.task != nullptr) {
      out.push_back(
          {id, task.task->metrics(), task.enforced_processing, task.task->store_metrics()});
    }
  }
  return out;
}

std::vector<TaskId> TaskManager::task_ids() const {
  std::vector<TaskId> out;
  for (const auto& [id, task] : tasks_) out.push_back(id);
  return out;
}

}  // namespace runnel

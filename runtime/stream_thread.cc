#include "runtime/stream_thread.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "core/log.h"

namespace runnel {

using namespace std::chrono_literals;

namespace {

// How long a commit waits for the producer's outstanding sends before failing the thread.
constexpr std::chrono::milliseconds kFlushTimeout = 60s;
// How often metrics are published between commits.
constexpr std::chrono::milliseconds kMetricsInterval = 100ms;

std::uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

}  // namespace

StreamThread::StreamThread(Options options, std::string name)
    : options_(std::move(options)), name_(std::move(name)) {
  metrics_.name = name_;
}

Result<std::unique_ptr<StreamThread>> StreamThread::create(Options options) {
  const StreamsConfig& config = *options.config;
  std::string name = config.application_id + "-StreamThread-" + std::to_string(options.index + 1);
  std::unique_ptr<StreamThread> thread(new StreamThread(std::move(options), name));

  client::ClientConfig producer_config = config.producer;
  producer_config.try_emplace("client.id", name + "-producer");
  RUNNEL_ASSIGN_OR_RETURN(thread->producer_, client::Producer::create(producer_config));

  client::ClientConfig consumer_config = config.consumer;
  consumer_config["group.id"] = config.application_id;
  consumer_config["enable.auto.commit"] = "false";
  consumer_config.try_emplace("auto.offset.reset", "earliest");
  // Range gives a member the same partition numbers of topics with equal partition counts,
  // which keeps a task's co-partitioned inputs together.
  consumer_config.try_emplace("partition.assignment.strategy", "range");
  consumer_config.try_emplace("client.id", name + "-consumer");
  // librdkafka (2.0) stops fetching a partition once the local queue holds
  // queued.min.messages records (default 100,000: one or two fetches of small records) and is
  // slow to start again after the thread drains it, so the thread waited on an empty queue for
  // much of the time (1 M records in 4 partitions went through at 150-210 k/s, 470-490 k/s
  // with this; docs/BENCHMARKS.md). Memory stays bounded by queued.max.messages.kbytes. Open:
  // occasional ~1 s latency stalls at low rates with it (docs/BENCHMARKS.md, latency).
  consumer_config.try_emplace("queued.min.messages", "1000000");
  RUNNEL_ASSIGN_OR_RETURN(thread->consumer_,
                          client::Consumer::create(consumer_config, thread.get()));

  std::set<std::string, std::less<>> changelog_topics;
  for (const internal::InternalTopicDef& t : thread->options_.topology->internal_topics()) {
    if (t.changelog) {
      changelog_topics.insert(Topology::internal_topic_name(config.application_id, t.name));
    }
  }
  if (!changelog_topics.empty()) {
    RUNNEL_ASSIGN_OR_RETURN(thread->changelog_reader_,
                            internal::ChangelogReader::create(config.consumer, name));
  }
  thread->collector_ = std::make_unique<internal::ProducerCollector>(
      *thread->producer_, *thread->options_.partition_counts, std::move(changelog_topics));
  TaskManager::Options task_options;
  task_options.topology = thread->options_.topology;
  task_options.application_id = config.application_id;
  task_options.collector = thread->collector_.get();
  task_options.clock = &system_clock();
  task_options.deserialization_handler = config.deserialization_handler.get();
  task_options.default_timestamp_extractor = config.default_timestamp_extractor;
  task_options.max_task_idle = config.max_task_idle;
  client::Consumer* consumer = thread->consumer_.get();
  task_options.high_watermark = [consumer](const client::TopicPartition& tp) -> std::int64_t {
    Result<std::int64_t> high = consumer->cached_high_watermark(tp);
    return high.ok() ? *high : -1;
  };
  // Kafka Streams splits cache.max.bytes.buffering evenly across the threads.
  thread->cache_budget_ = std::make_unique<state::CacheBudget>(
      static_cast<std::size_t>(config.cache_max_bytes / config.num_stream_threads));
  task_options.cache_budget = thread->cache_budget_.get();
  task_options.name = name;
  task_options.state_dir = config.state_dir;
  task_options.changelog_reader = thread->changelog_reader_.get();
  task_options.stop = &thread->stop_requested_;
  task_options.registry = thread->options_.task_registry;
  task_options.global_stores = thread->options_.global_stores;
  thread->tasks_ = std::make_unique<TaskManager>(std::move(task_options));
  return thread;
}

StreamThread::~StreamThread() {
  request_stop();
  join();
  // If the thread never ran, its clients go here, the task manager (which may hold records)
  // before the consumer.
  tasks_.reset();
}

void StreamThread::start() {
  thread_ = std::thread([this] { run(); });
}

void StreamThread::join() {
  if (thread_.joinable()) thread_.join();
}

void StreamThread::set_state(State state) {
  if (state_.exchange(state) == state) return;
  if (options_.on_state) options_.on_state(options_.index, state);
}

StreamThreadMetrics StreamThread::metrics() const {
  std::lock_guard lock(metrics_mutex_);
  return metrics_;
}

void StreamThread::publish_metrics() {
  StreamThreadMetrics m;
  m.name = name_;
  m.tasks = tasks_->task_metrics();
  m.processed = tasks_->closed_task_counts().processed;
  m.skipped_deserialization = tasks_->closed_task_counts().skipped_deserialization;
  m.dropped = tasks_->closed_task_counts().dropped;
  m.dropped_late = tasks_->closed_task_counts().dropped_late;
  for (const TaskManager::TaskMetrics& t : m.tasks) {
    m.processed += t.counts.processed;
    m.skipped_deserialization += t.counts.skipped_deserialization;
    m.dropped += t.counts.dropped;
    m.dropped_late += t.counts.dropped_late;
  }
  const TaskManager::ProcessLatency& latency = tasks_->process_latency();
  if (latency.records > 0) m.process_latency_avg_ns = latency.total_ns / latency.records;
  const TaskManager::RestoreMetrics& restored = tasks_->restore_metrics();
  m.restored_records = restored.records;
  m.restored_bytes = restored.bytes;
  m.restore_seconds = restored.seconds;
  m.commits = commits_;
  if (commits_ > 0) m.commit_latency_avg_us = commit_total_us_ / commits_;
  m.commit_latency_max_us = commit_max_us_;
  for (const auto& [tp, position] : tasks_->positions()) {
    Result<std::int64_t> high = consumer_->cached_high_watermark(tp);
    if (high.ok() && *high >= 0) m.consumer_lag[tp] = std::max<std::int64_t>(0, *high - position);
  }
  std::lock_guard lock(metrics_mutex_);
  metrics_ = std::move(m);
}

void StreamThread::run() {
  set_state(State::kStarting);
  // A user callback (processor, punctuator, serde) that throws must not take the process
  // down through std::thread: the exception stops here and fails this thread as a Status.
  Status error;
  try {
    error = run_loop();
  } catch (const std::exception& e) {
    error = internal_error(std::string("uncaught exception in a stream task: ") + e.what());
  } catch (...) {
    error = internal_error("uncaught non-standard exception in a stream task");
  }
  if (error.ok() && !failed_) {
    set_state(State::kPendingShutdown);
    // A clean stop keeps everything processed: commit, then leave the group.
    error = commit();
    if (!error.ok()) error = error.with_context("commit on shutdown");
  }
  if (!error.ok()) {
    failed_ = true;
    log::error("{}: stopping on error: {}", name_, error.to_string());
    if (options_.on_error) options_.on_error(options_.index, error);
    set_state(State::kPendingShutdown);
  }
  tasks_->close_all();
  publish_metrics();
  // Leaving the group revokes through on_partitions_revoked, which commits nothing now.
  Status closed = consumer_->close();
  if (!closed.ok()) log::warn("{}: leaving the group: {}", name_, closed.to_string());
  if (!failed_) {
    Status flushed = producer_->flush(kFlushTimeout);
    if (!flushed.ok()) log::error("{}: final producer flush: {}", name_, flushed.to_string());
  }
  log::info("{}: stopped", name_);
  set_state(State::kDead);
}

Status StreamThread::run_loop() {
  RUNNEL_RETURN_IF_ERROR(consumer_->subscribe(options_.source_topics));
  auto last_commit = std::chrono::steady_clock::now();
  auto last_publish = last_commit;
  const StreamsConfig& config = *options_.config;
  while (!stop_requested_.load()) {
    Result<std::vector<client::ConsumerRecord>> batch = consumer_->poll(config.poll);
    if (!rebalance_error_.ok()) return rebalance_error_;
    if (!batch.ok()) {
      // The brokers coming and going is librdkafka's to retry; anything else ends the thread.
      const StatusCode code = batch.status().code();
      if (code != StatusCode::kUnavailable && code != StatusCode::kTimeout &&
          code != StatusCode::kAborted) {
        return batch.status().with_context("poll");
      }
      log::warn("{}: poll: {}", name_, batch.status().to_string());
      continue;
    }
    if (state_.load() == State::kPartitionsAssigned) {
      // As Kafka Streams does: the input is not fetched while stores restore, so that the
      // restore consumer has the brokers and the CPU to itself.
      Result<std::vector<client::TopicPartition>> assigned = consumer_->assignment();
      RUNNEL_RETURN_IF_ERROR(assigned.status());
      if (!assigned->empty()) RUNNEL_RETURN_IF_ERROR(consumer_->pause(*assigned));
      Status restored = tasks_->restore_new_tasks();
      // A task waiting for its directory's lock keeps its input paused, and the thread stays
      // PARTITIONS_ASSIGNED so that the next iteration tries the lock again.
      const std::vector<client::TopicPartition> waiting = tasks_->waiting_partitions();
      std::vector<client::TopicPartition> ready;
      for (const client::TopicPartition& tp : *assigned) {
        if (std::find(waiting.begin(), waiting.end(), tp) == waiting.end()) ready.push_back(tp);
      }
      if (!ready.empty()) RUNNEL_RETURN_IF_ERROR(consumer_->resume(ready));
      if (restored.code() == StatusCode::kAborted && stop_requested_.load()) break;
      RUNNEL_RETURN_IF_ERROR(restored);
      publish_metrics();
      if (waiting.empty()) set_state(State::kRunning);
    }
    tasks_->add_records(*batch);
    RUNNEL_RETURN_IF_ERROR(tasks_->process().status());
    RUNNEL_RETURN_IF_ERROR(tasks_->punctuate_wall_clock());
    if (std::chrono::steady_clock::now() - last_commit >= config.commit_interval) {
      RUNNEL_RETURN_IF_ERROR(commit());
      last_commit = last_publish = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_publish >= kMetricsInterval) {
      publish_metrics();
      last_publish = std::chrono::steady_clock::now();
    }
  }
  return ok_status();
}

Status StreamThread::commit() {
  const auto start = std::chrono::steady_clock::now();
  // At least once: every record the processed input produced (caches included) is
  // acknowledged before the checkpoint and the input offsets move past it.
  RUNNEL_RETURN_IF_ERROR(tasks_->flush_stores());
  Status flushed = producer_->flush(kFlushTimeout);
  if (!flushed.ok()) return flushed.with_context("producer flush before commit");
  RUNNEL_RETURN_IF_ERROR(tasks_->write_checkpoints(collector_->acknowledged_changelog_offsets()));
  std::vector<client::TopicPartitionOffset> offsets = tasks_->uncommitted_offsets();
  if (!offsets.empty()) {
    Status committed = consumer_->commit(offsets);
    if (!committed.ok()) return committed.with_context("commit of input offsets");
    tasks_->mark_committed();
  }
  const std::uint64_t us = micros_since(start);
  ++commits_;
  commit_total_us_ += us;
  if (us > commit_max_us_) commit_max_us_ = us;
  publish_metrics();
  return ok_status();
}

void StreamThread::on_partitions_assigned(const std::vector<client::TopicPartition>& partitions) {
  set_state(State::kPartitionsAssigned);
  log::info("{}: assigned {} partition(s)", name_, partitions.size());
  if (failed_ || !rebalance_error_.ok()) return;
  // Inside librdkafka's callback: a throwing processor init must not unwind through C frames.
  Status s;
  try {
    s = tasks_->assign(partitions);
  } catch (const std::exception& e) {
    s = internal_error(std::string("uncaught exception creating tasks: ") + e.what());
  } catch (...) {
    s = internal_error("uncaught non-standard exception creating tasks");
  }
  if (!s.ok()) rebalance_error_ = s.with_context("creating tasks");
  publish_metrics();
}

void StreamThread::on_partitions_revoked(const std::vector<client::TopicPartition>& partitions) {
  if (state_.load() != State::kPendingShutdown) set_state(State::kPartitionsRevoked);
  if (!failed_ && rebalance_error_.ok() && tasks_->task_count() > 0) {
    Status s;
    try {  // Flushing caches runs user code; see on_partitions_assigned.
      s = commit();
    } catch (const std::exception& e) {
      s = internal_error(std::string("uncaught exception in commit: ") + e.what());
    } catch (...) {
      s = internal_error("uncaught non-standard exception in commit");
    }
    if (!s.ok()) {
      rebalance_error_ = s.with_context("commit on revoke");
      failed_ = true;  // Nothing more is committed; the tasks close dirty.
    }
  }
  tasks_->revoke(partitions);
  publish_metrics();
}

void StreamThread::on_partitions_lost(const std::vector<client::TopicPartition>& partitions) {
  log::warn("{}: lost {} partition(s) without a chance to commit", name_, partitions.size());
  if (state_.load() != State::kPendingShutdown) set_state(State::kPartitionsRevoked);
  tasks_->revoke(partitions);
  publish_metrics();
}

}  // namespace runnel

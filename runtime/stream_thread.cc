#include "runtime/stream_thread.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "core/log.h"
#include "runtime/internal/member_info.h"

namespace runnel {

using namespace std::chrono_literals;

namespace {

// How long a commit waits for the producer's outstanding sends before failing the thread.
constexpr std::chrono::milliseconds kFlushTimeout = 60s;
// How often metrics are published between commits.
constexpr std::chrono::milliseconds kMetricsInterval = 100ms;
// exactly_once_v2: how long one transactional call (init, send offsets, commit, abort) may
// wait for the coordinator before it is tried again, and how long in all.
constexpr std::chrono::milliseconds kTransactionCallTimeout = 10s;
constexpr std::chrono::milliseconds kTransactionTimeout = 60s;
constexpr std::chrono::milliseconds kInitCallTimeout = 1s;
// A task's checkpoint, and the write of its stores to disk that comes before it, is made once
// one of its changelog partitions moved this many records past the last one (Kafka Streams'
// OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT), and at every clean close or revocation; not at
// every commit, which comes every 100 ms under exactly_once_v2 (docs/RUNTIME.md).
constexpr std::int64_t kCheckpointDelta = 10'000;
// An iteration of the loop whose processing and commit (or whose poll beyond its timeout: a
// rebalance) take this long or longer holds every record behind it for as long: it is
// counted, and logged at debug level with where its time went; so is a commit this slow.
constexpr std::chrono::milliseconds kSlowIteration = 50ms;
// exactly_once_v2: failed transactions in a row after which the thread gives up.
constexpr int kMaxFailedTransactions = 5;

// Calls `call` again while it fails with a retryable error (Timeout, Unavailable), until
// `total` has passed or `stop` (when given) is set.
template <typename Call>
Status retrying(Call call, std::chrono::milliseconds total,
                const std::atomic<bool>* stop = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + total;
  for (;;) {
    Status s = call();
    if (s.ok() || (s.code() != StatusCode::kTimeout && s.code() != StatusCode::kUnavailable) ||
        std::chrono::steady_clock::now() >= deadline || (stop != nullptr && stop->load())) {
      return s;
    }
  }
}

std::uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

}  // namespace

StreamThread::StreamThread(Options options, std::string name, bool exactly_once)
    : options_(std::move(options)), name_(std::move(name)), exactly_once_(exactly_once) {
  metrics_.name = name_;
}

Result<std::unique_ptr<StreamThread>> StreamThread::create(Options options) {
  const StreamsConfig& config = *options.config;
  std::string name = config.application_id + "-StreamThread-" + std::to_string(options.index + 1);
  // Kafka Streams' names: the thread's transactional.id and default group.instance.id.
  const std::string member =
      config.application_id + "-" + options.process_id + "-" + std::to_string(options.index + 1);
  std::string instance_id;
  if (config.group_instance_id) {
    if (!config.group_instance_id->empty()) {
      instance_id = *config.group_instance_id + "-" + std::to_string(options.index + 1);
    }
  } else if (options.process_id_persistent) {
    instance_id = member;
  }
  std::unique_ptr<StreamThread> thread(
      new StreamThread(std::move(options), name, config.exactly_once()));

  client::ClientConfig& producer_config = thread->producer_config_;
  producer_config = config.producer;
  producer_config.try_emplace("client.id", name + "-producer");
  if (config.exactly_once()) producer_config["transactional.id"] = member;
  RUNNEL_ASSIGN_OR_RETURN(thread->producer_, client::Producer::create(producer_config));

  client::ClientConfig consumer_config = config.consumer;
  consumer_config["group.id"] = config.application_id;
  consumer_config["enable.auto.commit"] = "false";
  consumer_config.try_emplace("auto.offset.reset", "earliest");
  // Range gives a member the same partition numbers of topics with equal partition counts,
  // which keeps a task's co-partitioned inputs together.
  consumer_config.try_emplace("partition.assignment.strategy", "range");
  consumer_config.try_emplace("client.id", name + "-consumer");
  if (config.application_server) {
    // Tells every member of the group where this instance answers queries (member_info.h).
    internal::MemberInfo info;
    info.process_id = thread->options_.process_id;
    info.application_server = config.application_server;
    consumer_config["client.id"] = internal::encode_member_info(consumer_config["client.id"], info);
  }
  // librdkafka (2.0) stops fetching a partition once its local queue holds
  // queued.min.messages records (default 100,000: one or two fetches of small records) and is
  // slow to start again after the thread drains it, so the thread waited on an empty queue for
  // much of the time (1 M records in 4 partitions went through at 150-210 k/s, 470-490 k/s
  // with this; docs/BENCHMARKS.md). Each partition has a queue of its own (kPerPartition
  // below), so memory is bounded per partition by queued.max.messages.kbytes (64 MB). Open:
  // occasional ~1 s latency stalls at low rates with it (docs/BENCHMARKS.md, latency).
  consumer_config.try_emplace("queued.min.messages", "1000000");
  if (!instance_id.empty()) {
    // Static membership (KIP-345): a restarted instance rejoins as the same member and gets
    // its partitions back at once, instead of the group waiting out its dead self
    // (session.timeout.ms, librdkafka's default 45 s) before rebalancing. The price: a
    // static member does not leave on close (librdkafka 2.0 sends no LeaveGroup for it), so
    // a clean stop moves its partitions only after session.timeout.ms, hence 10 s here
    // (Kafka Streams' default before 3.0) unless the user set it.
    consumer_config["group.instance.id"] = instance_id;
    consumer_config.try_emplace("session.timeout.ms", "10000");
  }
  // A queue per partition: a source topic's backlog, fetched far ahead, must not stand in
  // front of a repartition topic's records (docs/RUNTIME.md, "Which record next").
  RUNNEL_ASSIGN_OR_RETURN(thread->consumer_,
                          client::Consumer::create(consumer_config, thread.get(),
                                                   client::Consumer::Queueing::kPerPartition));

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
  thread->collector_->set_transactional(config.exactly_once());
  TaskManager::Options task_options;
  task_options.topology = thread->options_.topology;
  task_options.application_id = config.application_id;
  task_options.collector = thread->collector_.get();
  task_options.clock = &system_clock();
  task_options.deserialization_handler = config.deserialization_handler.get();
  task_options.processing_handler = config.processing_handler.get();
  task_options.default_timestamp_extractor = config.default_timestamp_extractor;
  task_options.max_task_idle = config.max_task_idle;
  task_options.record_store_metrics = config.record_store_metrics;
  task_options.buffered_records_per_partition =
      static_cast<std::size_t>(config.buffered_records_per_partition);
  client::Consumer* consumer = thread->consumer_.get();
  task_options.high_watermark = [consumer](const client::TopicPartition& tp) -> std::int64_t {
    Result<std::int64_t> high = consumer->cached_high_watermark(tp);
    return high.ok() ? *high : -1;
  };
  task_options.consumer_position = [consumer](const client::TopicPartition& tp) -> std::int64_t {
    Result<std::int64_t> position = consumer->position(tp);
    return position.ok() && *position >= 0 ? *position : -1;
  };
  task_options.committed = [consumer](const std::vector<client::TopicPartition>& partitions) {
    return consumer->committed(partitions, kTransactionCallTimeout);
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
  task_options.exactly_once = config.exactly_once();
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
  StreamThreadMetrics m;
  {
    std::lock_guard lock(metrics_mutex_);
    m = metrics_;
  }
  // Made by create() and kept for the thread object's life.
  if (changelog_reader_) m.restore_remaining_records = changelog_reader_->remaining_records();
  return m;
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
  m.process_latency_max_ns = latency.max_ns;
  m.polls = polls_;
  const TaskManager::RestoreMetrics& restored = tasks_->restore_metrics();
  m.restored_records = restored.records;
  m.restored_bytes = restored.bytes;
  m.restore_seconds = restored.seconds;
  m.commits = commits_;
  if (commits_ > 0) m.commit_latency_avg_us = commit_total_us_ / commits_;
  m.commit_latency_max_us = commit_max_us_;
  m.slow_iterations = slow_iterations_;
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
    error = commit(/*final=*/true);
    if (!error.ok()) error = error.with_context("commit on shutdown");
  }
  if (!error.ok()) {
    failed_ = true;
    log::error("{}: stopping on error: {}", name_, error.to_string());
    if (options_.on_error) options_.on_error(options_.index, error);
    set_state(State::kPendingShutdown);
    // Nothing of the failed transaction may become visible; the next owner of the tasks
    // restores them to the last committed one.
    if (exactly_once_) abort_and_close_tasks(error);
  }
  tasks_->close_all();
  publish_metrics();
  // Leaving the group revokes through on_partitions_revoked, which commits nothing now.
  Status closed = consumer_->close();
  if (!closed.ok()) log::warn("{}: leaving the group: {}", name_, closed.to_string());
  if (!failed_ && producer_ != nullptr) {
    Status flushed = producer_->flush(kFlushTimeout);
    if (!flushed.ok()) log::error("{}: final producer flush: {}", name_, flushed.to_string());
  }
  log::info("{}: stopped", name_);
  set_state(State::kDead);
}

Status StreamThread::run_loop() {
  if (exactly_once_) {
    // Before the first transaction: fences a previous incarnation of this thread (same
    // transactional.id) and aborts whatever it left open.
    // In short calls, so that a close() does not wait out a coordinator that never answers.
    Status s = retrying([&] { return producer_->init_transactions(kInitCallTimeout); },
                        kTransactionTimeout, &stop_requested_);
    if (!s.ok() && stop_requested_.load()) return ok_status();
    RUNNEL_RETURN_IF_ERROR(s.with_context("init transactions"));
  }
  RUNNEL_RETURN_IF_ERROR(consumer_->subscribe(options_.source_topics));
  auto last_commit = std::chrono::steady_clock::now();
  auto last_publish = last_commit;
  const StreamsConfig& config = *options_.config;
  // Whether the last process() got anything done: then more may be ready at once, and the
  // poll does not wait.
  bool progressed = false;
  // Whether records were processed since the last commit. If so, an idle poll waits no
  // longer than until the commit is due: under exactly-once the output is invisible until
  // then, and waiting out poll.ms on top of commit.interval.ms added up to poll.ms to the
  // latency of the last records before a pause, at each sub-topology they cross.
  bool uncommitted_work = false;
  while (!stop_requested_.load()) {
    const auto iteration_start = std::chrono::steady_clock::now();
    // Each partition gives what its buffer has room for (buffered.records.per.partition).
    std::chrono::milliseconds poll_timeout =
        progressed ? std::chrono::milliseconds(0) : config.poll;
    if (uncommitted_work && poll_timeout.count() > 0) {
      const auto until_commit = std::chrono::duration_cast<std::chrono::milliseconds>(
          last_commit + config.commit_interval - iteration_start);
      poll_timeout = std::clamp(until_commit, std::chrono::milliseconds(0), poll_timeout);
    }
    Result<std::vector<client::ConsumerRecord>> batch = consumer_->poll_partitions(
        poll_timeout, [this](const client::TopicPartition& tp) { return tasks_->room(tp); });
    ++polls_;
    if (!rebalance_error_.ok()) return rebalance_error_;
    if (rebuild_pending_) {
      RUNNEL_RETURN_IF_ERROR(rebuild_tasks());
      continue;  // Records polled before the rewind are older than the committed offsets.
    }
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
    const auto polled_at = std::chrono::steady_clock::now();
    tasks_->add_records(*batch);
    Result<std::size_t> processed = tasks_->process();
    progressed = processed.ok() && *processed > 0;
    uncommitted_work = uncommitted_work || progressed;
    // Delivery reports are served as they come rather than all at the commit: each sent record
    // is held (and counts against queue.buffering.max.messages) until its report is served, so
    // unserved reports grew the heap by a commit interval's records and made sends wait on a
    // full queue (docs/BENCHMARKS.md, "The stateless path, second round").
    if (progressed && producer_ != nullptr) producer_->poll();
    Status done = processed.status();
    if (done.ok()) done = tasks_->punctuate_wall_clock();
    bool committed = false;
    const auto processed_at = std::chrono::steady_clock::now();
    if (done.ok() && processed_at - last_commit >= config.commit_interval) {
      done = commit(stop_requested_.load());
      committed = true;
    }
    note_slow_iteration(iteration_start, poll_timeout, polled_at, processed_at);
    if (!done.ok()) {
      done = with_fatal_cause(done);
      if (!recoverable(done)) return done;
      abort_and_close_tasks(done);
      RUNNEL_RETURN_IF_ERROR(rebuild_tasks());
      last_commit = std::chrono::steady_clock::now();
      continue;
    }
    if (committed) {
      uncommitted_work = false;
      last_commit = last_publish = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_publish >= kMetricsInterval) {
      publish_metrics();
      last_publish = std::chrono::steady_clock::now();
    }
  }
  return ok_status();
}

void StreamThread::note_slow_iteration(std::chrono::steady_clock::time_point start,
                                       std::chrono::milliseconds poll_timeout,
                                       std::chrono::steady_clock::time_point polled,
                                       std::chrono::steady_clock::time_point processed) {
  const auto now = std::chrono::steady_clock::now();
  // A poll that waited out its timeout was idle, not slow: only its overrun counts.
  const auto poll_overrun = polled - start - poll_timeout;
  if (now - polled < kSlowIteration && poll_overrun < kSlowIteration) return;
  ++slow_iterations_;
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  log::debug(
      "{}: slow iteration, {:.1f} ms: poll {:.1f} ms (timeout {} ms), process {:.1f} ms, "
      "commit and the rest {:.1f} ms",
      name_, ms(now - start), ms(polled - start), poll_timeout.count(), ms(processed - polled),
      ms(now - processed));
}

Status StreamThread::commit(bool final) {
  if (exactly_once_) return commit_transaction(final);
  const auto start = std::chrono::steady_clock::now();
  // At least once: every record the processed input produced (caches included) is
  // acknowledged before the checkpoint and the input offsets move past it.
  RUNNEL_RETURN_IF_ERROR(tasks_->flush_caches());
  Status flushed = producer_->flush(kFlushTimeout);
  if (!flushed.ok()) return flushed.with_context("producer flush before commit");
  const std::uint64_t flush_us = micros_since(start);
  RUNNEL_RETURN_IF_ERROR(tasks_->write_checkpoints(collector_->acknowledged_changelog_offsets(),
                                                   final ? 0 : kCheckpointDelta));
  const std::uint64_t checkpoint_us = micros_since(start) - flush_us;
  std::vector<client::TopicPartitionOffset> offsets = tasks_->uncommitted_offsets();
  if (!offsets.empty()) {
    Status committed = consumer_->commit(offsets);
    if (!committed.ok()) return committed.with_context("commit of input offsets");
    tasks_->mark_committed();
  }
  const std::uint64_t us = micros_since(start);
  if (std::chrono::microseconds(us) >= kSlowIteration) {
    log::debug(
        "{}: slow commit, {} us: caches and producer flush {} us, checkpoints {} us, "
        "offsets {} us",
        name_, us, flush_us, checkpoint_us, us - flush_us - checkpoint_us);
  }
  ++commits_;
  commit_total_us_ += us;
  if (us > commit_max_us_) commit_max_us_ = us;
  publish_metrics();
  return ok_status();
}

Status StreamThread::commit_transaction(bool final) {
  const auto start = std::chrono::steady_clock::now();
  if (producer_unusable_) return fenced_error("the producer was fenced; nothing can commit");
  // Caches forward what they hold: it joins the transaction.
  RUNNEL_RETURN_IF_ERROR(tasks_->flush_caches());
  const std::vector<client::TopicPartitionOffset> offsets = tasks_->uncommitted_offsets();
  if (!offsets.empty()) RUNNEL_RETURN_IF_ERROR(collector_->begin_transaction_if_needed());
  if (collector_->in_transaction()) {
    // Delivery failures surface here with their topic (commit_transaction would flush too).
    Status flushed = producer_->flush(kFlushTimeout);
    if (!flushed.ok()) return flushed.with_context("producer flush before commit");
    if (!offsets.empty()) {
      // The group metadata carries the generation: if the group moved on, the coordinator
      // refuses the offsets and the transaction aborts (no zombie commits input offsets).
      RUNNEL_ASSIGN_OR_RETURN(client::ConsumerGroupMetadata group, consumer_->group_metadata());
      RUNNEL_RETURN_IF_ERROR(retrying(
          [&] {
            return producer_->send_offsets_to_transaction(offsets, group, kTransactionCallTimeout);
          },
          kTransactionTimeout));
    }
    RUNNEL_RETURN_IF_ERROR(
        retrying([&] { return producer_->commit_transaction(kTransactionCallTimeout); },
                 kTransactionTimeout));
    collector_->transaction_ended(/*aborted=*/false);
  }
  // Committed: records, changelog writes and input offsets are visible together.
  tasks_->mark_committed();
  failed_transactions_in_a_row_ = 0;
  // The stores catch up with the committed transaction; a failure here leaves them partly
  // written, which only restoration (from the checkpoint, never rewritten after it) repairs.
  RUNNEL_RETURN_IF_ERROR(tasks_->commit_state());
  RUNNEL_RETURN_IF_ERROR(tasks_->write_checkpoints(collector_->acknowledged_changelog_offsets(),
                                                   final ? 0 : kCheckpointDelta));
  const std::uint64_t us = micros_since(start);
  ++commits_;
  commit_total_us_ += us;
  if (us > commit_max_us_) commit_max_us_ = us;
  publish_metrics();
  return ok_status();
}

Status StreamThread::with_fatal_cause(const Status& error) const {
  if (!exactly_once_ || producer_ == nullptr) return error;
  // A fenced producer purges what it holds: the error seen first is then a purged delivery
  // (_PURGE_QUEUE) or a failed call, whose cause is the producer's fatal error.
  Status fatal = producer_->fatal_error();
  if (fatal.ok() || fatal.code() == error.code()) return error;
  return fatal.with_context(error.to_string());
}

bool StreamThread::recoverable(const Status& error) const {
  if (!exactly_once_ || stop_requested_.load()) return false;
  return error.code() == StatusCode::kFenced || error.code() == StatusCode::kAborted;
}

void StreamThread::abort_and_close_tasks(const Status& cause) {
  ++failed_transactions_in_a_row_;
  log::warn("{}: aborting the transaction and closing every task dirty: {}", name_,
            cause.to_string());
  if (producer_ == nullptr || cause.code() == StatusCode::kFenced ||
      !producer_->fatal_error().ok()) {
    producer_unusable_ = true;
  } else if (collector_->in_transaction()) {
    Status aborted = retrying([&] { return producer_->abort_transaction(kTransactionCallTimeout); },
                              kTransactionTimeout);
    if (!aborted.ok()) {
      // The coordinator aborts it after transaction.timeout.ms, or when the replacement
      // producer (same transactional.id) registers.
      log::warn("{}: abort failed ({}); replacing the producer", name_, aborted.to_string());
      producer_unusable_ = true;
    }
  }
  collector_->transaction_ended(/*aborted=*/true);
  // No commit_state(), no checkpoint: the buffered writes go, the stores keep the last
  // committed state, and restoration brings them to the committed changelog's end.
  tasks_->close_all();
  rebuild_pending_ = true;
  publish_metrics();
}

Status StreamThread::make_transactional_producer() {
  // The old one goes first: its queue is purged, so it sends nothing more. Until the new one
  // exists the collector must not send, and nothing does: every task is closed.
  producer_.reset();
  RUNNEL_ASSIGN_OR_RETURN(producer_, client::Producer::create(producer_config_));
  collector_->set_producer(*producer_);
  RUNNEL_RETURN_IF_ERROR(
      retrying([&] { return producer_->init_transactions(kTransactionCallTimeout); },
               kTransactionTimeout)
          .with_context("init transactions of the replacement producer"));
  producer_unusable_ = false;
  return ok_status();
}

Status StreamThread::rebuild_tasks() {
  rebuild_pending_ = false;
  if (failed_transactions_in_a_row_ > kMaxFailedTransactions) {
    return aborted_error(std::to_string(failed_transactions_in_a_row_) +
                         " transactions in a row failed; giving up");
  }
  if (producer_unusable_) RUNNEL_RETURN_IF_ERROR(make_transactional_producer());
  RUNNEL_ASSIGN_OR_RETURN(std::vector<client::TopicPartition> assigned, consumer_->assignment());
  if (assigned.empty()) return ok_status();
  RUNNEL_RETURN_IF_ERROR(tasks_->assign(assigned).with_context("making tasks again"));
  // Back to the last committed transaction: its input offsets are the group's.
  RUNNEL_ASSIGN_OR_RETURN(std::vector<client::TopicPartitionOffset> committed,
                          consumer_->committed(assigned, kTransactionCallTimeout));
  for (const client::TopicPartitionOffset& c : committed) {
    // Nothing committed yet: from the start, as auto.offset.reset=earliest (the runtime's
    // default) would read it.
    const std::int64_t to = c.offset >= 0 ? c.offset : client::kOffsetBeginning;
    RUNNEL_RETURN_IF_ERROR(consumer_->seek(c.topic_partition, to, kTransactionCallTimeout));
  }
  log::info("{}: {} task(s) made again from the last committed transaction", name_,
            tasks_->task_count());
  // The loop restores their stores before they process (as after a rebalance).
  set_state(State::kPartitionsAssigned);
  return ok_status();
}

void StreamThread::on_partitions_assigned(const std::vector<client::TopicPartition>& partitions) {
  if (state_.load() == State::kPendingShutdown) {
    // consumer_->close() finishes a rebalance that was under way (a static member does not
    // leave first): a thread on its way out makes no tasks, which nothing would close.
    log::info("{}: {} partition(s) assigned while stopping: no task made", name_,
              partitions.size());
    return;
  }
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
      s = commit(/*final=*/true);
    } catch (const std::exception& e) {
      s = internal_error(std::string("uncaught exception in commit: ") + e.what());
    } catch (...) {
      s = internal_error("uncaught non-standard exception in commit");
    }
    if (!s.ok()) s = with_fatal_cause(s);
    if (!s.ok() && recoverable(s)) {
      // Every task closes dirty (the transaction held all of theirs); those not revoked are
      // made again by the loop (rebuild_tasks).
      abort_and_close_tasks(s.with_context("commit on revoke"));
    } else if (!s.ok()) {
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
  if (exactly_once_ && collector_->in_transaction()) {
    // The open transaction holds work of the lost partitions, which their new owner redoes:
    // it must not commit. Every task closes dirty; those still assigned are made again.
    abort_and_close_tasks(aborted_error("partitions lost mid-transaction"));
    --failed_transactions_in_a_row_;  // A rebalance, not a failure of this thread.
  }
  tasks_->revoke(partitions);
  publish_metrics();
}

}  // namespace runnel

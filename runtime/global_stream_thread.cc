#include "runtime/global_stream_thread.h"

#include <chrono>
#include <system_error>
#include <utility>

#include "core/clock.h"
#include "core/log.h"

namespace runnel {

using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kMetadataTimeout = 30s;
constexpr std::size_t kMaxPoll = 10000;

bool retriable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kTimeout;
}

}  // namespace

// A global sub-topology is a source and a store processor: nothing in it sends records.
class GlobalStreamThread::NoSinkCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView, NullableBytesView, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    return internal_error("a global table's processor sent a record to " + topic);
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
};

GlobalStreamThread::GlobalStreamThread(Options options, std::string name)
    : options_(std::move(options)), name_(std::move(name)) {}

Result<std::unique_ptr<GlobalStreamThread>> GlobalStreamThread::create(Options options) {
  if (options.topology->global_store_names().empty()) {
    return invalid_argument_error("the topology has no global table");
  }
  const StreamsConfig& config = *options.config;
  std::unique_ptr<GlobalStreamThread> thread(
      new GlobalStreamThread(std::move(options), config.application_id + "-GlobalStreamThread"));
  client::ClientConfig consumer_config = config.consumer;
  // Assigned partitions only: every instance reads every partition, so no group shares them,
  // and its positions live in the checkpoint file, not in committed offsets.
  consumer_config["group.id"] = config.application_id + "-global";
  consumer_config["enable.auto.commit"] = "false";
  consumer_config["enable.auto.offset.store"] = "false";
  consumer_config.try_emplace("auto.offset.reset", "earliest");
  consumer_config.try_emplace("client.id", thread->name_ + "-global-consumer");
  RUNNEL_ASSIGN_OR_RETURN(thread->consumer_, client::Consumer::create(consumer_config));
  thread->supplier_ =
      std::make_unique<RocksDbStoreSupplier>(config.state_dir, config.application_id);
  thread->collector_ = std::make_unique<NoSinkCollector>();
  return thread;
}

GlobalStreamThread::~GlobalStreamThread() {
  request_stop();
  join();
  close_tasks();
  if (consumer_) (void)consumer_->close();
}

std::filesystem::path GlobalStreamThread::checkpoint_path() const {
  return supplier_->global_directory() / state::CheckpointFile::kFileName;
}

Status GlobalStreamThread::make_tasks() {
  const Topology& topology = *options_.topology;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    if (!sub.global) continue;
    StreamTask::Options task_options;
    task_options.application_id = options_.config->application_id;
    task_options.collector = collector_.get();
    task_options.clock = &system_clock();
    task_options.deserialization_handler = options_.config->deserialization_handler.get();
    task_options.store_supplier = supplier_.get();
    // A global table's source uses the application's extractor too, as in Kafka Streams.
    task_options.default_timestamp_extractor = options_.config->default_timestamp_extractor;
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<StreamTask> task,
                            StreamTask::create(topology, TaskId{sub.id, kGlobalTaskPartition},
                                               std::move(task_options)));
    for (const StreamTask::Store& store : task->stores()) {
      stores_.emplace(store.name, *task->store(store.name));
    }
    if (options_.registry != nullptr) registry_slots_.push_back(options_.registry->add(*task));
    tasks_.emplace(sub.source_topics.front(), std::move(task));
  }
  return ok_status();
}

void GlobalStreamThread::close_tasks() {
  // Waits for the queries reading them.
  for (const auto& slot : registry_slots_) options_.registry->remove(slot);
  registry_slots_.clear();
  stores_.clear();
  for (auto& [topic, task] : tasks_) task->close();
  tasks_.clear();
}

Status GlobalStreamThread::bootstrap() {
  const auto start_time = std::chrono::steady_clock::now();
  const Topology& topology = *options_.topology;
  // Per partition of every global topic: where its log starts and ends now.
  struct Bounds {
    std::int64_t low = 0;
    std::int64_t high = 0;
    bool in_memory = false;  // Its store starts empty whatever the checkpoint says.
  };
  std::map<state::TopicPartition, Bounds> bounds;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    if (!sub.global) continue;
    const std::string& topic = sub.source_topics.front();
    bool in_memory = false;
    for (const std::string& node : sub.nodes) {
      for (const std::string& store : topology.node(node)->stores) {
        in_memory = in_memory || topology.store(store)->in_memory;
      }
    }
    Result<std::int32_t> count = options_.partition_counts->get(topic);
    if (count.status().code() == StatusCode::kNotFound) {
      return not_found_error("global table topic " + topic +
                             " does not exist; create it before starting the application");
    }
    RUNNEL_RETURN_IF_ERROR(count.status().with_context("describing global table topic " + topic));
    for (std::int32_t p = 0; p < *count; ++p) {
      RUNNEL_ASSIGN_OR_RETURN(auto marks,
                              consumer_->watermark_offsets({topic, p}, kMetadataTimeout));
      bounds[state::TopicPartition{topic, p}] = Bounds{marks.first, marks.second, in_memory};
    }
  }

  Result<std::optional<state::CheckpointOffsets>> read =
      state::CheckpointFile(checkpoint_path()).read();
  std::optional<state::CheckpointOffsets> checkpointed;
  bool stale = false;
  if (read.ok()) {
    checkpointed = std::move(*read);
  } else if (read.status().code() == StatusCode::kCorruption) {
    log::warn("{}: {}; rebuilding the global stores", name_, read.status().to_string());
    stale = true;
  } else {
    return read.status().with_context("reading the global checkpoint");
  }
  std::map<state::TopicPartition, std::int64_t> start;
  for (const auto& [tp, b] : bounds) {
    std::int64_t from = b.low;
    if (checkpointed && !b.in_memory) {
      auto it = checkpointed->find(tp);
      if (it != checkpointed->end()) {
        if (it->second < b.low || it->second > b.high) {
          // The topic was deleted and made again, or compacted past the checkpoint: the
          // local state is unrelated to the log.
          log::warn("{}: checkpoint {} of {}[{}] is outside the log [{}, {}]", name_, it->second,
                    tp.topic, tp.partition, b.low, b.high);
          stale = true;
        } else {
          from = it->second;
        }
      }
    }
    start[tp] = from;
  }
  if (stale) {
    log::warn("{}: wiping the global stores and rebuilding them from their topics", name_);
    std::error_code ec;
    std::filesystem::remove_all(supplier_->global_directory(), ec);
    if (ec) {
      return io_error("cannot wipe " + supplier_->global_directory().string() + ": " +
                      ec.message());
    }
    for (auto& [tp, from] : start) from = bounds.at(tp).low;
  }
  std::error_code ec;
  std::filesystem::create_directories(supplier_->global_directory(), ec);
  if (ec) {
    return io_error("cannot create " + supplier_->global_directory().string() + ": " +
                    ec.message());
  }
  RUNNEL_RETURN_IF_ERROR(make_tasks());

  std::vector<client::TopicPartitionOffset> assignment;
  std::int64_t to_read = 0;
  for (const auto& [tp, from] : start) {
    partitions_[tp] = Partition{tasks_.at(tp.topic).get(), from};
    assignment.push_back({{tp.topic, tp.partition}, from, {}});
    to_read += bounds.at(tp).high - from;
  }
  RUNNEL_RETURN_IF_ERROR(consumer_->assign(assignment));
  log::info("{}: bootstrapping {} global store(s) from {} partition(s), up to {} record(s)", name_,
            stores_.size(), partitions_.size(), to_read);
  auto behind = [&] {
    for (const auto& [tp, p] : partitions_) {
      if (p.next < bounds.at(tp).high) return true;
    }
    return false;
  };
  std::uint64_t records = 0;
  while (behind()) {
    if (stop_requested_.load()) return aborted_error("global store bootstrap stopped by close()");
    Result<std::vector<client::ConsumerRecord>> polled =
        consumer_->poll(options_.config->poll, kMaxPoll);
    if (!polled.ok()) {
      if (retriable(polled.status())) continue;
      return polled.status().with_context("reading global table topics");
    }
    RUNNEL_RETURN_IF_ERROR(apply(*polled, records));
    advance_past_markers();
  }
  RUNNEL_RETURN_IF_ERROR(checkpoint());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  log::info("{}: bootstrapped the global stores with {} record(s) in {:.3f} s", name_, records,
            seconds);
  std::lock_guard lock(metrics_mutex_);
  metrics_.bootstrap_records = records;
  metrics_.bootstrap_seconds = seconds;
  return ok_status();
}

Status GlobalStreamThread::apply(const std::vector<client::ConsumerRecord>& records,
                                 std::uint64_t& count) {
  state::TopicPartition key;
  for (const client::ConsumerRecord& record : records) {
    key.topic.assign(record.topic());
    key.partition = record.partition();
    auto it = partitions_.find(key);
    if (it == partitions_.end() || record.offset() < it->second.next) continue;
    const Headers headers = record.headers();
    internal::RawRecordView view{record.topic(),
                                 record.partition(),
                                 record.offset(),
                                 record.key(),
                                 record.value(),
                                 record.timestamp(),
                                 headers.empty() ? nullptr : &headers};
    Status s = it->second.task->process(view);
    if (!s.ok()) return s.with_context(name_);
    it->second.next = record.offset() + 1;
    ++count;
  }
  return ok_status();
}

void GlobalStreamThread::advance_past_markers() {
  // Under read_committed (exactly_once_v2), transaction markers and aborted records hold
  // offsets poll() never returns; the consumer's position moves past them. Without this the
  // bootstrap would wait forever for a high watermark that sits after a marker.
  for (auto& [tp, p] : partitions_) {
    Result<std::int64_t> position = consumer_->position({tp.topic, tp.partition});
    if (position.ok() && *position > p.next) p.next = *position;
  }
}

Status GlobalStreamThread::checkpoint() {
  for (auto& [topic, task] : tasks_) {
    RUNNEL_RETURN_IF_ERROR(task->flush().with_context(name_ + ": flushing global stores"));
  }
  state::CheckpointOffsets offsets;
  for (const auto& [tp, p] : partitions_) offsets[tp] = p.next;
  RUNNEL_RETURN_IF_ERROR(state::CheckpointFile(checkpoint_path()).write(offsets));
  std::lock_guard lock(metrics_mutex_);
  ++metrics_.checkpoints;
  return ok_status();
}

void GlobalStreamThread::start() {
  thread_ = std::thread([this] { run(); });
}

void GlobalStreamThread::join() {
  if (thread_.joinable()) thread_.join();
}

void GlobalStreamThread::run() {
  Status failure;
  auto last_checkpoint = std::chrono::steady_clock::now();
  // Under exactly_once_v2 commit.interval.ms is 100 ms, too often to flush the global stores
  // for nothing: as Kafka Streams (GlobalStateUpdateTask), a checkpoint is then due only once
  // 10,000 records were applied since the last one (a restart replays at most that many).
  const std::uint64_t min_records = options_.config->exactly_once() ? 10'000 : 0;
  std::uint64_t since_checkpoint = 0;
  while (!stop_requested_.load()) {
    Result<std::vector<client::ConsumerRecord>> polled =
        consumer_->poll(options_.config->poll, kMaxPoll);
    if (!polled.ok()) {
      if (retriable(polled.status())) continue;
      failure = polled.status().with_context("reading global table topics");
      break;
    }
    std::uint64_t count = 0;
    failure = apply(*polled, count);
    advance_past_markers();
    if (count > 0) {
      std::lock_guard lock(metrics_mutex_);
      metrics_.processed += count;
    }
    if (!failure.ok()) break;
    since_checkpoint += count;
    if (std::chrono::steady_clock::now() - last_checkpoint >= options_.config->commit_interval &&
        since_checkpoint >= min_records) {
      since_checkpoint = 0;
      failure = checkpoint();
      if (!failure.ok()) break;
      last_checkpoint = std::chrono::steady_clock::now();
    }
  }
  if (failure.ok()) {
    // A clean stop: the next start reads only what came after this.
    Status s = checkpoint();
    if (!s.ok()) log::error("{}: final checkpoint: {}", name_, s.to_string());
  } else {
    log::error("{}: {}", name_, failure.to_string());
    if (options_.on_error) options_.on_error(failure);
  }
}

GlobalStreamThreadMetrics GlobalStreamThread::metrics() const {
  std::lock_guard lock(metrics_mutex_);
  return metrics_;
}

}  // namespace runnel

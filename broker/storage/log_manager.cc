#include "broker/storage/log_manager.h"

#include <mutex>
#include <set>

#include <fmt/format.h>

#include "broker/storage/recovery_point_checkpoint.h"
#include "broker/storage/topic_metadata.pb.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

constexpr const char* kMetadataFile = "topics.meta";

// `<topic>-<partition>` holding nothing but segment files: what a create or delete that a
// crash interrupted leaves behind, and the only kind of directory load() may delete.
bool looks_like_partition_dir(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 == name.size()) return false;
  if (!validate_topic_name(std::string_view(name).substr(0, dash)).ok()) return false;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string extension = entry.path().extension().string();
    if (!entry.is_regular_file() ||
        (extension != ".log" && extension != ".index" && extension != ".timeindex" &&
         extension != ".txnindex" && extension != ".tmp")) {
      return false;
    }
  }
  return !error;
}

}  // namespace

LogManager::LogManager(std::filesystem::path data_dir, TopicConfig defaults, Clock& clock,
                       FileSystem& fs)
    : data_dir_(std::move(data_dir)), defaults_(std::move(defaults)), clock_(clock), fs_(fs) {}

LogManager::~LogManager() { stop_cleaner(); }

std::filesystem::path LogManager::partition_dir(const std::string& topic, int32_t partition) const {
  return data_dir_ / fmt::format("{}-{}", topic, partition);
}

Result<std::unique_ptr<Log>> LogManager::open_log(const std::string& topic, int32_t partition,
                                                  const TopicConfig& config,
                                                  LogOpenOptions options) {
  options.file_system = &fs_;
  return Log::open(partition_dir(topic, partition), config, clock_.now_ms(), options);
}

Result<std::unique_ptr<LogManager>> LogManager::open(std::filesystem::path data_dir,
                                                     TopicConfig defaults, Clock& clock,
                                                     FileSystem& fs) {
  RUNNEL_RETURN_IF_ERROR(fs.create_dirs(data_dir));
  std::unique_ptr<LogManager> manager(
      new LogManager(std::move(data_dir), std::move(defaults), clock, fs));
  RUNNEL_RETURN_IF_ERROR(manager->load());
  return manager;
}

Status LogManager::load() {
  const auto path = data_dir_ / kMetadataFile;
  storage::TopicRegistry registry;
  if (Result<Bytes> read = read_whole_file(fs_, path); read.ok()) {
    if (!registry.ParseFromArray(read->data(), static_cast<int>(read->size()))) {
      return corruption_error(fmt::format("{} does not parse as topic metadata", path.string()));
    }
  } else if (read.status().code() != StatusCode::kNotFound) {
    return read.status();
  }
  // A missing or damaged checkpoint costs time, not data: every segment is verified.
  RecoveryPointCheckpoint::Offsets recovery_points;
  if (auto read = RecoveryPointCheckpoint::read(fs_, data_dir_); read.ok()) {
    recovery_points = std::move(*read);
  } else {
    log::warn("{}; verifying every segment of every partition", read.status().to_string());
  }
  std::set<std::string> known_dirs;
  for (const auto& meta : registry.topics()) {
    std::map<std::string, std::string> overrides(meta.config_overrides().begin(),
                                                 meta.config_overrides().end());
    auto config = defaults_.with_overrides(overrides);
    if (!config.ok()) return config.status().with_context("topic " + meta.name());
    Topic topic{.info = TopicInfo{.name = meta.name(),
                                  .partitions = meta.partitions(),
                                  .config = *config,
                                  .overrides = overrides},
                .created_ms = meta.created_ms(),
                .logs = {}};
    for (int32_t p = 0; p < meta.partitions(); ++p) {
      known_dirs.insert(partition_dir(meta.name(), p).filename().string());
      LogOpenOptions options;
      if (auto it = recovery_points.find({meta.name(), p}); it != recovery_points.end()) {
        options.recovery_point = it->second;
      }
      RUNNEL_ASSIGN_OR_RETURN(auto log, open_log(meta.name(), p, *config, options));
      topic.logs.push_back(std::move(log));
    }
    topics_.emplace(meta.name(), std::move(topic));
  }
  // Partition directories no topic names: a create or delete that a crash interrupted.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir_, error)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (known_dirs.contains(name)) continue;
    if (!looks_like_partition_dir(entry.path())) {
      // Never delete what Runnel did not write: a data dir pointed at a shared directory
      // must not lose its neighbours.
      log::warn("leaving {} alone: not a partition directory of this broker",
                entry.path().string());
      continue;
    }
    log::warn("removing {}: no topic in {} owns it (an interrupted create or delete)",
              entry.path().string(), kMetadataFile);
    if (Status removed = fs_.remove_all(entry.path()); !removed.ok()) {
      log::warn("{}", removed.to_string());
    }
  }
  return ok_status();
}

Status LogManager::persist_locked() const {
  storage::TopicRegistry registry;
  for (const auto& [name, topic] : topics_) {
    auto* meta = registry.add_topics();
    meta->set_name(name);
    meta->set_partitions(topic.info.partitions);
    meta->set_created_ms(topic.created_ms);
    for (const auto& [key, value] : topic.info.overrides)
      (*meta->mutable_config_overrides())[key] = value;
  }
  return write_file_atomically(fs_, data_dir_ / kMetadataFile,
                               std::string_view(registry.SerializeAsString()));
}

Status LogManager::create_topic(const std::string& name, int32_t partitions,
                                const std::map<std::string, std::string>& config_overrides,
                                bool validate_only) {
  RUNNEL_RETURN_IF_ERROR(validate_topic_name(name));
  if (partitions < 1) {
    return invalid_argument_error(
        fmt::format("{} partitions: a topic needs at least 1", partitions));
  }
  RUNNEL_ASSIGN_OR_RETURN(TopicConfig config, defaults_.with_overrides(config_overrides));
  std::unique_lock lock(mutex_);
  if (topics_.contains(name)) {
    return already_exists_error(fmt::format("topic '{}' already exists", name));
  }
  if (validate_only) return ok_status();
  Topic topic{.info = TopicInfo{.name = name,
                                .partitions = partitions,
                                .config = config,
                                .overrides = config_overrides},
              .created_ms = clock_.now_ms(),
              .logs = {}};
  for (int32_t p = 0; p < partitions; ++p) {
    RUNNEL_ASSIGN_OR_RETURN(auto log, open_log(name, p, config));
    topic.logs.push_back(std::move(log));
  }
  topics_.emplace(name, std::move(topic));
  if (Status persisted = persist_locked(); !persisted.ok()) {
    for (auto& log : topics_[name].logs) (void)log->remove();
    topics_.erase(name);
    return persisted;
  }
  return ok_status();
}

Status LogManager::delete_topic(const std::string& name) {
  std::unique_lock lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return not_found_error(fmt::format("topic '{}' does not exist", name));
  Topic topic = std::move(it->second);
  topics_.erase(it);
  if (Status persisted = persist_locked(); !persisted.ok()) {
    topics_.emplace(name, std::move(topic));
    return persisted;
  }
  for (auto& log : topic.logs) {
    if (Status removed = log->remove(); !removed.ok()) {
      log::warn("deleting topic '{}': {}", name, removed.to_string());
    }
  }
  return ok_status();
}

Status LogManager::create_partitions(const std::string& name, int32_t new_total,
                                     bool validate_only) {
  std::unique_lock lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return not_found_error(fmt::format("topic '{}' does not exist", name));
  Topic& topic = it->second;
  if (new_total <= topic.info.partitions) {
    return invalid_argument_error(fmt::format("topic '{}' has {} partitions; {} is not more", name,
                                              topic.info.partitions, new_total));
  }
  if (validate_only) return ok_status();
  const int32_t old_total = topic.info.partitions;
  for (int32_t p = old_total; p < new_total; ++p) {
    RUNNEL_ASSIGN_OR_RETURN(auto log, open_log(name, p, topic.info.config));
    topic.logs.push_back(std::move(log));
  }
  topic.info.partitions = new_total;
  if (Status persisted = persist_locked(); !persisted.ok()) {
    for (int32_t p = old_total; p < new_total; ++p) (void)topic.logs[p]->remove();
    topic.logs.resize(old_total);
    topic.info.partitions = old_total;
    return persisted;
  }
  return ok_status();
}

Status LogManager::set_topic_config(const std::string& name,
                                    const std::map<std::string, std::string>& overrides,
                                    bool validate_only) {
  RUNNEL_ASSIGN_OR_RETURN(TopicConfig config, defaults_.with_overrides(overrides));
  std::unique_lock lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return not_found_error(fmt::format("topic '{}' does not exist", name));
  if (validate_only) return ok_status();
  Topic& topic = it->second;
  const TopicInfo previous = topic.info;
  topic.info.config = config;
  topic.info.overrides = overrides;
  if (Status persisted = persist_locked(); !persisted.ok()) {
    topic.info = previous;
    return persisted;
  }
  for (const auto& log : topic.logs) log->set_config(config);
  return ok_status();
}

std::vector<TopicInfo> LogManager::list_topics() const {
  std::shared_lock lock(mutex_);
  std::vector<TopicInfo> result;
  for (const auto& [name, topic] : topics_) result.push_back(topic.info);
  return result;
}

std::optional<TopicInfo> LogManager::describe_topic(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return std::nullopt;
  return it->second.info;
}

std::shared_ptr<Log> LogManager::log(const std::string& topic, int32_t partition) const {
  std::shared_lock lock(mutex_);
  auto it = topics_.find(topic);
  if (it == topics_.end() || partition < 0 || partition >= it->second.info.partitions) {
    return nullptr;
  }
  return it->second.logs[static_cast<size_t>(partition)];
}

void LogManager::run_retention() {
  std::vector<std::shared_ptr<Log>> logs;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, topic] : topics_)
      logs.insert(logs.end(), topic.logs.begin(), topic.logs.end());
  }
  const int64_t now = clock_.now_ms();
  for (const auto& log : logs) {
    auto deleted = log->enforce_retention(now);
    if (!deleted.ok())
      log::warn("retention of {}: {}", log->dir().string(), deleted.status().to_string());
  }
  if (Status written = checkpoint_recovery_points(); !written.ok()) {
    log::warn("writing the recovery points: {}", written.to_string());
  }
}

Status LogManager::checkpoint_recovery_points() {
  RecoveryPointCheckpoint::Offsets offsets;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, topic] : topics_) {
      for (size_t p = 0; p < topic.logs.size(); ++p) {
        offsets[{name, static_cast<int32_t>(p)}] = topic.logs[p]->recovery_point();
      }
    }
  }
  std::lock_guard lock(checkpoint_mutex_);
  return RecoveryPointCheckpoint::write(fs_, data_dir_, offsets);
}

void LogManager::run_cleaner() {
  std::vector<std::shared_ptr<Log>> logs;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, topic] : topics_) {
      if (!topic.info.config.compacted()) continue;
      logs.insert(logs.end(), topic.logs.begin(), topic.logs.end());
    }
  }
  for (const auto& log : logs) {
    auto cleaned = log->clean(clock_.now_ms());
    if (!cleaned.ok()) {
      ++cleaner_errors_;
      log::warn("cleaner: {}: {}", log->dir().string(), cleaned.status().to_string());
    }
  }
}

void LogManager::start_cleaner(std::chrono::milliseconds backoff) {
  std::lock_guard lock(cleaner_thread_mutex_);
  if (cleaner_thread_.joinable()) return;
  cleaner_stopping_ = false;
  cleaner_thread_ = std::thread([this, backoff] {
    std::unique_lock lock(cleaner_thread_mutex_);
    while (!cleaner_wake_.wait_for(lock, backoff, [this] { return cleaner_stopping_; })) {
      lock.unlock();
      run_cleaner();
      lock.lock();
    }
  });
}

void LogManager::stop_cleaner() {
  std::thread thread;
  {
    std::lock_guard lock(cleaner_thread_mutex_);
    cleaner_stopping_ = true;
    thread = std::move(cleaner_thread_);
  }
  cleaner_wake_.notify_all();
  if (thread.joinable()) thread.join();
}

CleanerMetrics LogManager::cleaner_metrics() const {
  CleanerMetrics total;
  std::shared_lock lock(mutex_);
  for (const auto& [name, topic] : topics_) {
    for (const auto& log : topic.logs) total.add(log->cleaner_metrics());
  }
  total.errors += cleaner_errors_.load();
  return total;
}

Status LogManager::flush_all() {
  std::vector<std::shared_ptr<Log>> logs;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [name, topic] : topics_)
      logs.insert(logs.end(), topic.logs.begin(), topic.logs.end());
  }
  Status first_error;
  for (const auto& log : logs) {
    Status flushed = log->flush();
    if (!flushed.ok() && first_error.ok()) first_error = flushed;
  }
  // Every partition flushed to its end: a restart after this verifies only last segments.
  Status written = checkpoint_recovery_points();
  if (!written.ok() && first_error.ok()) first_error = written;
  return first_error;
}

}  // namespace runnel::broker

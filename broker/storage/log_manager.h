#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/storage/log.h"
#include "broker/storage/topic_config.h"
#include "core/clock.h"
#include "core/result.h"

namespace runnel::broker {

struct TopicInfo {
  std::string name;
  int32_t partitions = 0;
  TopicConfig config;                            // effective: defaults + overrides
  std::map<std::string, std::string> overrides;  // as set on the topic
};

// The broker's topics under its data directory: `<data-dir>/<topic>-<partition>/` per
// partition, and `<data-dir>/topics.meta` (Protocol Buffers, replaced atomically) naming the
// topics, their partition counts and config overrides. Thread-safe.
//
// Crash safety of the metadata: a topic is created by making its partition directories and
// then rewriting topics.meta (write to a temporary file, fsync, rename, fsync the directory);
// it is deleted by rewriting topics.meta first and then removing its directories. A crash in
// between leaves directories topics.meta does not name; open() removes them.
class LogManager {
 public:
  // Every file of the data directory is reached through `fs` (tests inject faults there).
  static Result<std::unique_ptr<LogManager>> open(std::filesystem::path data_dir,
                                                  TopicConfig defaults, Clock& clock,
                                                  FileSystem& fs = FileSystem::posix());
  ~LogManager();

  // already_exists_error if the topic exists; invalid_argument_error for a bad name,
  // partition count or config. With validate_only, checks and changes nothing.
  Status create_topic(const std::string& name, int32_t partitions,
                      const std::map<std::string, std::string>& config_overrides,
                      bool validate_only);
  // not_found_error if there is no such topic.
  Status delete_topic(const std::string& name);
  // Grows a topic to `new_total` partitions; invalid_argument_error if not larger.
  Status create_partitions(const std::string& name, int32_t new_total, bool validate_only);

  // Replaces the topic's config overrides with `overrides` (AlterConfigs; for
  // IncrementalAlterConfigs the caller computes the whole new set), checked as create_topic
  // checks them. topics.meta is rewritten before any partition takes the new config, so it
  // holds at once (the next append, roll or retention pass) and after a restart; on an error
  // nothing changes. not_found_error without the topic, invalid_argument_error for a bad name
  // or value. With validate_only, checks and changes nothing.
  Status set_topic_config(const std::string& name,
                          const std::map<std::string, std::string>& overrides, bool validate_only);

  std::vector<TopicInfo> list_topics() const;  // sorted by name
  std::optional<TopicInfo> describe_topic(const std::string& name) const;
  // The partition's log, or nullptr when the topic or partition does not exist. The Log
  // stays usable by its holder after the topic is deleted (reads then fail cleanly).
  std::shared_ptr<Log> log(const std::string& topic, int32_t partition) const;

  const TopicConfig& defaults() const { return defaults_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }

  // Applies retention and time-based flushing to every partition; the broker calls it
  // periodically. Errors are logged, not returned: one bad partition must not stop the rest.
  void run_retention();
  // fsyncs every partition (graceful stop), then writes the recovery points.
  Status flush_all();
  // Writes `<data-dir>/recovery-point-offset-checkpoint` (RecoveryPointCheckpoint) with
  // every partition's recovery point; run_retention() and flush_all() call it.
  Status checkpoint_recovery_points();

  // One pass of the log cleaner: Log::clean() on every partition of every topic whose
  // cleanup.policy includes compact. Errors are logged and counted in the metrics.
  void run_cleaner();
  // Runs run_cleaner() on a thread of its own every `backoff` (log.cleaner.backoff.ms) until
  // stop_cleaner() or destruction: cleaning reads and writes whole segments, so it must not
  // run on the network threads. Calling it again while running does nothing.
  void start_cleaner(std::chrono::milliseconds backoff);
  void stop_cleaner();
  // The cleaner's totals over every partition of the topics that exist now, plus every error.
  CleanerMetrics cleaner_metrics() const;

 private:
  struct Topic {
    TopicInfo info;
    int64_t created_ms = 0;
    std::vector<std::shared_ptr<Log>> logs;
  };

  LogManager(std::filesystem::path data_dir, TopicConfig defaults, Clock& clock, FileSystem& fs);
  // Log::open of one partition through fs_.
  Result<std::unique_ptr<Log>> open_log(const std::string& topic, int32_t partition,
                                        const TopicConfig& config, LogOpenOptions options = {});
  Status load();
  Status persist_locked() const;
  std::filesystem::path partition_dir(const std::string& topic, int32_t partition) const;

  const std::filesystem::path data_dir_;
  const TopicConfig defaults_;
  Clock& clock_;
  FileSystem& fs_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, Topic> topics_;
  std::mutex checkpoint_mutex_;  // one writer of the recovery point file at a time

  // The cleaner thread and what wakes it up early (stop).
  std::mutex cleaner_thread_mutex_;
  std::condition_variable cleaner_wake_;
  bool cleaner_stopping_ = false;  // GUARDED_BY(cleaner_thread_mutex_)
  std::thread cleaner_thread_;     // started and joined by one caller at a time
  std::atomic<uint64_t> cleaner_errors_{0};
};

}  // namespace runnel::broker

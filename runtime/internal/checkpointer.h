#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "state/checkpoint_file.h"
#include "state/deferred_flushes.h"

namespace runnel::internal {

// Writes a stream thread's periodic task checkpoints on a thread of its own, so that the
// stream thread does not wait for its stores' memtables to reach the disk (see
// state/deferred_flushes.h for why that wait mattered).
//
// A job is what one checkpoint of one task needs once the stream thread has done its part
// (the stores' batched writes are in RocksDB and their flushes deferred): the deferred flush
// jobs, then the checkpoint file, written only if every flush succeeded. The checkpoint so
// never names a changelog offset whose records the stores do not hold on disk; it may lag
// behind the stores (they are then ahead of it, which restoration handles by replaying from
// the checkpoint). Jobs run one at a time in the order submitted, so two checkpoints of one
// task land in order.
//
// The owner drains before anything that must not race a job: closing a task (its stores and
// the directory lock), writing a checkpoint itself, or wiping a task's directory. The first
// error of a job is kept and returned by the next submit() or drain(); a job after a failed
// one still runs.
//
// Thread-safe: submit() and drain() may be called from any thread; one worker thread,
// started by the first submit(), stopped by the destructor (after the queued jobs ran).
class Checkpointer {
 public:
  struct Job {
    std::string what;  // For errors, e.g. "task 0_1".
    std::vector<state::DeferredFlushes::Job> flushes;
    std::filesystem::path checkpoint_path;
    state::CheckpointOffsets offsets;
  };

  Checkpointer() = default;
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Queues `job`; returns the first error of an earlier job not yet reported (the job is
  // queued anyway).
  [[nodiscard]] Status submit(Job job);
  // Waits until every queued job has run; returns the first error not yet reported.
  [[nodiscard]] Status drain();

 private:
  void run();
  static Status execute(Job& job);
  Status take_error();  // Requires mutex_.

  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_.
  std::deque<Job> queue_;
  bool busy_ = false;  // The worker is running a job it took off the queue.
  bool stopping_ = false;
  Status error_;
  std::thread worker_;  // Started by the first submit().
};

}  // namespace runnel::internal

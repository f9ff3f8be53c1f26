#include "runtime/internal/checkpointer.h"

#include <system_error>
#include <utility>

namespace runnel::internal {

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status Checkpointer::submit(Job job) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(job));
  if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  changed_.notify_all();
  return take_error();
}

Status Checkpointer::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return take_error();
}

Status Checkpointer::take_error() { return std::exchange(error_, Status()); }

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // Stopping, and every job ran.
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    Status s = execute(job);
    lock.lock();
    busy_ = false;
    if (!s.ok() && error_.ok()) error_ = std::move(s);
    changed_.notify_all();
  }
}

Status Checkpointer::execute(Job& job) {
  for (state::DeferredFlushes::Job& flush : job.flushes) {
    Status s = flush();
    if (!s.ok()) return s.with_context("writing the stores of " + job.what + " to disk");
  }
  std::error_code ec;
  std::filesystem::create_directories(job.checkpoint_path.parent_path(), ec);
  Status s = state::CheckpointFile(job.checkpoint_path).write(job.offsets);
  if (!s.ok()) return s.with_context("checkpoint of " + job.what);
  return Status();
}

}  // namespace runnel::internal

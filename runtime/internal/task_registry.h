#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "operators/task_id.h"

namespace runnel {
class StreamTask;
}  // namespace runnel

namespace runnel::internal {

// One running task as interactive queries see it. Its stores (and their caches) are not
// thread-safe, so the stream thread that owns the task holds `mutex` whenever the task touches
// them (processing a batch, punctuating, flushing at commit, closing), and a reader holds it
// for the length of one query. `task` is null once the owner has taken the task away.
struct TaskSlot {
  TaskId id;  // Fixed when added.
  std::mutex mutex;
  StreamTask* task = nullptr;  // GUARDED_BY(mutex)
};

// The tasks of one KafkaStreams instance whose stores may be queried, across all its stream
// threads, and whether the instance may be queried at all (it is RUNNING). Shared by the
// instance, its stream threads (which add and remove their tasks) and the read-only store
// views handed to users, which may outlive the instance: thread-safe.
//
// Consistency: every change (a task added or removed, the availability set) moves a
// generation number. A query takes a snapshot (the slots and the generation), reads each slot
// under its mutex, then validates the generation: if it moved, the set of tasks or the
// instance's state changed under the query, whose answer may then miss a task, so the query
// fails (Unavailable, retry) instead of answering. Lock order: a slot's mutex is never held
// while taking the registry's.
class TaskRegistry {
 public:
  struct Snapshot {
    std::uint64_t generation = 0;
    std::vector<std::shared_ptr<TaskSlot>> slots;
  };

  // Not queryable until set_availability(OK).
  TaskRegistry();

  // Stream-thread side. add() makes `task` visible to queries; the caller then holds the
  // slot's mutex whenever the task touches its stores. remove() waits for the queries reading
  // the task to end, clears the slot and forgets it; the task may then be closed.
  std::shared_ptr<TaskSlot> add(StreamTask& task);
  void remove(const std::shared_ptr<TaskSlot>& slot);

  // OK while the instance is RUNNING; otherwise the error every query returns.
  void set_availability(Status availability);

  // Reader side: the registered slots, or the availability error.
  [[nodiscard]] Result<Snapshot> snapshot() const;
  // OK when nothing changed since `snapshot`; Unavailable (a rebalance moved tasks, or the
  // instance left RUNNING) otherwise, or the new availability error.
  [[nodiscard]] Status validate(const Snapshot& snapshot) const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t generation_ = 0;                  // GUARDED_BY(mutex_)
  Status availability_;                           // GUARDED_BY(mutex_)
  std::vector<std::shared_ptr<TaskSlot>> slots_;  // GUARDED_BY(mutex_)
};

}  // namespace runnel::internal

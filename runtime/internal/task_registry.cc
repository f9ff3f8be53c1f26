#include "runtime/internal/task_registry.h"

#include <algorithm>

#include "runtime/stream_task.h"

namespace runnel::internal {

TaskRegistry::TaskRegistry()
    : availability_(unavailable_error("the application has not been started")) {}

std::shared_ptr<TaskSlot> TaskRegistry::add(StreamTask& task) {
  auto slot = std::make_shared<TaskSlot>();
  slot->id = task.id();
  slot->task = &task;  // Not yet shared: no lock needed.
  std::lock_guard lock(mutex_);
  slots_.push_back(slot);
  ++generation_;
  return slot;
}

void TaskRegistry::remove(const std::shared_ptr<TaskSlot>& slot) {
  {
    // Forgotten first, so that no new query takes the slot; then emptied under its own mutex,
    // which waits for a query reading it now.
    std::lock_guard lock(mutex_);
    std::erase(slots_, slot);
    ++generation_;
  }
  std::lock_guard slot_lock(slot->mutex);
  slot->task = nullptr;
}

void TaskRegistry::set_availability(Status availability) {
  std::lock_guard lock(mutex_);
  availability_ = std::move(availability);
  ++generation_;
}

Result<TaskRegistry::Snapshot> TaskRegistry::snapshot() const {
  std::lock_guard lock(mutex_);
  if (!availability_.ok()) return availability_;
  return Snapshot{generation_, slots_};
}

Status TaskRegistry::validate(const Snapshot& snapshot) const {
  std::lock_guard lock(mutex_);
  if (!availability_.ok()) return availability_;
  if (generation_ != snapshot.generation) {
    return unavailable_error(
        "the application's tasks moved while the store was queried (a rebalance); retry");
  }
  return ok_status();
}

}  // namespace runnel::internal

#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/result.h"
#include "operators/internal/store_def.h"
#include "operators/task_id.h"
#include "state/key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/session_store.h"
#include "state/uncommitted_writes.h"
#include "state/window_store.h"

namespace runnel {

// Makes the plain byte store (no decorators) of one store definition for one task; the task
// wraps it with change-logging and caching as the definition asks. The seam through which a
// runtime chooses where state lives. Called from the thread making the task.
//
// `uncommitted_writes`: null, writes go straight to the store (at-least-once); else the
// task's registry of uncommitted writes (exactly-once), which persistent stores must hold
// their writes in until it commits (RocksDbStoreOptions::uncommitted_writes). Stores that
// are rebuilt from their changelog whenever the task is made (in memory) ignore it.
class StoreSupplier {
 public:
  virtual ~StoreSupplier() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<state::KeyValueStore>> make_key_value_store(
      const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<state::WindowStore>> make_window_store(
      const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<state::SessionStore>> make_session_store(
      const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) = 0;
};

// Stores in memory: the TopologyTestDriver's default. Nothing survives the task.
class InMemoryStoreSupplier final : public StoreSupplier {
 public:
  Result<std::unique_ptr<state::KeyValueStore>> make_key_value_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;
  Result<std::unique_ptr<state::WindowStore>> make_window_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;
  Result<std::unique_ptr<state::SessionStore>> make_session_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;
};

// Stores in RocksDB, one instance (or one per segment, for window and session stores) per
// store per task, under <state_dir>/<application_id>/<subtopology>_<partition>/<store>.
// Reopens what a previous run left there.
class RocksDbStoreSupplier final : public StoreSupplier {
 public:
  RocksDbStoreSupplier(std::filesystem::path state_dir, std::string application_id,
                       state::RocksDbStoreOptions options = {})
      : state_dir_(std::move(state_dir)),
        application_id_(std::move(application_id)),
        options_(options) {}

  // <state_dir>/<application_id>/<subtopology>_<partition>: where a task's stores (and its
  // checkpoint file) live; <state_dir>/<application_id>/global for the global tasks (every
  // global store of the application, and the global checkpoint file).
  std::filesystem::path task_directory(TaskId task) const {
    if (task.partition == kGlobalTaskPartition) return global_directory();
    return state_dir_ / application_id_ / task.to_string();
  }
  std::filesystem::path global_directory() const { return state_dir_ / application_id_ / "global"; }

  Result<std::unique_ptr<state::KeyValueStore>> make_key_value_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;
  Result<std::unique_ptr<state::WindowStore>> make_window_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;
  Result<std::unique_ptr<state::SessionStore>> make_session_store(
      const internal::StoreDef& def, TaskId task,
      state::UncommittedWrites* uncommitted_writes) override;

 private:
  std::filesystem::path state_dir_;
  std::string application_id_;
  // options_, buffered through `uncommitted_writes` when non-null.
  state::RocksDbStoreOptions options_for(state::UncommittedWrites* uncommitted_writes) const;

  state::RocksDbStoreOptions options_;
};

}  // namespace runnel

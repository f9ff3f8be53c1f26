#include "runtime/store_supplier.h"

#include <utility>

#include "state/in_memory_key_value_store.h"
#include "state/stores.h"

namespace runnel {

namespace {

state::WindowStoreOptions window_options(const internal::StoreDef& def) {
  state::WindowStoreOptions options;
  options.retention_ms = def.retention_ms;
  options.window_size_ms = def.window_size_ms;
  options.retain_duplicates = def.retain_duplicates;
  return options;
}

state::SessionStoreOptions session_options(const internal::StoreDef& def) {
  state::SessionStoreOptions options;
  options.retention_ms = def.retention_ms;
  return options;
}

}  // namespace

state::RocksDbStoreOptions RocksDbStoreSupplier::options_for(
    state::UncommittedWrites* uncommitted_writes) const {
  state::RocksDbStoreOptions options = options_;
  options.uncommitted_writes = uncommitted_writes;
  return options;
}

Result<std::unique_ptr<state::KeyValueStore>> InMemoryStoreSupplier::make_key_value_store(
    const internal::StoreDef& def, TaskId, state::UncommittedWrites*) {
  return std::unique_ptr<state::KeyValueStore>(
      std::make_unique<state::InMemoryKeyValueStore>(def.name));
}

Result<std::unique_ptr<state::WindowStore>> InMemoryStoreSupplier::make_window_store(
    const internal::StoreDef& def, TaskId, state::UncommittedWrites*) {
  return state::make_in_memory_window_store(def.name, window_options(def));
}

Result<std::unique_ptr<state::SessionStore>> InMemoryStoreSupplier::make_session_store(
    const internal::StoreDef& def, TaskId, state::UncommittedWrites*) {
  return state::make_in_memory_session_store(def.name, session_options(def));
}

Result<std::unique_ptr<state::KeyValueStore>> RocksDbStoreSupplier::make_key_value_store(
    const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) {
  if (def.in_memory) {
    return std::unique_ptr<state::KeyValueStore>(
        std::make_unique<state::InMemoryKeyValueStore>(def.name));
  }
  RUNNEL_ASSIGN_OR_RETURN(
      std::unique_ptr<state::RocksDbKeyValueStore> store,
      state::RocksDbKeyValueStore::open(def.name, task_directory(task) / def.name,
                                        options_for(uncommitted_writes)));
  return std::unique_ptr<state::KeyValueStore>(std::move(store));
}

Result<std::unique_ptr<state::WindowStore>> RocksDbStoreSupplier::make_window_store(
    const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) {
  return state::open_rocksdb_window_store(def.name, task_directory(task) / def.name,
                                          window_options(def), options_for(uncommitted_writes));
}

Result<std::unique_ptr<state::SessionStore>> RocksDbStoreSupplier::make_session_store(
    const internal::StoreDef& def, TaskId task, state::UncommittedWrites* uncommitted_writes) {
  return state::open_rocksdb_session_store(def.name, task_directory(task) / def.name,
                                           session_options(def), options_for(uncommitted_writes));
}

}  // namespace runnel

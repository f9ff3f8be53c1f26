#pragma once

// Factories for the window and session stores (Kafka Streams' Stores). Key-value stores are
// constructed directly: InMemoryKeyValueStore, RocksDbKeyValueStore::open.

#include <filesystem>
#include <memory>
#include <string>

#include "core/result.h"
#include "state/rocksdb_key_value_store.h"
#include "state/session_store.h"
#include "state/window_store.h"

namespace runnel::state {

// A window store whose segments live in memory. InvalidArgument for a non-positive retention.
[[nodiscard]] Result<std::unique_ptr<WindowStore>> make_in_memory_window_store(
    std::string name, WindowStoreOptions options);

// A window store whose segments are RocksDB instances under `directory`
// (<directory>/<name>.<segment start ms>). Segments a previous run left are reopened, and
// stream time is recovered from the newest one.
[[nodiscard]] Result<std::unique_ptr<WindowStore>> open_rocksdb_window_store(
    std::string name, std::filesystem::path directory, WindowStoreOptions options,
    const RocksDbStoreOptions& rocksdb_options = {});

[[nodiscard]] Result<std::unique_ptr<SessionStore>> make_in_memory_session_store(
    std::string name, SessionStoreOptions options);

[[nodiscard]] Result<std::unique_ptr<SessionStore>> open_rocksdb_session_store(
    std::string name, std::filesystem::path directory, SessionStoreOptions options,
    const RocksDbStoreOptions& rocksdb_options = {});

}  // namespace runnel::state

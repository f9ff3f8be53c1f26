#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "operators/state_store.h"
#include "runtime/internal/task_registry.h"
#include "state/key_value_store.h"
#include "state/windowed.h"

namespace runnel::internal {

// The byte-level half of an interactive query (runtime/queryable_store.h is the typed half):
// one store name read across every task of the instance that has it, each under its task's
// lock (TaskRegistry). Results are copied out before the lock is released, so nothing a
// caller holds points into a store. Every call fails with the registry's error when the
// instance is not RUNNING, or Unavailable when its tasks moved during the call.
//
// Thread-safe; holds the registry, so it may outlive the KafkaStreams that made it (its calls
// then fail).
class StoreReader {
 public:
  struct WindowEntry {
    Bytes key;
    Timestamp window_start = 0;
    Bytes value;
  };
  struct SessionEntry {
    Bytes key;
    state::Window session;
    Bytes value;
  };

  StoreReader(std::shared_ptr<const TaskRegistry> registry, std::string store, StoreKind kind,
              Timestamp window_size_ms);

  const std::string& store_name() const { return store_; }
  Timestamp window_size_ms() const { return window_size_ms_; }

  // Key-value stores. Reads go through the store's cache, so they see every record processed.
  [[nodiscard]] Result<std::optional<Bytes>> get(BytesView key) const;
  // Entries of every task with from <= key <= to, ascending by key bytes.
  [[nodiscard]] Result<std::vector<state::KeyValue>> range(BytesView from, BytesView to) const;
  [[nodiscard]] Result<std::vector<state::KeyValue>> all() const;
  // The sum of the tasks' estimates.
  [[nodiscard]] Result<std::uint64_t> approximate_num_entries() const;

  // Window stores. Results ordered by window start, then key bytes.
  [[nodiscard]] Result<std::optional<Bytes>> fetch(BytesView key, Timestamp window_start) const;
  [[nodiscard]] Result<std::vector<WindowEntry>> fetch(BytesView key, Timestamp time_from,
                                                       Timestamp time_to) const;
  [[nodiscard]] Result<std::vector<WindowEntry>> fetch_all(Timestamp time_from,
                                                           Timestamp time_to) const;

  // Session stores. Results ordered by session end, then start, then key bytes.
  // Every live session of `key`.
  [[nodiscard]] Result<std::vector<SessionEntry>> fetch_sessions(BytesView key) const;
  // The sessions of keys in [key_from, key_to] overlapping [earliest_session_end,
  // latest_session_start] (SessionStore::find_sessions).
  [[nodiscard]] Result<std::vector<SessionEntry>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) const;
  // The aggregate of exactly this session of `key`, or nullopt.
  [[nodiscard]] Result<std::optional<Bytes>> fetch_session(BytesView key,
                                                           state::Window session) const;

 private:
  // Calls `read` with the store of each registered task that has one, holding that task's
  // lock, until it sets `stop`; then checks that nothing moved meanwhile.
  Status read_each(const std::function<Status(StateStore& store, bool& stop)>& read) const;
  Result<std::vector<state::KeyValue>> scan(std::optional<BytesView> from,
                                            std::optional<BytesView> to) const;

  std::shared_ptr<const TaskRegistry> registry_;
  const std::string store_;
  const StoreKind kind_;
  const Timestamp window_size_ms_;
};

}  // namespace runnel::internal

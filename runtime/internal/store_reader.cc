#include "runtime/internal/store_reader.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "runtime/stream_task.h"
#include "state/session_store.h"

namespace runnel::internal {

namespace {

Status copy_entries(state::KeyValueIterator& it, std::vector<state::KeyValue>& out) {
  for (; it.valid(); it.next()) out.push_back({Bytes(it.key()), Bytes(it.value())});
  return it.status();
}

Status copy_windows(state::WindowStoreIterator& it, std::vector<StoreReader::WindowEntry>& out) {
  for (; it.valid(); it.next()) {
    out.push_back({Bytes(it.key()), it.window_start(), Bytes(it.value())});
  }
  return it.status();
}

void sort_windows(std::vector<StoreReader::WindowEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const StoreReader::WindowEntry& a, const StoreReader::WindowEntry& b) {
                     if (a.window_start != b.window_start) return a.window_start < b.window_start;
                     return a.key < b.key;
                   });
}

Status copy_sessions(state::SessionStoreIterator& it, std::vector<StoreReader::SessionEntry>& out) {
  for (; it.valid(); it.next()) out.push_back({Bytes(it.key()), it.session(), Bytes(it.value())});
  return it.status();
}

void sort_sessions(std::vector<StoreReader::SessionEntry>& entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const StoreReader::SessionEntry& a, const StoreReader::SessionEntry& b) {
                     if (a.session.end_ms != b.session.end_ms) {
                       return a.session.end_ms < b.session.end_ms;
                     }
                     if (a.session.start_ms != b.session.start_ms) {
                       return a.session.start_ms < b.session.start_ms;
                     }
                     return a.key < b.key;
                   });
}

}  // namespace

StoreReader::StoreReader(std::shared_ptr<const TaskRegistry> registry, std::string store,
                         StoreKind kind, Timestamp window_size_ms)
    : registry_(std::move(registry)),
      store_(std::move(store)),
      kind_(kind),
      window_size_ms_(window_size_ms) {}

Status StoreReader::read_each(
    const std::function<Status(StateStore& store, bool& stop)>& read) const {
  RUNNEL_ASSIGN_OR_RETURN(TaskRegistry::Snapshot snapshot, registry_->snapshot());
  bool stop = false;
  for (const std::shared_ptr<TaskSlot>& slot : snapshot.slots) {
    std::lock_guard lock(slot->mutex);
    // Taken away since the snapshot: validate() below reports the move.
    if (slot->task == nullptr) continue;
    StateStore* store = slot->task->store(store_);
    if (store == nullptr || store->kind != kind_) continue;  // Another sub-topology's task.
    Status s = read(*store, stop);
    if (!s.ok()) return s.with_context("querying store '" + store_ + "'");
    if (stop) break;
  }
  return registry_->validate(snapshot);
}

Result<std::optional<Bytes>> StoreReader::get(BytesView key) const {
  std::optional<Bytes> found;
  // Asks each task, as Kafka Streams' composite store does, rather than computing the key's
  // partition: a key lives in the task of the partition its record arrived on, which only
  // matches the default partitioner when the input was written with it.
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool& stop) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(found, store.key_value->get(key));
    stop = found.has_value();
    return ok_status();
  }));
  return found;
}

Result<std::vector<state::KeyValue>> StoreReader::scan(std::optional<BytesView> from,
                                                       std::optional<BytesView> to) const {
  std::vector<state::KeyValue> out;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(auto it,
                            from ? store.key_value->range(*from, *to) : store.key_value->all());
    return copy_entries(*it, out);
  }));
  std::stable_sort(out.begin(), out.end(), [](const state::KeyValue& a, const state::KeyValue& b) {
    return a.key < b.key;
  });
  return out;
}

Result<std::vector<state::KeyValue>> StoreReader::range(BytesView from, BytesView to) const {
  return scan(from, to);
}

Result<std::vector<state::KeyValue>> StoreReader::all() const {
  return scan(std::nullopt, std::nullopt);
}

Result<std::uint64_t> StoreReader::approximate_num_entries() const {
  std::uint64_t total = 0;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(std::uint64_t n, store.key_value->approximate_num_entries());
    // RocksDB's estimate may be huge; saturate rather than wrap.
    total = n > std::numeric_limits<std::uint64_t>::max() - total
                ? std::numeric_limits<std::uint64_t>::max()
                : total + n;
    return ok_status();
  }));
  return total;
}

Result<std::optional<Bytes>> StoreReader::fetch(BytesView key, Timestamp window_start) const {
  std::optional<Bytes> found;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool& stop) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(found, store.window->fetch(key, window_start));
    stop = found.has_value();
    return ok_status();
  }));
  return found;
}

Result<std::vector<StoreReader::WindowEntry>> StoreReader::fetch(BytesView key, Timestamp time_from,
                                                                 Timestamp time_to) const {
  std::vector<WindowEntry> out;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(auto it, store.window->fetch(key, time_from, time_to));
    return copy_windows(*it, out);
  }));
  sort_windows(out);
  return out;
}

Result<std::vector<StoreReader::WindowEntry>> StoreReader::fetch_all(Timestamp time_from,
                                                                     Timestamp time_to) const {
  std::vector<WindowEntry> out;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(auto it, store.window->fetch_all(time_from, time_to));
    return copy_windows(*it, out);
  }));
  sort_windows(out);
  return out;
}

Result<std::vector<StoreReader::SessionEntry>> StoreReader::fetch_sessions(BytesView key) const {
  std::vector<SessionEntry> out;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(auto it, store.session->fetch(key));
    return copy_sessions(*it, out);
  }));
  sort_sessions(out);
  return out;
}

Result<std::vector<StoreReader::SessionEntry>> StoreReader::find_sessions(
    BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
    Timestamp latest_session_start) const {
  std::vector<SessionEntry> out;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool&) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(
        auto it,
        store.session->find_sessions(key_from, key_to, earliest_session_end, latest_session_start));
    // The store's key range compares key bytes with their suffix; keep exactly the range.
    for (; it->valid(); it->next()) {
      const BytesView key = it->key();
      if (key < key_from || key_to < key) continue;
      out.push_back({Bytes(key), it->session(), Bytes(it->value())});
    }
    return it->status();
  }));
  sort_sessions(out);
  return out;
}

Result<std::optional<Bytes>> StoreReader::fetch_session(BytesView key,
                                                        state::Window session) const {
  std::optional<Bytes> found;
  RUNNEL_RETURN_IF_ERROR(read_each([&](StateStore& store, bool& stop) -> Status {
    RUNNEL_ASSIGN_OR_RETURN(found, store.session->fetch_session(key, session));
    stop = found.has_value();
    return ok_status();
  }));
  return found;
}

}  // namespace runnel::internal

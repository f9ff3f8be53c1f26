#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "operators/task_id.h"
#include "runtime/internal/store_reader.h"
#include "runtime/streams_metadata.h"
#include "state/windowed.h"

namespace runnel {

// Interactive queries: read-only, typed views of a running application's state stores, as
// KafkaStreams::store(), window_store() and session_store() return them (Kafka Streams'
// KafkaStreams#store with QueryableStoreTypes.keyValueStore() / windowStore() /
// sessionStore()).
//
// What a view sees: every task of this instance that has the store (one per partition of the
// sub-topology using it), and only those: keys whose partitions another instance of the
// application processes are absent here (query_metadata_for_key says which partition holds a
// key). Reads go through the stores' caches, so they reflect every record processed so far,
// flushed or not; a record is either wholly processed or not at all when a read sees the task
// (the stream thread processes a task's records with the task's lock held, and a read takes it).
//
// Errors, Kafka's InvalidStateStoreException as Status (every call checks):
// - Unavailable: the application is not RUNNING yet (CREATED, or REBALANCING: tasks are
//   moving or restoring), or its tasks moved during the call. Retry once it is RUNNING.
// - Aborted: the application is shutting down, stopped or failed; the view will not recover.
// - the store's or a serde's error otherwise.
//
// Thread safety: a view may be copied and used from any number of threads at once, while the
// application runs. A read holds one task's lock at a time and blocks that task's processing
// while it copies its part of the answer, so range() and all() on large stores delay
// processing for as long as the copy takes. Never query from inside the application's own
// processors or punctuators (the task's lock is held there: that would deadlock).
//
// A view holds the application's task registry, not the application: it may outlive the
// KafkaStreams (its calls then fail with Aborted). The serdes are held too.
template <typename K, typename V>
class ReadOnlyKeyValueStore {
 public:
  ReadOnlyKeyValueStore(std::shared_ptr<const internal::StoreReader> reader,
                        std::shared_ptr<const Serde<K>> key_serde,
                        std::shared_ptr<const Serde<V>> value_serde)
      : reader_(std::move(reader)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  const std::string& name() const { return reader_->store_name(); }

  // The value of `key`, or nullopt when no local task has it.
  [[nodiscard]] Result<std::optional<V>> get(const K& key) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, reader_->get(key_bytes));
    if (!bytes) return std::optional<V>();
    RUNNEL_ASSIGN_OR_RETURN(V value, deserialize_value(*bytes));
    return std::optional<V>(std::move(value));
  }

  // Entries whose serialized key lies in [serialize(from), serialize(to)] (both inclusive),
  // over every local task, ascending by serialized key.
  [[nodiscard]] Result<std::vector<std::pair<K, V>>> range(const K& from, const K& to) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes from_bytes, serialize_key(from));
    RUNNEL_ASSIGN_OR_RETURN(Bytes to_bytes, serialize_key(to));
    return typed(reader_->range(from_bytes, to_bytes));
  }

  // Every entry of every local task, ascending by serialized key. Copies the whole store.
  [[nodiscard]] Result<std::vector<std::pair<K, V>>> all() const { return typed(reader_->all()); }

  // The sum of the local tasks' estimates (RocksDB's counts overwrites not yet compacted).
  [[nodiscard]] Result<std::uint64_t> approximate_num_entries() const {
    return reader_->approximate_num_entries();
  }

 private:
  Result<Bytes> serialize_key(const K& key) const {
    Result<Bytes> bytes = key_serde_->serialize(key);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': key");
    return bytes;
  }
  Result<V> deserialize_value(BytesView bytes) const {
    Result<V> value = value_serde_->deserialize(bytes);
    if (!value.ok()) return value.status().with_context("store '" + name() + "': value");
    return value;
  }
  Result<std::vector<std::pair<K, V>>> typed(Result<std::vector<state::KeyValue>> bytes) const {
    if (!bytes.ok()) return bytes.status();
    std::vector<std::pair<K, V>> out;
    out.reserve(bytes->size());
    for (const state::KeyValue& kv : *bytes) {
      Result<K> key = key_serde_->deserialize(kv.key);
      if (!key.ok()) return key.status().with_context("store '" + name() + "': key");
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize_value(kv.value));
      out.emplace_back(std::move(key).value(), std::move(value));
    }
    return out;
  }

  std::shared_ptr<const internal::StoreReader> reader_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
};

// A read-only view of a window store (e.g. a windowed aggregation's); same scope, errors and
// thread safety as ReadOnlyKeyValueStore. Windows carry end = start + the store's window
// size.
template <typename K, typename V>
class ReadOnlyWindowStore {
 public:
  ReadOnlyWindowStore(std::shared_ptr<const internal::StoreReader> reader,
                      std::shared_ptr<const Serde<K>> key_serde,
                      std::shared_ptr<const Serde<V>> value_serde)
      : reader_(std::move(reader)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  const std::string& name() const { return reader_->store_name(); }

  // The value of `key` in the window starting at `window_start`, or nullopt.
  [[nodiscard]] Result<std::optional<V>> fetch(const K& key, Timestamp window_start) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, reader_->fetch(key_bytes, window_start));
    if (!bytes) return std::optional<V>();
    RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(*value_serde_, BytesView(*bytes), "value"));
    return std::optional<V>(std::move(value));
  }

  // (window start, value) of `key`'s windows starting in [time_from, time_to], in time order.
  [[nodiscard]] Result<std::vector<std::pair<Timestamp, V>>> fetch(const K& key,
                                                                   Timestamp time_from,
                                                                   Timestamp time_to) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(auto entries, reader_->fetch(key_bytes, time_from, time_to));
    std::vector<std::pair<Timestamp, V>> out;
    out.reserve(entries.size());
    for (const internal::StoreReader::WindowEntry& e : entries) {
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(*value_serde_, BytesView(e.value), "value"));
      out.emplace_back(e.window_start, std::move(value));
    }
    return out;
  }

  // Every window of every local task starting in [time_from, time_to], by window start, then
  // serialized key.
  [[nodiscard]] Result<std::vector<std::pair<state::Windowed<K>, V>>> fetch_all(
      Timestamp time_from, Timestamp time_to) const {
    RUNNEL_ASSIGN_OR_RETURN(auto entries, reader_->fetch_all(time_from, time_to));
    std::vector<std::pair<state::Windowed<K>, V>> out;
    out.reserve(entries.size());
    for (const internal::StoreReader::WindowEntry& e : entries) {
      RUNNEL_ASSIGN_OR_RETURN(K key, deserialize(*key_serde_, BytesView(e.key), "key"));
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(*value_serde_, BytesView(e.value), "value"));
      const Timestamp start = e.window_start;
      out.emplace_back(state::Windowed<K>{std::move(key),
                                          state::Window{start, start + reader_->window_size_ms()}},
                       std::move(value));
    }
    return out;
  }

 private:
  Result<Bytes> serialize_key(const K& key) const {
    Result<Bytes> bytes = key_serde_->serialize(key);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': key");
    return bytes;
  }
  template <typename T>
  Result<T> deserialize(const Serde<T>& serde, BytesView bytes, const char* what) const {
    Result<T> value = serde.deserialize(bytes);
    if (!value.ok()) return value.status().with_context("store '" + name() + "': " + what);
    return value;
  }

  std::shared_ptr<const internal::StoreReader> reader_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
};

// A read-only view of a session store (a session-windowed aggregation's, or a Processor API
// one; Kafka Streams' ReadOnlySessionStore); same scope, errors and thread safety as
// ReadOnlyKeyValueStore. A session is a Windowed<K> whose window is [first record's time,
// last record's time], both inclusive.
template <typename K, typename V>
class ReadOnlySessionStore {
 public:
  ReadOnlySessionStore(std::shared_ptr<const internal::StoreReader> reader,
                       std::shared_ptr<const Serde<K>> key_serde,
                       std::shared_ptr<const Serde<V>> value_serde)
      : reader_(std::move(reader)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  const std::string& name() const { return reader_->store_name(); }

  // Every live session of `key` with its aggregate, ordered by session end, then start.
  [[nodiscard]] Result<std::vector<std::pair<state::Windowed<K>, V>>> fetch(const K& key) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    return typed(reader_->fetch_sessions(key_bytes));
  }
  // Every live session of the keys whose serialized form lies in [serialize(from),
  // serialize(to)] (both inclusive), ordered by session end, then start, then key bytes.
  [[nodiscard]] Result<std::vector<std::pair<state::Windowed<K>, V>>> fetch(const K& from,
                                                                            const K& to) const {
    return find_sessions(from, to, 0, std::numeric_limits<Timestamp>::max());
  }
  // The sessions of `key` that end at or after `earliest_session_end` and start at or before
  // `latest_session_start` (Kafka's findSessions).
  [[nodiscard]] Result<std::vector<std::pair<state::Windowed<K>, V>>> find_sessions(
      const K& key, Timestamp earliest_session_end, Timestamp latest_session_start) const {
    return find_sessions(key, key, earliest_session_end, latest_session_start);
  }
  // The same over a key range.
  [[nodiscard]] Result<std::vector<std::pair<state::Windowed<K>, V>>> find_sessions(
      const K& from, const K& to, Timestamp earliest_session_end,
      Timestamp latest_session_start) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes from_bytes, serialize_key(from));
    RUNNEL_ASSIGN_OR_RETURN(Bytes to_bytes, serialize_key(to));
    return typed(
        reader_->find_sessions(from_bytes, to_bytes, earliest_session_end, latest_session_start));
  }
  // The aggregate of exactly the session [start, end] of `key`, or nullopt.
  [[nodiscard]] Result<std::optional<V>> fetch_session(const K& key, Timestamp start,
                                                       Timestamp end) const {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> bytes,
                            reader_->fetch_session(key_bytes, state::Window{start, end}));
    if (!bytes) return std::optional<V>();
    RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(*value_serde_, BytesView(*bytes), "value"));
    return std::optional<V>(std::move(value));
  }

 private:
  Result<Bytes> serialize_key(const K& key) const {
    Result<Bytes> bytes = key_serde_->serialize(key);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': key");
    return bytes;
  }
  template <typename T>
  Result<T> deserialize(const Serde<T>& serde, BytesView bytes, const char* what) const {
    Result<T> value = serde.deserialize(bytes);
    if (!value.ok()) return value.status().with_context("store '" + name() + "': " + what);
    return value;
  }
  Result<std::vector<std::pair<state::Windowed<K>, V>>> typed(
      Result<std::vector<internal::StoreReader::SessionEntry>> entries) const {
    if (!entries.ok()) return entries.status();
    std::vector<std::pair<state::Windowed<K>, V>> out;
    out.reserve(entries->size());
    for (const internal::StoreReader::SessionEntry& e : *entries) {
      RUNNEL_ASSIGN_OR_RETURN(K key, deserialize(*key_serde_, BytesView(e.key), "key"));
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(*value_serde_, BytesView(e.value), "value"));
      out.emplace_back(state::Windowed<K>{std::move(key), e.session}, std::move(value));
    }
    return out;
  }

  std::shared_ptr<const internal::StoreReader> reader_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
};

}  // namespace runnel

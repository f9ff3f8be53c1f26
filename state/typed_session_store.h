#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "state/session_store.h"
#include "state/windowed.h"

namespace runnel::state {

// A typed view of a byte SessionStore through key and value serdes. Queries return their
// results as vectors, deserialized, in the byte store's order. Borrows the store and the
// serdes. Not thread-safe.
template <typename K, typename V>
class TypedSessionStore {
 public:
  using Sessions = std::vector<std::pair<Windowed<K>, V>>;

  TypedSessionStore(SessionStore& store, const Serde<K>& key_serde, const Serde<V>& value_serde)
      : store_(store), key_serde_(key_serde), value_serde_(value_serde) {}

  SessionStore& bytes_store() { return store_; }
  const std::string& name() const { return store_.name(); }

  [[nodiscard]] Status put(const Windowed<K>& session, const V& value) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, session.key, "key"));
    RUNNEL_ASSIGN_OR_RETURN(Bytes value_bytes, serialize(value_serde_, value, "value"));
    return store_.put(key_bytes, session.window, value_bytes);
  }

  [[nodiscard]] Status remove(const Windowed<K>& session) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, session.key, "key"));
    return store_.remove(key_bytes, session.window);
  }

  [[nodiscard]] Result<std::optional<V>> fetch_session(const K& key, Window session) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, store_.fetch_session(key_bytes, session));
    if (!bytes) return std::optional<V>();
    RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(value_serde_, *bytes, "value"));
    return std::optional<V>(std::move(value));
  }

  // Sessions of `key` with end >= earliest_session_end and start <= latest_session_start.
  [[nodiscard]] Result<Sessions> find_sessions(const K& key, Timestamp earliest_session_end,
                                               Timestamp latest_session_start) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    return collect(store_.find_sessions(key_bytes, earliest_session_end, latest_session_start));
  }

  [[nodiscard]] Result<Sessions> fetch(const K& key) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    return collect(store_.fetch(key_bytes));
  }

 private:
  template <typename T>
  Result<Bytes> serialize(const Serde<T>& serde, const T& value, const char* what) const {
    Result<Bytes> bytes = serde.serialize(value);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': " + what);
    return bytes;
  }
  template <typename T>
  Result<T> deserialize(const Serde<T>& serde, BytesView bytes, const char* what) const {
    Result<T> value = serde.deserialize(bytes);
    if (!value.ok()) return value.status().with_context("store '" + name() + "': " + what);
    return value;
  }
  Result<Sessions> collect(Result<std::unique_ptr<SessionStoreIterator>> it) {
    if (!it.ok()) return it.status();
    Sessions out;
    for (; (*it)->valid(); (*it)->next()) {
      RUNNEL_ASSIGN_OR_RETURN(K key, deserialize(key_serde_, (*it)->key(), "key"));
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(value_serde_, (*it)->value(), "value"));
      out.emplace_back(Windowed<K>{std::move(key), (*it)->session()}, std::move(value));
    }
    RUNNEL_RETURN_IF_ERROR((*it)->status());
    return out;
  }

  SessionStore& store_;
  const Serde<K>& key_serde_;
  const Serde<V>& value_serde_;
};

}  // namespace runnel::state

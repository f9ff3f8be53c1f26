#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "state/window_store.h"
#include "state/windowed.h"

namespace runnel::state {

// A typed view of a byte WindowStore through key and value serdes. Fetches return their
// (time-bounded) results as vectors, deserialized; windows carry end = start +
// options().window_size_ms. Borrows the store and the serdes. Not thread-safe.
template <typename K, typename V>
class TypedWindowStore {
 public:
  TypedWindowStore(WindowStore& store, const Serde<K>& key_serde, const Serde<V>& value_serde)
      : store_(store), key_serde_(key_serde), value_serde_(value_serde) {}

  WindowStore& bytes_store() { return store_; }
  const std::string& name() const { return store_.name(); }

  [[nodiscard]] Status put(const K& key, const V& value, Timestamp window_start) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    return put_serialized(key_bytes, value, window_start);
  }

  // The key's bytes, for the *_serialized calls of a caller that reads and writes many
  // windows of one key (a hopping-window aggregate: one serialization per record, not two
  // per window).
  [[nodiscard]] Result<Bytes> serialize_key(const K& key) const {
    return serialize(key_serde_, key, "key");
  }
  [[nodiscard]] Status put_serialized(BytesView key_bytes, const V& value, Timestamp window_start) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes value_bytes, serialize(value_serde_, value, "value"));
    return store_.put(key_bytes, value_bytes, window_start);
  }
  [[nodiscard]] Result<std::optional<V>> fetch_serialized(BytesView key_bytes,
                                                          Timestamp window_start) {
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, store_.fetch(key_bytes, window_start));
    if (!bytes) return std::optional<V>();
    RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(value_serde_, *bytes, "value"));
    return std::optional<V>(std::move(value));
  }

  [[nodiscard]] Status remove(const K& key, Timestamp window_start) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    return store_.remove(key_bytes, window_start);
  }

  [[nodiscard]] Result<std::optional<V>> fetch(const K& key, Timestamp window_start) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    return fetch_serialized(key_bytes, window_start);
  }

  // (window start, value) of `key`'s windows starting in [time_from, time_to], in time order.
  [[nodiscard]] Result<std::vector<std::pair<Timestamp, V>>> fetch(const K& key,
                                                                   Timestamp time_from,
                                                                   Timestamp time_to) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize(key_serde_, key, "key"));
    RUNNEL_ASSIGN_OR_RETURN(auto it, store_.fetch(key_bytes, time_from, time_to));
    std::vector<std::pair<Timestamp, V>> out;
    for (; it->valid(); it->next()) {
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(value_serde_, it->value(), "value"));
      out.emplace_back(it->window_start(), std::move(value));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    return out;
  }

  [[nodiscard]] Result<std::vector<std::pair<Windowed<K>, V>>> fetch(const K& key_from,
                                                                     const K& key_to,
                                                                     Timestamp time_from,
                                                                     Timestamp time_to) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes from, serialize(key_serde_, key_from, "key"));
    RUNNEL_ASSIGN_OR_RETURN(Bytes to, serialize(key_serde_, key_to, "key"));
    return collect(store_.fetch(from, to, time_from, time_to));
  }

  [[nodiscard]] Result<std::vector<std::pair<Windowed<K>, V>>> fetch_all(Timestamp time_from,
                                                                         Timestamp time_to) {
    return collect(store_.fetch_all(time_from, time_to));
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
  Result<std::vector<std::pair<Windowed<K>, V>>> collect(
      Result<std::unique_ptr<WindowStoreIterator>> it) {
    if (!it.ok()) return it.status();
    std::vector<std::pair<Windowed<K>, V>> out;
    for (; (*it)->valid(); (*it)->next()) {
      RUNNEL_ASSIGN_OR_RETURN(K key, deserialize(key_serde_, (*it)->key(), "key"));
      RUNNEL_ASSIGN_OR_RETURN(V value, deserialize(value_serde_, (*it)->value(), "value"));
      const Timestamp start = (*it)->window_start();
      out.emplace_back(
          Windowed<K>{std::move(key), Window{start, start + store_.options().window_size_ms}},
          std::move(value));
    }
    RUNNEL_RETURN_IF_ERROR((*it)->status());
    return out;
  }

  WindowStore& store_;
  const Serde<K>& key_serde_;
  const Serde<V>& value_serde_;
};

}  // namespace runnel::state

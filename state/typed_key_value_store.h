#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "state/key_value_store.h"

namespace runnel::state {

// A cursor over a TypedKeyValueStore: a byte iterator whose entries are deserialized on
// demand. Same snapshot semantics and lifetime rules as KeyValueIterator.
template <typename K, typename V>
class TypedKeyValueIterator {
 public:
  TypedKeyValueIterator(std::unique_ptr<KeyValueIterator> bytes, const Serde<K>& key_serde,
                        const Serde<V>& value_serde, const std::string& store_name)
      : bytes_(std::move(bytes)),
        key_serde_(key_serde),
        value_serde_(value_serde),
        store_name_(store_name) {}

  bool valid() const { return bytes_->valid(); }
  void next() { bytes_->next(); }
  Status status() const { return bytes_->status(); }

  // The current key and value, or the error of a serde that cannot decode the stored bytes
  // (naming the store). Requires valid().
  Result<K> key() const {
    Result<K> key = key_serde_.deserialize(bytes_->key());
    if (!key.ok()) return key.status().with_context("store '" + store_name_ + "': key");
    return key;
  }
  Result<V> value() const {
    Result<V> value = value_serde_.deserialize(bytes_->value());
    if (!value.ok()) return value.status().with_context("store '" + store_name_ + "': value");
    return value;
  }
  Result<std::pair<K, V>> entry() const {
    RUNNEL_ASSIGN_OR_RETURN(K key, this->key());
    RUNNEL_ASSIGN_OR_RETURN(V value, this->value());
    return std::pair<K, V>(std::move(key), std::move(value));
  }

 private:
  std::unique_ptr<KeyValueIterator> bytes_;
  const Serde<K>& key_serde_;
  const Serde<V>& value_serde_;
  const std::string& store_name_;
};

// A typed view of a byte KeyValueStore through a key serde and a value serde: what a
// processor uses. Keys are ordered by their serialized bytes (so, e.g., negative int32 keys
// sort after positive ones with the big-endian Int32Serde, as in Kafka Streams).
//
// Borrows the store and the serdes, which must outlive it. Not thread-safe, like the store.
// Errors: the store's, or a serde's with the store's name as context.
template <typename K, typename V>
class TypedKeyValueStore {
 public:
  using Iterator = TypedKeyValueIterator<K, V>;

  TypedKeyValueStore(KeyValueStore& store, const Serde<K>& key_serde, const Serde<V>& value_serde)
      : store_(store), key_serde_(key_serde), value_serde_(value_serde) {}

  KeyValueStore& bytes_store() { return store_; }
  const std::string& name() const { return store_.name(); }

  [[nodiscard]] Result<std::optional<V>> get(const K& key) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> value, store_.get(key_bytes));
    return deserialize_optional(value);
  }

  [[nodiscard]] Status put(const K& key, const V& value) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(Bytes value_bytes, serialize_value(value));
    return store_.put(key_bytes, value_bytes);
  }

  [[nodiscard]] Status put_all(const std::vector<std::pair<K, V>>& entries) {
    std::vector<KeyValue> bytes;
    bytes.reserve(entries.size());
    for (const auto& [key, value] : entries) {
      RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
      RUNNEL_ASSIGN_OR_RETURN(Bytes value_bytes, serialize_value(value));
      bytes.push_back(KeyValue{std::move(key_bytes), std::move(value_bytes)});
    }
    return store_.put_all(bytes);
  }

  // The value already present (nothing written), or nullopt when `value` was put.
  [[nodiscard]] Result<std::optional<V>> put_if_absent(const K& key, const V& value) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(Bytes value_bytes, serialize_value(value));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> existing,
                            store_.put_if_absent(key_bytes, value_bytes));
    return deserialize_optional(existing);
  }

  // The removed value, or nullopt if the key was absent.
  [[nodiscard]] Result<std::optional<V>> delete_key(const K& key) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, serialize_key(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, store_.delete_key(key_bytes));
    return deserialize_optional(old);
  }

  // Entries with serialized key in [serialize(from), serialize(to)], ascending bytes.
  [[nodiscard]] Result<Iterator> range(const K& from, const K& to) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes from_bytes, serialize_key(from));
    RUNNEL_ASSIGN_OR_RETURN(Bytes to_bytes, serialize_key(to));
    return wrap(store_.range(from_bytes, to_bytes));
  }
  [[nodiscard]] Result<Iterator> reverse_range(const K& from, const K& to) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes from_bytes, serialize_key(from));
    RUNNEL_ASSIGN_OR_RETURN(Bytes to_bytes, serialize_key(to));
    return wrap(store_.reverse_range(from_bytes, to_bytes));
  }
  // Entries whose serialized key starts with the serialization of `prefix` by
  // `prefix_serde` (e.g. a string prefix of string keys), as Kafka Streams' prefixScan.
  template <typename P>
  [[nodiscard]] Result<Iterator> prefix_scan(const P& prefix, const Serde<P>& prefix_serde) {
    Result<Bytes> prefix_bytes = prefix_serde.serialize(prefix);
    if (!prefix_bytes.ok()) {
      return prefix_bytes.status().with_context("store '" + name() + "': prefix");
    }
    return wrap(store_.prefix_scan(*prefix_bytes));
  }
  [[nodiscard]] Result<Iterator> all() { return wrap(store_.all()); }

  [[nodiscard]] Result<std::uint64_t> approximate_num_entries() {
    return store_.approximate_num_entries();
  }

 private:
  Result<Bytes> serialize_key(const K& key) const {
    Result<Bytes> bytes = key_serde_.serialize(key);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': key");
    return bytes;
  }
  Result<Bytes> serialize_value(const V& value) const {
    Result<Bytes> bytes = value_serde_.serialize(value);
    if (!bytes.ok()) return bytes.status().with_context("store '" + name() + "': value");
    return bytes;
  }
  Result<std::optional<V>> deserialize_optional(const std::optional<Bytes>& bytes) const {
    if (!bytes) return std::optional<V>();
    Result<V> value = value_serde_.deserialize(*bytes);
    if (!value.ok()) return value.status().with_context("store '" + name() + "': value");
    return std::optional<V>(std::move(*value));  // one move: *value is V&, not a temporary
  }
  Result<Iterator> wrap(Result<std::unique_ptr<KeyValueIterator>> bytes) const {
    if (!bytes.ok()) return bytes.status();
    return Iterator(std::move(bytes).value(), key_serde_, value_serde_, store_.name());
  }

  KeyValueStore& store_;
  const Serde<K>& key_serde_;
  const Serde<V>& value_serde_;
};

}  // namespace runnel::state

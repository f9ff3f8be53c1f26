#include "state/in_memory_key_value_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "state/internal/snapshot_iterator.h"

namespace runnel::state {

InMemoryKeyValueStore::InMemoryKeyValueStore(std::string name) : name_(std::move(name)) {}

Result<std::optional<Bytes>> InMemoryKeyValueStore::get(BytesView key) {
  if (!open_) return store_closed_error(name_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

void InMemoryKeyValueStore::put_unchecked(BytesView key, BytesView value) {
  auto it = map_.lower_bound(key);
  if (it != map_.end() && it->first.view() == key) {
    // Reuse the old value's buffer: an overwrite then costs no allocation when the new value
    // is no longer than the old one (counters, aggregates).
    it->second.clear();
    it->second.append(value);
  } else {
    map_.emplace_hint(it, Bytes(key), Bytes(value));
  }
}

Status InMemoryKeyValueStore::put(BytesView key, BytesView value) {
  if (!open_) return store_closed_error(name_);
  put_unchecked(key, value);
  return Status();
}

Status InMemoryKeyValueStore::put_all(std::span<const KeyValue> entries) {
  if (!open_) return store_closed_error(name_);
  for (const KeyValue& entry : entries) put_unchecked(entry.key, entry.value);
  return Status();
}

Result<std::optional<Bytes>> InMemoryKeyValueStore::put_if_absent(BytesView key, BytesView value) {
  if (!open_) return store_closed_error(name_);
  auto it = map_.find(key);
  if (it != map_.end()) return std::optional<Bytes>(it->second);
  map_.emplace(Bytes(key), Bytes(value));
  return std::optional<Bytes>();
}

Result<std::optional<Bytes>> InMemoryKeyValueStore::delete_key(BytesView key) {
  if (!open_) return store_closed_error(name_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::optional<Bytes>();
  std::optional<Bytes> old(std::move(it->second));
  map_.erase(it);
  return old;
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::range(BytesView from,
                                                                       BytesView to) {
  if (!open_) return store_closed_error(name_);
  std::vector<KeyValue> entries;
  if (from <= to) {
    for (auto it = map_.lower_bound(from); it != map_.end() && it->first.view() <= to; ++it)
      entries.push_back(KeyValue{it->first, it->second});
  }
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<internal::SnapshotIterator>(std::move(entries)));
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::reverse_range(BytesView from,
                                                                               BytesView to) {
  if (!open_) return store_closed_error(name_);
  std::vector<KeyValue> entries;
  if (from <= to) {
    for (auto it = map_.lower_bound(from); it != map_.end() && it->first.view() <= to; ++it)
      entries.push_back(KeyValue{it->first, it->second});
  }
  std::reverse(entries.begin(), entries.end());
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<internal::SnapshotIterator>(std::move(entries)));
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::prefix_scan(BytesView prefix) {
  if (!open_) return store_closed_error(name_);
  std::vector<KeyValue> entries;
  for (auto it = map_.lower_bound(prefix);
       it != map_.end() && internal::has_prefix(it->first, prefix); ++it)
    entries.push_back(KeyValue{it->first, it->second});
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<internal::SnapshotIterator>(std::move(entries)));
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::all() {
  return prefix_scan(BytesView());
}

Result<std::uint64_t> InMemoryKeyValueStore::approximate_num_entries() {
  if (!open_) return store_closed_error(name_);
  return static_cast<std::uint64_t>(map_.size());
}

Status InMemoryKeyValueStore::flush() {
  if (!open_) return store_closed_error(name_);
  return Status();
}

Status InMemoryKeyValueStore::close() {
  open_ = false;
  map_.clear();
  return Status();
}

Status InMemoryKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  if (!open_) return store_closed_error(name_);
  for (const RestoreRecord& record : records) {
    if (record.value) {
      put_unchecked(record.key, *record.value);
    } else {
      if (auto it = map_.find(record.key); it != map_.end()) map_.erase(it);
    }
  }
  return Status();
}

}  // namespace runnel::state

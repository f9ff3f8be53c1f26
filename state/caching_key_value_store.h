#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "state/cache_budget.h"
#include "state/changelog_collector.h"
#include "state/internal/dirty_cache.h"
#include "state/key_value_store.h"
#include "state/store_cache.h"

namespace runnel::state {

// Told about each entry a CachingKeyValueStore writes down to its underlying store. The DSL
// implements it to forward a KTable's latest value per key downstream once per commit instead
// of once per update.
class CacheFlushListener {
 public:
  virtual ~CacheFlushListener() = default;
  // `new_value` null: the key was deleted. `old_value`: the underlying store's value before
  // this write (null if absent, or if old values were not requested). `timestamp`: that of the
  // record of the entry's last write. An error stops the flush; it is returned by the store
  // operation that flushed (flush(), or a put that evicted).
  [[nodiscard]] virtual Status apply(BytesView key, NullableBytesView new_value,
                                     NullableBytesView old_value, Timestamp timestamp) = 0;
};

// A KeyValueStore decorator that holds writes in memory and writes them down to the
// underlying store at flush() (each commit), so that a key updated many times between commits
// costs one underlying write, one changelog record and one downstream update (Kafka Streams'
// record cache, per store).
//
// - Writes (put, delete) go to the cache only; a key written again keeps its place.
// - Reads see the cache first (a cached delete hides the underlying value); scans merge the
//   cache with the underlying store, with the same snapshot semantics as any store iterator.
// - flush() writes the dirty entries to the underlying store in order of their first write
//   since the last flush (each run of puts in one put_all: one RocksDB write batch), all of
//   them before telling the listener about any, so a listener that reads this store sees
//   every flushed entry. Then it flushes the underlying store (flush_cache() stops before
//   that).
// - The cache is bounded by `max_bytes` (key + value bytes + kEntryOverhead per entry), or
//   shares a CacheBudget with the other caches of its thread: a write that passes the bound
//   evicts the oldest dirty entries of this store, which are written down and reported exactly
//   as by flush(). A bound of 0 writes through.
// - restore_batch() bypasses the cache (dropping cached entries of the keys it restores).
// - close() flushes, then closes the underlying store.
// - An error while writing down (underlying store, changelog collector or listener) leaves
//   the entries being written down out of the cache, some written and some not: the task must
//   then be closed without a checkpoint and its state restored from the changelog, as after a
//   crash.
//
// Not thread-safe: owned by one task.
class CachingKeyValueStore final : public KeyValueStore, public StoreCache {
 public:
  // Bytes counted per cached entry besides its key and value: the map node, the order list
  // node and the bookkeeping, roughly.
  static constexpr std::size_t kEntryOverhead = internal::DirtyCache::kEntryOverhead;

  // `timestamp` gives the timestamp recorded with each write (may be empty: kNoTimestamp).
  CachingKeyValueStore(std::unique_ptr<KeyValueStore> inner, std::size_t max_bytes,
                       TimestampSupplier timestamp = {});
  // Shares `budget` (borrowed; it must outlive the store) with other caches.
  CachingKeyValueStore(std::unique_ptr<KeyValueStore> inner, CacheBudget& budget,
                       TimestampSupplier timestamp = {});
  // Gives its bytes back to the budget; does not flush (close() does).
  ~CachingKeyValueStore() override;

  // Sets (or clears, with null) the borrowed listener told about flushed entries; it must
  // outlive the store or be cleared. With `send_old_values`, each write down first reads the
  // underlying store's current value to report it (one more read per entry).
  void set_flush_listener(CacheFlushListener* listener, bool send_old_values = false);

  // The bound of this store's budget, which other stores may share.
  std::size_t max_bytes() const { return budget_->max_bytes(); }
  // Bytes this cache holds now, as counted against its budget.
  std::size_t cached_bytes() const { return cache_.cached_bytes(); }
  std::size_t dirty_entries() const override { return cache_.size(); }
  // Entries written down early because the cache was full.
  std::uint64_t evictions() const { return evictions_; }

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  Result<std::optional<Bytes>> get(BytesView key) override;
  Status put(BytesView key, BytesView value) override;
  Status put_all(std::span<const KeyValue> entries) override;
  Result<std::optional<Bytes>> put_if_absent(BytesView key, BytesView value) override;
  Result<std::optional<Bytes>> delete_key(BytesView key) override;
  Result<std::unique_ptr<KeyValueIterator>> range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) override;
  Result<std::unique_ptr<KeyValueIterator>> all() override;
  // The underlying store's estimate plus the number of dirty entries.
  Result<std::uint64_t> approximate_num_entries() override;
  // flush_cache(), then the underlying store's flush().
  Status flush() override;
  Status flush_cache() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  using Dirty = internal::DirtyCache::Dirty;

  Status write(BytesView key, NullableBytesView value);
  // Writes entries to the underlying store, then tells the listener.
  Status write_down(std::vector<Dirty> dirty);
  Status evict_while_full();
  // The cached entries of a key range, a prefix or everything, in key order.
  std::vector<std::pair<Bytes, NullableBytes>> cached_between(BytesView from, BytesView to,
                                                              bool prefix, bool everything) const;

  std::unique_ptr<KeyValueStore> inner_;
  std::unique_ptr<CacheBudget> own_budget_;  // When not given one to share.
  CacheBudget* budget_;
  TimestampSupplier timestamp_;
  CacheFlushListener* listener_ = nullptr;
  bool send_old_values_ = false;

  internal::DirtyCache cache_;  // Dirty entries in order of first write since written down.
  std::uint64_t evictions_ = 0;
};

}  // namespace runnel::state

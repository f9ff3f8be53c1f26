#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace runnel::state::internal {

// Which side a merged cursor over a record cache and its underlying store stands on.
enum class MergeSource { kNone, kCache, kStore };

// One step of the merge the record caches read through (key-value, window and session): a
// snapshot of cache entries, in the underlying iterator's order (a null value is a cached
// delete), against that iterator. Moves past what cannot be returned (cached deletes, store
// entries the cache shadows) and says where the next entry is: kNone at the end, or at the
// store's error, which its status() reports. `compare(cached_key)` orders the cached key at
// `next_cached` against the store's current entry, in iteration order.
template <typename StoreIterator, typename Compare>
MergeSource settle_merge(const std::vector<std::pair<Bytes, NullableBytes>>& cached,
                         std::size_t& next_cached, StoreIterator& store, Compare compare) {
  while (true) {
    const bool cache_left = next_cached < cached.size();
    const bool store_left = store.valid();
    if (!store_left && !store.status().ok()) return MergeSource::kNone;
    if (!cache_left && !store_left) return MergeSource::kNone;
    if (cache_left && store_left) {
      const auto order = compare(cached[next_cached].first.view());
      if (order > 0) return MergeSource::kStore;
      if (order == 0) store.next();  // shadowed by the cache
    } else if (!cache_left) {
      return MergeSource::kStore;
    }
    if (!cached[next_cached].second) {
      ++next_cached;  // a cached delete
      continue;
    }
    return MergeSource::kCache;
  }
}

// The state of a merged iterator over a record cache and its underlying store (key-value,
// window and session alike): the cache's snapshot, the store's iterator and which of them the
// current entry is on. The record caches' iterators keep one and add only what their entries
// mean (a window's start, a session's bounds) and how a store entry compares to a cache key;
// `compare` is settle_merge's. Call settle() once before reading.
template <typename StoreIterator>
class MergeCursor {
 public:
  MergeCursor(std::vector<std::pair<Bytes, NullableBytes>> cached,
              std::unique_ptr<StoreIterator> store)
      : cached_(std::move(cached)), store_(std::move(store)) {}

  bool valid() const { return current_ != MergeSource::kNone; }
  bool on_cache() const { return current_ == MergeSource::kCache; }
  // The current cache entry's key; only when on_cache().
  BytesView cached_key() const { return cached_[next_cached_].first.view(); }
  BytesView value() const {
    return on_cache() ? cached_[next_cached_].second->view() : store_->value();
  }
  const StoreIterator& store() const { return *store_; }
  StoreIterator& store() { return *store_; }
  Status status() const { return store_->status(); }

  template <typename Compare>
  void settle(Compare compare) {
    current_ = settle_merge(cached_, next_cached_, *store_, compare);
  }
  template <typename Compare>
  void next(Compare compare) {
    if (on_cache()) {
      ++next_cached_;
    } else {
      store_->next();
    }
    settle(compare);
  }

 private:
  std::vector<std::pair<Bytes, NullableBytes>> cached_;
  std::size_t next_cached_ = 0;
  std::unique_ptr<StoreIterator> store_;
  MergeSource current_ = MergeSource::kNone;
};

}  // namespace runnel::state::internal

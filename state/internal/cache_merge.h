#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "core/bytes.h"

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

}  // namespace runnel::state::internal

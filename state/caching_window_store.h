#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "state/cache_budget.h"
#include "state/changelog_collector.h"
#include "state/internal/dirty_cache.h"
#include "state/store_cache.h"
#include "state/window_store.h"

namespace runnel::state {

// Told about each window a CachingWindowStore writes down to its underlying store. The DSL
// implements it to forward a windowed aggregation's latest value per window downstream once
// per commit instead of once per update.
class WindowCacheFlushListener {
 public:
  virtual ~WindowCacheFlushListener() = default;
  // `new_value` null: the window was removed. `old_value`: the underlying store's value before
  // this write (null if absent, or if old values were not requested). `timestamp`: that of the
  // record of the entry's last write. An error stops the flush; it is returned by the store
  // operation that flushed (flush(), or a put that evicted).
  [[nodiscard]] virtual Status apply(BytesView key, Timestamp window_start,
                                     NullableBytesView new_value, NullableBytesView old_value,
                                     Timestamp timestamp) = 0;
};

// A WindowStore decorator that holds writes in memory and writes them down to the underlying
// store at flush() (each commit), so that a window updated many times between commits costs
// one underlying write, one changelog record and one downstream update (Kafka Streams'
// CachingWindowStore). The contract is CachingKeyValueStore's:
//
// - Writes (put, remove) go to the cache only, keyed by (time segment, key, window start) so
//   that the cache sorts as the underlying store iterates; a window written again becomes the
//   most recently written (internal/dirty_cache.h says why that order).
// - Reads see the cache first (a cached remove hides the underlying value); every fetch
//   merges a snapshot of the cache with the underlying store's iterator, in the underlying
//   store's order (by segment, then key and window start), with its snapshot semantics.
// - Expiry is the underlying store's, applied by the cache too: stream time is the largest
//   window start put here or seen by the underlying store; a put to an expired window is
//   dropped and counted in expired_puts_dropped(), exactly as the underlying store would have
//   done without the cache, and reads never return an expired window (cached or not). A
//   cached window that expires before it is written down is still written down (the
//   underlying store drops it with its segment), as it would have been without the cache.
// - flush() writes the dirty entries down least recently written first, all of them before telling
// the listener about any, then flushes the underlying
//   store. The listener hears of every entry written down, except a remove of a window the
//   underlying store did not hold: nothing downstream has seen such a window.
// - Bounded by a CacheBudget shared with the other caches of the thread (or its own
//   `max_bytes`): a write that passes the bound evicts the least recently written entries of this
//   store, written down and reported exactly as by flush(). A bound of 0 writes through.
// - restore_batch() bypasses the cache (dropping cached entries of the windows it restores).
// - close() flushes, then closes the underlying store.
// - A store that retains duplicates (a stream-stream join buffer) is not cached: every
//   operation passes straight through to it (Kafka Streams never caches those either; each
//   put must stay a distinct entry). The runtime does not wrap such stores at all.
// - An error while writing down (underlying store, changelog collector or listener) leaves
//   the entries being written down out of the cache, some written and some not: the task must
//   then be closed without a checkpoint and its state restored from the changelog.
//
// Not thread-safe: owned by one task.
class CachingWindowStore final : public WindowStore, public StoreCache {
 public:
  static constexpr std::size_t kEntryOverhead = internal::DirtyCache::kEntryOverhead;

  // `timestamp` gives the timestamp recorded with each write (may be empty: kNoTimestamp).
  CachingWindowStore(std::unique_ptr<WindowStore> inner, std::size_t max_bytes,
                     TimestampSupplier timestamp = {});
  // Shares `budget` (borrowed; it must outlive the store) with other caches.
  CachingWindowStore(std::unique_ptr<WindowStore> inner, CacheBudget& budget,
                     TimestampSupplier timestamp = {});
  // Gives its bytes back to the budget; does not flush (close() does).
  ~CachingWindowStore() override;

  // Sets (or clears, with null) the borrowed listener told about written-down entries; it
  // must outlive the store or be cleared. With `send_old_values`, each write down first reads
  // the underlying store's current value to report it (one more read per entry; removes read
  // it always).
  void set_flush_listener(WindowCacheFlushListener* listener, bool send_old_values = false);

  // Whether writes are cached (false for a retain-duplicates store, which passes through).
  bool caches() const { return !pass_through_; }
  std::size_t max_bytes() const { return cache_.budget().max_bytes(); }
  std::size_t cached_bytes() const { return cache_.cached_bytes(); }
  std::size_t dirty_entries() const override { return cache_.size(); }
  // Entries written down early because the cache was full.
  std::uint64_t evictions() const { return evictions_; }

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const WindowStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override;
  // The underlying store's drops plus the puts the cache dropped.
  std::uint64_t expired_puts_dropped() const override;
  Status put(BytesView key, BytesView value, Timestamp window_start) override;
  Status remove(BytesView key, Timestamp window_start) override;
  Result<std::optional<Bytes>> fetch(BytesView key, Timestamp window_start) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key, Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key_from, BytesView key_to,
                                                     Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch_all(Timestamp time_from,
                                                         Timestamp time_to) override;
  // flush_cache(), then the underlying store's flush().
  Status flush() override;
  Status flush_cache() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  using Cached = std::vector<std::pair<Bytes, NullableBytes>>;

  std::int64_t segment_of(Timestamp t) const { return t / segment_interval_; }
  Timestamp min_live_time() const {
    return observed_stream_time() - inner_->options().retention_ms + 1;
  }
  Bytes cache_key(BytesView key, Timestamp window_start) const;
  Status write(BytesView key, NullableBytesView value, Timestamp window_start);
  Status write_down(std::vector<internal::DirtyCache::Dirty> dirty);
  // The cached entries (cache keys) of windows starting in [time_from, time_to], segment by
  // segment: in each, from segment | lower, up to segment | upper(the segment's last time) when
  // upper is given, kept when keep(store key) says so.
  Cached cached_between(Timestamp time_from, Timestamp time_to, BytesView lower,
                        const std::function<std::optional<Bytes>(Timestamp)>& upper,
                        const std::function<bool(BytesView)>& keep) const;

  std::unique_ptr<WindowStore> inner_;
  std::unique_ptr<CacheBudget> own_budget_;  // When not given one to share.
  internal::DirtyCache cache_;
  TimestampSupplier timestamp_;
  const bool pass_through_;
  // The underlying store's segment interval: the cache sorts by segment as it iterates.
  const Timestamp segment_interval_;
  WindowCacheFlushListener* listener_ = nullptr;
  bool send_old_values_ = false;
  Timestamp stream_time_ = -1;  // The largest window start put here.
  std::uint64_t expired_puts_dropped_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace runnel::state

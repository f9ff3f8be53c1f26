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
#include "state/session_store.h"
#include "state/store_cache.h"

namespace runnel::state {

// Told about each session a CachingSessionStore writes down to its underlying store. The DSL
// implements it to forward a session aggregation's changes downstream once per commit.
class SessionCacheFlushListener {
 public:
  virtual ~SessionCacheFlushListener() = default;
  // `new_value` null: the session was removed (merged into another). `old_value`: the
  // underlying store's value before this write (null if absent, or if old values were not
  // requested). `timestamp`: that of the record of the entry's last write. An error stops the
  // flush; it is returned by the store operation that flushed.
  [[nodiscard]] virtual Status apply(BytesView key, Window session, NullableBytesView new_value,
                                     NullableBytesView old_value, Timestamp timestamp) = 0;
};

// A SessionStore decorator that holds writes in memory and writes them down at flush() (each
// commit): Kafka Streams' CachingSessionStore. Its contract is CachingWindowStore's, with
// sessions for windows:
//
// - Writes go to the cache, keyed by (time segment of the session end, key, end, start), the
//   order in which the underlying store iterates; every find_sessions and fetch merges a
//   snapshot of the cache with the underlying store's iterator; a cached remove hides the
//   session.
// - Expiry by session end as the underlying store's: stream time is the largest session end
//   put here or seen below; a put to an expired session is dropped and counted in
//   expired_puts_dropped(); reads never return an expired session.
// - flush() writes down least recently written first, all entries before telling the listener,
//   then flushes the underlying store. A removed session that the underlying store never
//   held (made and merged away between two flushes) is written down (its changelog tombstone)
//   but not reported: nothing downstream saw it. Every other remove is reported with the
//   value the underlying store held, so downstream can retract it.
// - Shares a CacheBudget (or has its own max_bytes); eviction of the oldest entries when the
//   budget is passed; a bound of 0 writes through.
// - restore_batch() bypasses the cache; close() flushes then closes the underlying store.
// - An error while writing down leaves the entries being written down out of the cache: the
//   task must be closed without a checkpoint and restored from the changelog.
//
// Not thread-safe: owned by one task.
class CachingSessionStore final : public SessionStore, public StoreCache {
 public:
  static constexpr std::size_t kEntryOverhead = internal::DirtyCache::kEntryOverhead;

  CachingSessionStore(std::unique_ptr<SessionStore> inner, std::size_t max_bytes,
                      TimestampSupplier timestamp = {});
  // Shares `budget` (borrowed; it must outlive the store) with other caches.
  CachingSessionStore(std::unique_ptr<SessionStore> inner, CacheBudget& budget,
                      TimestampSupplier timestamp = {});
  // Gives its bytes back to the budget; does not flush (close() does).
  ~CachingSessionStore() override;

  // Sets (or clears) the borrowed listener; it must outlive the store or be cleared. With
  // `send_old_values`, every write down first reads the underlying store's current value to
  // report it (removes read it always).
  void set_flush_listener(SessionCacheFlushListener* listener, bool send_old_values = false);

  std::size_t max_bytes() const { return cache_.budget().max_bytes(); }
  std::size_t cached_bytes() const { return cache_.cached_bytes(); }
  std::size_t dirty_entries() const override { return cache_.size(); }
  std::uint64_t evictions() const { return evictions_; }

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const SessionStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override;
  std::uint64_t expired_puts_dropped() const override;
  Status put(BytesView key, Window session, BytesView value) override;
  Status remove(BytesView key, Window session) override;
  Result<std::optional<Bytes>> fetch_session(BytesView key, Window session) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> fetch(BytesView key) override;
  // flush_cache(), then the underlying store's flush().
  Status flush() override;
  Status flush_cache() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  using Cached = std::vector<std::pair<Bytes, NullableBytes>>;

  std::int64_t segment_of(Timestamp end) const { return end / segment_interval_; }
  Timestamp min_live_time() const {
    return observed_stream_time() - inner_->options().retention_ms + 1;
  }
  Bytes cache_key(BytesView key, Window session) const;
  Status check_window(Window session) const;
  Status write(BytesView key, Window session, NullableBytesView value);
  Status write_down(std::vector<internal::DirtyCache::Dirty> dirty);
  // The cached sessions with end >= earliest_end, start <= latest_start, from segment |
  // lower up to segment | upper(the segment's last time) in each segment, kept when
  // key_filter(key) says so.
  Cached cached_between(Timestamp earliest_end, Timestamp latest_start, BytesView lower,
                        const std::function<Bytes(Timestamp)>& upper,
                        const std::function<bool(BytesView)>& key_filter) const;
  Result<std::unique_ptr<SessionStoreIterator>> merged(std::unique_ptr<SessionStoreIterator> store,
                                                       Cached cached) const;

  std::unique_ptr<SessionStore> inner_;
  std::unique_ptr<CacheBudget> own_budget_;  // When not given one to share.
  internal::DirtyCache cache_;
  TimestampSupplier timestamp_;
  const Timestamp segment_interval_;
  SessionCacheFlushListener* listener_ = nullptr;
  bool send_old_values_ = false;
  Timestamp stream_time_ = -1;  // The largest session end put here.
  std::uint64_t expired_puts_dropped_ = 0;
  std::uint64_t evictions_ = 0;
};

}  // namespace runnel::state

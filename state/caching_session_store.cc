#include "state/caching_session_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "core/big_endian.h"
#include "state/internal/cache_merge.h"
#include "state/internal/segmented_cache_key.h"
#include "state/internal/segments.h"
#include "state/window_key_schema.h"

namespace runnel::state {

namespace {

using segmented_cache_key::kSegmentPrefixSize;
using segmented_cache_key::segment_prefix;
using segmented_cache_key::store_key_of;

constexpr Timestamp kMaxTime = std::numeric_limits<Timestamp>::max();

Window session_of(BytesView store_key) {
  return Window{session_key::extract_start(store_key), session_key::extract_end(store_key)};
}

// Merges a snapshot of cached sessions (cache keys: segment | session store key) with an
// iterator of the underlying store, which iterates in the same order; the cache wins on equal
// sessions, and a cached remove hides the session.
class MergedSessionIterator final : public SessionStoreIterator {
  // How a cached key orders against the store's current entry (settle_merge's compare);
  // defined first, since the members below use its deduced type.
  auto compare() {
    return [this](BytesView cached_key) { return cached_key <=> store_cache_key(); };
  }

 public:
  MergedSessionIterator(std::vector<std::pair<Bytes, NullableBytes>> cached,
                        std::unique_ptr<SessionStoreIterator> store, Timestamp segment_interval)
      : cursor_(std::move(cached), std::move(store)), segment_interval_(segment_interval) {
    cursor_.settle(compare());
  }

  bool valid() const override { return cursor_.valid(); }
  BytesView key() const override {
    return cursor_.on_cache() ? session_key::extract_key(cached_store_key())
                              : cursor_.store().key();
  }
  Window session() const override {
    return cursor_.on_cache() ? session_of(cached_store_key()) : cursor_.store().session();
  }
  BytesView value() const override { return cursor_.value(); }
  void next() override { cursor_.next(compare()); }
  Status status() const override { return cursor_.status(); }

 private:
  BytesView cached_store_key() const { return store_key_of(cursor_.cached_key()); }

  // The underlying store's current entry as a cache key, for comparison.
  BytesView store_cache_key() {
    const Window session = cursor_.store().session();
    store_key_buffer_ = segment_prefix(session.end_ms / segment_interval_);
    store_key_buffer_.append(
        session_key::to_store_key(cursor_.store().key(), session.start_ms, session.end_ms).view());
    return store_key_buffer_.view();
  }

  internal::MergeCursor<SessionStoreIterator> cursor_;
  const Timestamp segment_interval_;
  Bytes store_key_buffer_;
};

Timestamp resolved_interval(const SessionStoreOptions& options) {
  return options.segment_interval_ms > 0 ? options.segment_interval_ms
                                         : internal::default_segment_interval(options.retention_ms);
}

}  // namespace

CachingSessionStore::CachingSessionStore(std::unique_ptr<SessionStore> inner, std::size_t max_bytes,
                                         TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      own_budget_(std::make_unique<CacheBudget>(max_bytes)),
      cache_(*own_budget_),
      timestamp_(std::move(timestamp)),
      segment_interval_(resolved_interval(inner_->options())) {}

CachingSessionStore::CachingSessionStore(std::unique_ptr<SessionStore> inner, CacheBudget& budget,
                                         TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      cache_(budget),
      timestamp_(std::move(timestamp)),
      segment_interval_(resolved_interval(inner_->options())) {}

CachingSessionStore::~CachingSessionStore() = default;

void CachingSessionStore::set_flush_listener(SessionCacheFlushListener* listener,
                                             bool send_old_values) {
  listener_ = listener;
  send_old_values_ = send_old_values;
}

Timestamp CachingSessionStore::observed_stream_time() const {
  return std::max(stream_time_, inner_->observed_stream_time());
}

std::uint64_t CachingSessionStore::expired_puts_dropped() const {
  return inner_->expired_puts_dropped() + expired_puts_dropped_;
}

Bytes CachingSessionStore::cache_key(BytesView key, Window session) const {
  Bytes out = segment_prefix(segment_of(session.end_ms));
  out.append(session_key::to_store_key(key, session.start_ms, session.end_ms).view());
  return out;
}

Status CachingSessionStore::check_window(Window session) const {
  if (session.start_ms < 0 || session.end_ms < session.start_ms) {
    return invalid_argument_error("session store '" + name() + "': invalid session [" +
                                  std::to_string(session.start_ms) + ", " +
                                  std::to_string(session.end_ms) + "]");
  }
  return Status();
}

Status CachingSessionStore::write(BytesView key, Window session, NullableBytesView value) {
  if (!inner_->is_open()) return store_closed_error(name());
  RUNNEL_RETURN_IF_ERROR(check_window(session));
  if (value) {
    stream_time_ = std::max(stream_time_, session.end_ms);
    if (session.end_ms < min_live_time()) {
      ++expired_puts_dropped_;
      return Status();
    }
  }
  const Timestamp timestamp = timestamp_ ? timestamp_() : kNoTimestamp;
  cache_.write(cache_key(key, session).view(), value ? NullableBytes(Bytes(*value)) : std::nullopt,
               timestamp);
  const std::size_t count = cache_.count_to_evict();
  if (count == 0) return Status();
  evictions_ += count;
  return write_down(cache_.take_oldest(count));
}

Status CachingSessionStore::write_down(std::vector<internal::DirtyCache::Dirty> dirty) {
  if (dirty.empty()) return Status();
  std::vector<NullableBytes> old_values(dirty.size());
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    const internal::DirtyCache::Dirty& entry = dirty[i];
    const BytesView store_key = store_key_of(entry.key.view());
    const BytesView key = session_key::extract_key(store_key);
    const Window session = session_of(store_key);
    if (listener_ != nullptr && (send_old_values_ || !entry.value)) {
      RUNNEL_ASSIGN_OR_RETURN(old_values[i], inner_->fetch_session(key, session));
    }
    if (entry.value) {
      RUNNEL_RETURN_IF_ERROR(inner_->put(key, session, *entry.value));
    } else {
      RUNNEL_RETURN_IF_ERROR(inner_->remove(key, session));
    }
  }
  if (listener_ == nullptr) return Status();
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    const internal::DirtyCache::Dirty& entry = dirty[i];
    if (!entry.value && !old_values[i]) continue;  // made and merged away unseen
    const BytesView store_key = store_key_of(entry.key.view());
    RUNNEL_RETURN_IF_ERROR(listener_->apply(
        session_key::extract_key(store_key), session_of(store_key), view_of(entry.value),
        send_old_values_ || !entry.value ? view_of(old_values[i]) : NullableBytesView(),
        entry.timestamp));
  }
  return Status();
}

Status CachingSessionStore::put(BytesView key, Window session, BytesView value) {
  return write(key, session, value);
}

Status CachingSessionStore::remove(BytesView key, Window session) {
  return write(key, session, std::nullopt);
}

Result<std::optional<Bytes>> CachingSessionStore::fetch_session(BytesView key, Window session) {
  if (!inner_->is_open()) return store_closed_error(name());
  RUNNEL_RETURN_IF_ERROR(check_window(session));
  if (session.end_ms < min_live_time()) return std::optional<Bytes>();
  if (const internal::DirtyCache::Entry* entry = cache_.find(cache_key(key, session).view())) {
    return std::optional<Bytes>(entry->value);
  }
  return inner_->fetch_session(key, session);
}

CachingSessionStore::Cached CachingSessionStore::cached_between(
    Timestamp earliest_end, Timestamp latest_start, BytesView lower,
    const std::function<Bytes(Timestamp)>& upper,
    const std::function<bool(BytesView)>& key_filter) const {
  Cached out;
  const internal::DirtyCache::Map& entries = cache_.entries();
  auto last_time = [this](std::int64_t s) {
    return s >= kMaxTime / segment_interval_ ? kMaxTime : (s + 1) * segment_interval_ - 1;
  };
  auto seek = [&](std::int64_t s) {
    Bytes from = segment_prefix(s);
    from.append(lower);
    return entries.lower_bound(from.view());
  };
  std::int64_t segment = segment_of(std::max<Timestamp>(earliest_end, 0));
  auto it = seek(segment);
  Bytes bound = upper(last_time(segment));
  while (it != entries.end()) {
    const std::int64_t s = segmented_cache_key::segment_of(it->first.view());
    if (s != segment) {
      segment = s;
      bound = upper(last_time(segment));
      it = seek(segment);  // entries before `it` are of earlier segments: never moves back
      continue;
    }
    const BytesView store_key = store_key_of(it->first.view());
    if (store_key > bound.view()) {
      if (segment == std::numeric_limits<std::int64_t>::max()) break;
      it = entries.lower_bound(segment_prefix(segment + 1).view());
      continue;
    }
    if (session_key::extract_end(store_key) >= earliest_end &&
        session_key::extract_start(store_key) <= latest_start &&
        key_filter(session_key::extract_key(store_key))) {
      out.emplace_back(it->first, it->second.value);
    }
    ++it;
  }
  return out;
}

Result<std::unique_ptr<SessionStoreIterator>> CachingSessionStore::merged(
    std::unique_ptr<SessionStoreIterator> store, Cached cached) const {
  return std::unique_ptr<SessionStoreIterator>(std::make_unique<MergedSessionIterator>(
      std::move(cached), std::move(store), segment_interval_));
}

Result<std::unique_ptr<SessionStoreIterator>> CachingSessionStore::find_sessions(
    BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) {
  if (!inner_->is_open()) return store_closed_error(name());
  earliest_session_end = std::max({earliest_session_end, min_live_time(), Timestamp{0}});
  RUNNEL_ASSIGN_OR_RETURN(auto store,
                          inner_->find_sessions(key, earliest_session_end, latest_session_start));
  const Bytes lower = session_key::to_store_key(key, 0, earliest_session_end);
  const Bytes upper = session_key::to_store_key(key, kMaxTime, kMaxTime);
  const Bytes wanted(key);
  Cached cached = cached_between(
      earliest_session_end, latest_session_start, lower.view(), [&](Timestamp) { return upper; },
      [&](BytesView k) { return k == wanted.view(); });
  return merged(std::move(store), std::move(cached));
}

Result<std::unique_ptr<SessionStoreIterator>> CachingSessionStore::find_sessions(
    BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
    Timestamp latest_session_start) {
  if (!inner_->is_open()) return store_closed_error(name());
  earliest_session_end = std::max({earliest_session_end, min_live_time(), Timestamp{0}});
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->find_sessions(key_from, key_to, earliest_session_end,
                                                            latest_session_start));
  Cached cached;
  if (key_from <= key_to) {
    cached = cached_between(
        earliest_session_end, latest_session_start, key_from,
        [&](Timestamp segment_last_time) {
          // A start of -1 writes the all-ones bytes that bound any start.
          return internal::key_range_upper_bound(
              key_to, session_key::to_store_key(BytesView(), -1, segment_last_time));
        },
        [&](BytesView k) { return k >= key_from && k <= key_to; });
  }
  return merged(std::move(store), std::move(cached));
}

Result<std::unique_ptr<SessionStoreIterator>> CachingSessionStore::fetch(BytesView key) {
  return find_sessions(key, 0, kMaxTime);
}

Status CachingSessionStore::flush() {
  RUNNEL_RETURN_IF_ERROR(flush_cache());
  return inner_->flush();
}

Status CachingSessionStore::flush_cache() {
  if (!inner_->is_open()) return store_closed_error(name());
  return write_down(cache_.take_oldest(cache_.size()));
}

Status CachingSessionStore::close() {
  if (!inner_->is_open()) return Status();
  Status flushed = flush();
  Status closed = inner_->close();
  cache_.clear();
  RUNNEL_RETURN_IF_ERROR(flushed);
  return closed;
}

Status CachingSessionStore::restore_batch(std::span<const RestoreRecord> records) {
  for (const RestoreRecord& record : records) {
    if (cache_.size() == 0 || !session_key::is_valid(record.key)) continue;
    const Window session = session_of(record.key);
    if (!check_window(session).ok()) continue;  // the underlying store reports it
    cache_.erase(cache_key(session_key::extract_key(record.key), session).view());
  }
  return inner_->restore_batch(records);
}

}  // namespace runnel::state

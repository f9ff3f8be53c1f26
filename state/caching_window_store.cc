#include "state/caching_window_store.h"

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

constexpr std::uint32_t kMaxSeqnum = std::numeric_limits<std::uint32_t>::max();

// Writes the cache key of a window (segment | window store key) into `out`, reusing its
// buffer: built for every fetch and put of an aggregation, so one allocation at most.
void write_cache_key(Bytes& out, std::int64_t segment, BytesView key, Timestamp window_start) {
  out.clear();
  out.reserve(kSegmentPrefixSize + key.size() + window_key::kSuffixSize);
  out.resize(kSegmentPrefixSize);
  store_big_endian<std::int64_t>(out.data(), segment);
  window_key::append_store_key(out, key, window_start, 0);
}

// Merges a snapshot of cached windows (cache keys: segment | window store key) with an
// iterator of the underlying store, which iterates in the same order; the cache wins on equal
// windows, and a cached remove hides the window.
class MergedWindowIterator final : public WindowStoreIterator {
  // How a cached key orders against the store's current entry (settle_merge's compare);
  // defined first, since the members below use its deduced type.
  auto compare() {
    return [this](BytesView cached_key) { return cached_key <=> store_cache_key(); };
  }

 public:
  MergedWindowIterator(std::vector<std::pair<Bytes, NullableBytes>> cached,
                       std::unique_ptr<WindowStoreIterator> store, Timestamp segment_interval)
      : cursor_(std::move(cached), std::move(store)), segment_interval_(segment_interval) {
    cursor_.settle(compare());
  }

  bool valid() const override { return cursor_.valid(); }
  BytesView key() const override {
    return cursor_.on_cache() ? window_key::extract_key(cached_store_key()) : cursor_.store().key();
  }
  Timestamp window_start() const override {
    return cursor_.on_cache() ? window_key::extract_window_start(cached_store_key())
                              : cursor_.store().window_start();
  }
  BytesView value() const override { return cursor_.value(); }
  void next() override { cursor_.next(compare()); }
  Status status() const override { return cursor_.status(); }

 private:
  BytesView cached_store_key() const { return store_key_of(cursor_.cached_key()); }

  // The underlying store's current entry as a cache key, for comparison.
  BytesView store_cache_key() {
    const Timestamp start = cursor_.store().window_start();
    write_cache_key(store_key_buffer_, start / segment_interval_, cursor_.store().key(), start);
    return store_key_buffer_.view();
  }

  internal::MergeCursor<WindowStoreIterator> cursor_;
  const Timestamp segment_interval_;
  Bytes store_key_buffer_;
};

Timestamp resolved_interval(const WindowStoreOptions& options) {
  return options.segment_interval_ms > 0 ? options.segment_interval_ms
                                         : internal::default_segment_interval(options.retention_ms);
}

Status negative_time_error(const std::string& store, Timestamp t) {
  return invalid_argument_error("window store '" + store + "': negative window start " +
                                std::to_string(t));
}

}  // namespace

CachingWindowStore::CachingWindowStore(std::unique_ptr<WindowStore> inner, std::size_t max_bytes,
                                       TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      own_budget_(std::make_unique<CacheBudget>(max_bytes)),
      cache_(*own_budget_),
      timestamp_(std::move(timestamp)),
      pass_through_(inner_->options().retain_duplicates),
      segment_interval_(resolved_interval(inner_->options())) {}

CachingWindowStore::CachingWindowStore(std::unique_ptr<WindowStore> inner, CacheBudget& budget,
                                       TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      cache_(budget),
      timestamp_(std::move(timestamp)),
      pass_through_(inner_->options().retain_duplicates),
      segment_interval_(resolved_interval(inner_->options())) {}

CachingWindowStore::~CachingWindowStore() = default;

void CachingWindowStore::set_flush_listener(WindowCacheFlushListener* listener,
                                            bool send_old_values) {
  listener_ = listener;
  send_old_values_ = send_old_values;
}

Timestamp CachingWindowStore::observed_stream_time() const {
  return std::max(stream_time_, inner_->observed_stream_time());
}

std::uint64_t CachingWindowStore::expired_puts_dropped() const {
  return inner_->expired_puts_dropped() + expired_puts_dropped_;
}

Bytes CachingWindowStore::cache_key(BytesView key, Timestamp window_start) const {
  Bytes out;
  write_cache_key(out, segment_of(window_start), key, window_start);
  return out;
}

Status CachingWindowStore::write(BytesView key, NullableBytesView value, Timestamp window_start) {
  if (!inner_->is_open()) return store_closed_error(name());
  if (window_start < 0) return negative_time_error(name(), window_start);
  if (value) {
    stream_time_ = std::max(stream_time_, window_start);
    if (window_start < min_live_time()) {
      ++expired_puts_dropped_;
      return Status();
    }
  }
  const Timestamp timestamp = timestamp_ ? timestamp_() : kNoTimestamp;
  cache_.write(cache_key(key, window_start).view(),
               value ? NullableBytes(Bytes(*value)) : std::nullopt, timestamp);
  const std::size_t count = cache_.count_to_evict();
  if (count == 0) return Status();
  evictions_ += count;
  return write_down(cache_.take_oldest(count));
}

Status CachingWindowStore::write_down(std::vector<internal::DirtyCache::Dirty> dirty) {
  if (dirty.empty()) return Status();
  std::vector<NullableBytes> old_values(dirty.size());
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    const internal::DirtyCache::Dirty& entry = dirty[i];
    const BytesView store_key = store_key_of(entry.key.view());
    const BytesView key = window_key::extract_key(store_key);
    const Timestamp start = window_key::extract_window_start(store_key);
    if (listener_ != nullptr && (send_old_values_ || !entry.value)) {
      RUNNEL_ASSIGN_OR_RETURN(old_values[i], inner_->fetch(key, start));
    }
    if (entry.value) {
      RUNNEL_RETURN_IF_ERROR(inner_->put(key, *entry.value, start));
    } else {
      RUNNEL_RETURN_IF_ERROR(inner_->remove(key, start));
    }
  }
  if (listener_ == nullptr) return Status();
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    const internal::DirtyCache::Dirty& entry = dirty[i];
    if (!entry.value && !old_values[i]) continue;  // removed before anything saw it
    const BytesView store_key = store_key_of(entry.key.view());
    RUNNEL_RETURN_IF_ERROR(listener_->apply(
        window_key::extract_key(store_key), window_key::extract_window_start(store_key),
        view_of(entry.value),
        send_old_values_ || !entry.value ? view_of(old_values[i]) : NullableBytesView(),
        entry.timestamp));
  }
  return Status();
}

Status CachingWindowStore::put(BytesView key, BytesView value, Timestamp window_start) {
  if (pass_through_) return inner_->put(key, value, window_start);
  return write(key, value, window_start);
}

Status CachingWindowStore::remove(BytesView key, Timestamp window_start) {
  if (pass_through_) return inner_->remove(key, window_start);
  return write(key, std::nullopt, window_start);
}

Result<std::optional<Bytes>> CachingWindowStore::fetch(BytesView key, Timestamp window_start) {
  if (pass_through_) return inner_->fetch(key, window_start);
  if (!inner_->is_open()) return store_closed_error(name());
  if (window_start < 0 || window_start < min_live_time()) return std::optional<Bytes>();
  if (const internal::DirtyCache::Entry* entry = cache_.find(cache_key(key, window_start).view())) {
    return std::optional<Bytes>(entry->value);
  }
  return inner_->fetch(key, window_start);
}

CachingWindowStore::Cached CachingWindowStore::cached_between(
    Timestamp time_from, Timestamp time_to, BytesView lower,
    const std::function<std::optional<Bytes>(Timestamp)>& upper,
    const std::function<bool(BytesView)>& keep) const {
  Cached out;
  if (time_from > time_to) return out;
  const internal::DirtyCache::Map& entries = cache_.entries();
  const std::int64_t last_segment = segment_of(time_to);
  std::int64_t segment = segment_of(time_from);
  // Visits only the segments the cache holds: after one, jumps to the next present one.
  auto seek = [&](std::int64_t s) {
    Bytes from = segment_prefix(s);
    from.append(lower);
    return entries.lower_bound(from.view());
  };
  auto last_time = [this](std::int64_t s) { return (s + 1) * segment_interval_ - 1; };
  auto it = seek(segment);
  std::optional<Bytes> bound = upper(last_time(segment));
  while (it != entries.end()) {
    const std::int64_t s = segmented_cache_key::segment_of(it->first.view());
    if (s > last_segment) break;
    if (s != segment) {
      segment = s;
      bound = upper(last_time(segment));
      // Entries before `it` are of earlier segments, so this never moves back.
      it = seek(segment);
      continue;
    }
    if (bound && store_key_of(it->first.view()) > bound->view()) {
      if (segment == std::numeric_limits<std::int64_t>::max()) break;
      it = entries.lower_bound(segment_prefix(segment + 1).view());
      continue;
    }
    if (keep(store_key_of(it->first.view()))) out.emplace_back(it->first, it->second.value);
    ++it;
  }
  return out;
}

Result<std::unique_ptr<WindowStoreIterator>> CachingWindowStore::fetch(BytesView key,
                                                                       Timestamp time_from,
                                                                       Timestamp time_to) {
  if (pass_through_) return inner_->fetch(key, time_from, time_to);
  if (!inner_->is_open()) return store_closed_error(name());
  time_from = std::max({time_from, min_live_time(), Timestamp{0}});
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->fetch(key, time_from, time_to));
  const Bytes lower = window_key::to_store_key(key, time_from, 0);
  const Bytes wanted(key);
  Cached cached = cached_between(
      time_from, time_to, lower.view(),
      [&](Timestamp) {
        return std::optional<Bytes>(window_key::to_store_key(key, time_to, kMaxSeqnum));
      },
      [&](BytesView store_key) {
        const Timestamp t = window_key::extract_window_start(store_key);
        return t >= time_from && t <= time_to &&
               window_key::extract_key(store_key) == wanted.view();
      });
  return std::unique_ptr<WindowStoreIterator>(std::make_unique<MergedWindowIterator>(
      std::move(cached), std::move(store), segment_interval_));
}

Result<std::unique_ptr<WindowStoreIterator>> CachingWindowStore::fetch(BytesView key_from,
                                                                       BytesView key_to,
                                                                       Timestamp time_from,
                                                                       Timestamp time_to) {
  if (pass_through_) return inner_->fetch(key_from, key_to, time_from, time_to);
  if (!inner_->is_open()) return store_closed_error(name());
  time_from = std::max({time_from, min_live_time(), Timestamp{0}});
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->fetch(key_from, key_to, time_from, time_to));
  Cached cached;
  if (key_from <= key_to) {
    cached = cached_between(
        time_from, time_to, key_from,
        [&](Timestamp segment_last_time) {
          return std::optional<Bytes>(internal::key_range_upper_bound(
              key_to, window_key::to_store_key(
                          BytesView(), std::max<Timestamp>(std::min(time_to, segment_last_time), 0),
                          kMaxSeqnum)));
        },
        [&](BytesView store_key) {
          const Timestamp t = window_key::extract_window_start(store_key);
          const BytesView k = window_key::extract_key(store_key);
          return t >= time_from && t <= time_to && k >= key_from && k <= key_to;
        });
  }
  return std::unique_ptr<WindowStoreIterator>(std::make_unique<MergedWindowIterator>(
      std::move(cached), std::move(store), segment_interval_));
}

Result<std::unique_ptr<WindowStoreIterator>> CachingWindowStore::fetch_all(Timestamp time_from,
                                                                           Timestamp time_to) {
  if (pass_through_) return inner_->fetch_all(time_from, time_to);
  if (!inner_->is_open()) return store_closed_error(name());
  time_from = std::max({time_from, min_live_time(), Timestamp{0}});
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->fetch_all(time_from, time_to));
  Cached cached = cached_between(
      time_from, time_to, BytesView(), [](Timestamp) { return std::optional<Bytes>(); },
      [&](BytesView store_key) {
        const Timestamp t = window_key::extract_window_start(store_key);
        return t >= time_from && t <= time_to;
      });
  return std::unique_ptr<WindowStoreIterator>(std::make_unique<MergedWindowIterator>(
      std::move(cached), std::move(store), segment_interval_));
}

Status CachingWindowStore::flush() {
  RUNNEL_RETURN_IF_ERROR(flush_cache());
  return inner_->flush();
}

Status CachingWindowStore::flush_cache() {
  if (pass_through_) return Status();
  if (!inner_->is_open()) return store_closed_error(name());
  return write_down(cache_.take_oldest(cache_.size()));
}

Status CachingWindowStore::close() {
  if (!inner_->is_open()) return Status();
  Status flushed = flush();
  Status closed = inner_->close();
  cache_.clear();
  RUNNEL_RETURN_IF_ERROR(flushed);
  return closed;
}

Status CachingWindowStore::restore_batch(std::span<const RestoreRecord> records) {
  for (const RestoreRecord& record : records) {
    if (pass_through_ || cache_.size() == 0 || !window_key::is_valid(record.key)) continue;
    const Timestamp start = window_key::extract_window_start(record.key);
    if (start < 0) continue;  // the underlying store reports it
    cache_.erase(cache_key(window_key::extract_key(record.key), start).view());
  }
  return inner_->restore_batch(records);
}

}  // namespace runnel::state

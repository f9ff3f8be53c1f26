#include "state/caching_key_value_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "state/internal/cache_merge.h"

namespace runnel::state {

namespace {

// Merges a snapshot of cache entries with an underlying store iterator, in one direction;
// the cache wins on equal keys, and a cached delete hides the key.
class MergedIterator final : public KeyValueIterator {
  // How a cached key orders against the store's current entry (settle_merge's compare);
  // defined first, since the members below use its deduced type.
  auto compare() {
    return [this](BytesView cached_key) {
      const auto order = cached_key <=> cursor_.store().key();
      return reverse_ ? 0 <=> order : order;
    };
  }

 public:
  MergedIterator(std::vector<std::pair<Bytes, NullableBytes>> cached,
                 std::unique_ptr<KeyValueIterator> store, bool reverse)
      : cursor_(reversed_if(std::move(cached), reverse), std::move(store)), reverse_(reverse) {
    cursor_.settle(compare());
  }

  bool valid() const override { return cursor_.valid(); }
  BytesView key() const override {
    return cursor_.on_cache() ? cursor_.cached_key() : cursor_.store().key();
  }
  BytesView value() const override { return cursor_.value(); }
  void next() override { cursor_.next(compare()); }
  Status status() const override { return cursor_.status(); }

 private:
  static std::vector<std::pair<Bytes, NullableBytes>> reversed_if(
      std::vector<std::pair<Bytes, NullableBytes>> cached, bool reverse) {
    if (reverse) std::reverse(cached.begin(), cached.end());
    return cached;
  }

  internal::MergeCursor<KeyValueIterator> cursor_;
  const bool reverse_;
};

}  // namespace

CachingKeyValueStore::CachingKeyValueStore(std::unique_ptr<KeyValueStore> inner,
                                           std::size_t max_bytes, TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      own_budget_(std::make_unique<CacheBudget>(max_bytes)),
      budget_(own_budget_.get()),
      timestamp_(std::move(timestamp)),
      cache_(*budget_, internal::DirtyCache::Requeue::kKeep) {}

CachingKeyValueStore::CachingKeyValueStore(std::unique_ptr<KeyValueStore> inner,
                                           CacheBudget& budget, TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      budget_(&budget),
      timestamp_(std::move(timestamp)),
      cache_(budget, internal::DirtyCache::Requeue::kKeep) {}

// The cache gives its bytes back to the budget as it goes.
CachingKeyValueStore::~CachingKeyValueStore() = default;

void CachingKeyValueStore::set_flush_listener(CacheFlushListener* listener, bool send_old_values) {
  listener_ = listener;
  send_old_values_ = send_old_values;
}

Result<std::optional<Bytes>> CachingKeyValueStore::get(BytesView key) {
  if (!inner_->is_open()) return store_closed_error(name());
  if (const internal::DirtyCache::Entry* cached = cache_.find(key)) {
    return std::optional<Bytes>(cached->value);
  }
  return inner_->get(key);
}

Status CachingKeyValueStore::write(BytesView key, NullableBytesView value) {
  if (!inner_->is_open()) return store_closed_error(name());
  const Timestamp timestamp = timestamp_ ? timestamp_() : kNoTimestamp;
  cache_.write(key, value ? NullableBytes(Bytes(*value)) : std::nullopt, timestamp);
  return evict_while_full();
}

Status CachingKeyValueStore::evict_while_full() {
  // Evict in one batch: this store's oldest entries until the budget fits again.
  const std::size_t count = cache_.count_to_evict();
  if (count == 0) return Status();
  evictions_ += count;
  return write_down(cache_.take_oldest(count));
}

Status CachingKeyValueStore::write_down(std::vector<Dirty> dirty) {
  if (dirty.empty()) return Status();
  const bool want_old = listener_ != nullptr && send_old_values_;
  std::vector<NullableBytes> old_values(dirty.size());
  if (want_old) {
    for (std::size_t i = 0; i < dirty.size(); ++i) {
      RUNNEL_ASSIGN_OR_RETURN(old_values[i], inner_->get(dirty[i].key));
    }
  }
  // Each run of puts goes down in one put_all (one RocksDB write batch instead of a write
  // per key), in order: the changelog gets the entries in order of first write.
  constexpr std::size_t kDeleted = static_cast<std::size_t>(-1);
  std::vector<KeyValue> puts;
  puts.reserve(dirty.size());
  std::vector<std::size_t> put_index(dirty.size(), kDeleted);  // Into puts.
  std::size_t run_start = 0;  // The first put not yet written down.
  auto write_run = [&]() -> Status {
    if (run_start == puts.size()) return Status();
    Status s = inner_->put_all(std::span<const KeyValue>(puts).subspan(run_start));
    run_start = puts.size();
    return s;
  };
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    Dirty& entry = dirty[i];
    if (entry.value) {
      put_index[i] = puts.size();
      puts.push_back(KeyValue{std::move(entry.key), std::move(*entry.value)});
    } else {
      RUNNEL_RETURN_IF_ERROR(write_run());
      RUNNEL_RETURN_IF_ERROR(inner_->delete_key(entry.key).status());
    }
  }
  RUNNEL_RETURN_IF_ERROR(write_run());
  if (listener_ == nullptr) return Status();
  for (std::size_t i = 0; i < dirty.size(); ++i) {
    const bool deleted = put_index[i] == kDeleted;
    const BytesView key = deleted ? dirty[i].key.view() : puts[put_index[i]].key.view();
    const NullableBytesView value =
        deleted ? NullableBytesView() : NullableBytesView(puts[put_index[i]].value.view());
    RUNNEL_RETURN_IF_ERROR(
        listener_->apply(key, value, view_of(old_values[i]), dirty[i].timestamp));
  }
  return Status();
}

Status CachingKeyValueStore::put(BytesView key, BytesView value) { return write(key, value); }

Status CachingKeyValueStore::put_all(std::span<const KeyValue> entries) {
  for (const KeyValue& entry : entries)
    RUNNEL_RETURN_IF_ERROR(write(entry.key, entry.value.view()));
  return Status();
}

Result<std::optional<Bytes>> CachingKeyValueStore::put_if_absent(BytesView key, BytesView value) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> existing, get(key));
  if (existing) return existing;
  RUNNEL_RETURN_IF_ERROR(write(key, value));
  return std::optional<Bytes>();
}

Result<std::optional<Bytes>> CachingKeyValueStore::delete_key(BytesView key) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, get(key));
  RUNNEL_RETURN_IF_ERROR(write(key, std::nullopt));
  return old;
}

std::vector<std::pair<Bytes, NullableBytes>> CachingKeyValueStore::cached_between(
    BytesView from, BytesView to, bool prefix, bool everything) const {
  std::vector<std::pair<Bytes, NullableBytes>> out;
  const internal::DirtyCache::Map& entries = cache_.entries();
  auto it = everything ? entries.begin() : entries.lower_bound(from);
  for (; it != entries.end(); ++it) {
    if (!everything) {
      if (prefix && !internal::has_prefix(it->first, from)) break;
      if (!prefix && it->first.view() > to) break;
    }
    out.emplace_back(it->first, it->second.value);
  }
  return out;
}

Result<std::unique_ptr<KeyValueIterator>> CachingKeyValueStore::range(BytesView from,
                                                                      BytesView to) {
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->range(from, to));
  auto cached = from <= to ? cached_between(from, to, false, false)
                           : std::vector<std::pair<Bytes, NullableBytes>>();
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<MergedIterator>(std::move(cached), std::move(store), false));
}

Result<std::unique_ptr<KeyValueIterator>> CachingKeyValueStore::reverse_range(BytesView from,
                                                                              BytesView to) {
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->reverse_range(from, to));
  auto cached = from <= to ? cached_between(from, to, false, false)
                           : std::vector<std::pair<Bytes, NullableBytes>>();
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<MergedIterator>(std::move(cached), std::move(store), true));
}

Result<std::unique_ptr<KeyValueIterator>> CachingKeyValueStore::prefix_scan(BytesView prefix) {
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->prefix_scan(prefix));
  return std::unique_ptr<KeyValueIterator>(std::make_unique<MergedIterator>(
      cached_between(prefix, BytesView(), true, false), std::move(store), false));
}

Result<std::unique_ptr<KeyValueIterator>> CachingKeyValueStore::all() {
  RUNNEL_ASSIGN_OR_RETURN(auto store, inner_->all());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<MergedIterator>(
      cached_between(BytesView(), BytesView(), false, true), std::move(store), false));
}

Result<std::uint64_t> CachingKeyValueStore::approximate_num_entries() {
  RUNNEL_ASSIGN_OR_RETURN(std::uint64_t count, inner_->approximate_num_entries());
  return count + cache_.size();
}

Status CachingKeyValueStore::flush() {
  RUNNEL_RETURN_IF_ERROR(flush_cache());
  return inner_->flush();
}

Status CachingKeyValueStore::flush_cache() {
  if (!inner_->is_open()) return store_closed_error(name());
  return write_down(cache_.take_oldest(cache_.size()));
}

Status CachingKeyValueStore::close() {
  if (!inner_->is_open()) return Status();
  Status flushed = flush();
  Status closed = inner_->close();
  cache_.clear();
  RUNNEL_RETURN_IF_ERROR(flushed);
  return closed;
}

Status CachingKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  for (const RestoreRecord& record : records) cache_.erase(record.key);
  return inner_->restore_batch(records);
}

}  // namespace runnel::state

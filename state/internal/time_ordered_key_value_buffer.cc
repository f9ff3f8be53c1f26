#include "state/internal/time_ordered_key_value_buffer.h"

#include <memory>
#include <vector>

namespace runnel::state::internal {

namespace {

constexpr std::size_t kTimeBytes = 8;

void append_time(Bytes& out, Timestamp t) {
  std::uint8_t b[kTimeBytes];
  auto v = static_cast<std::uint64_t>(t);
  for (int i = kTimeBytes - 1; i >= 0; --i) {
    b[i] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  out.append(BytesView(b, kTimeBytes));
}

Timestamp read_time(BytesView data) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < kTimeBytes; ++i) v = (v << 8) | data.data()[i];
  return static_cast<Timestamp>(v);
}

Status short_entry_error(const KeyValueStore& store) {
  return corruption_error("time-ordered buffer " + store.name() +
                          ": an entry shorter than its 8-byte time");
}

}  // namespace

TimeOrderedKeyValueBuffer::TimeOrderedKeyValueBuffer(KeyValueStore& store, bool track_bytes,
                                                     bool index_keys)
    : store_(store), track_bytes_(track_bytes), index_keys_(index_keys) {}

Status TimeOrderedKeyValueBuffer::load() {
  if (loaded_) return ok_status();
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<KeyValueIterator> it, store_.all());
  for (; it->valid(); it->next()) {
    if (it->key().size() < kTimeBytes || it->value().size() < kTimeBytes) {
      return short_entry_error(store_);
    }
    const Timestamp time = read_time(it->key());
    times_.insert(time);
    bytes_ += it->key().size() + it->value().size();
    if (index_keys_) {
      index_[std::string(
          it->key().subview(kTimeBytes, it->key().size() - kTimeBytes).as_string_view())] = time;
    }
  }
  RUNNEL_RETURN_IF_ERROR(it->status());
  loaded_ = true;
  return ok_status();
}

void TimeOrderedKeyValueBuffer::set_key(Timestamp time, BytesView key) {
  key_buffer_.clear();
  append_time(key_buffer_, time);
  key_buffer_.append(key);
}

Status TimeOrderedKeyValueBuffer::put(Timestamp time, BytesView key, Timestamp record_timestamp,
                                      BytesView value) {
  RUNNEL_RETURN_IF_ERROR(load());
  set_key(time, key);
  value_buffer_.clear();
  append_time(value_buffer_, record_timestamp);
  value_buffer_.append(value);
  if (track_bytes_) {
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, store_.get(key_buffer_.view()));
    if (old) bytes_ -= key_buffer_.size() + old->size();
  }
  RUNNEL_RETURN_IF_ERROR(store_.put(key_buffer_.view(), value_buffer_.view()));
  bytes_ += key_buffer_.size() + value_buffer_.size();
  times_.insert(time);
  if (index_keys_) index_[std::string(key.as_string_view())] = time;
  return ok_status();
}

Status TimeOrderedKeyValueBuffer::remove(Timestamp time, BytesView key) {
  RUNNEL_RETURN_IF_ERROR(load());
  set_key(time, key);
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, store_.delete_key(key_buffer_.view()));
  if (old) bytes_ -= key_buffer_.size() + old->size();
  if (index_keys_ && old) {
    auto it = index_.find(key.as_string_view());
    if (it != index_.end() && it->second == time) index_.erase(it);
  }
  return ok_status();
}

Status TimeOrderedKeyValueBuffer::erase(BytesView stored_key, std::size_t stored_size) {
  RUNNEL_RETURN_IF_ERROR(store_.delete_key(stored_key).status());
  bytes_ -= stored_size;
  if (index_keys_) {
    // Heterogeneous erase is C++23: find, then erase the iterator.
    auto it = index_.find(
        stored_key.subview(kTimeBytes, stored_key.size() - kTimeBytes).as_string_view());
    if (it != index_.end()) index_.erase(it);
  }
  return ok_status();
}

Status TimeOrderedKeyValueBuffer::evict_until(Timestamp limit, const EmitFn& emit) {
  RUNNEL_RETURN_IF_ERROR(load());
  Bytes prefix;
  while (!times_.empty() && *times_.begin() <= limit) {
    const Timestamp time = *times_.begin();
    prefix.clear();
    append_time(prefix, time);
    // The prefix's entries only: an in-memory store copies just these.
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<KeyValueIterator> it,
                            store_.prefix_scan(prefix.view()));
    for (; it->valid(); it->next()) {
      const BytesView k = it->key();
      const BytesView v = it->value();
      if (v.size() < kTimeBytes) return short_entry_error(store_);
      RUNNEL_RETURN_IF_ERROR(
          emit(Entry{time, k.subview(kTimeBytes, k.size() - kTimeBytes), read_time(v),
                     v.subview(kTimeBytes, v.size() - kTimeBytes)}));
      // The iterator is a snapshot: deleting behind it is safe.
      RUNNEL_RETURN_IF_ERROR(erase(k, k.size() + v.size()));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    times_.erase(times_.begin());
  }
  return ok_status();
}

Status TimeOrderedKeyValueBuffer::evict_while(const MoreFn& more, const EmitFn& emit) {
  RUNNEL_RETURN_IF_ERROR(load());
  Bytes prefix;
  while (!times_.empty()) {
    const Timestamp time = *times_.begin();
    prefix.clear();
    append_time(prefix, time);
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<KeyValueIterator> it,
                            store_.prefix_scan(prefix.view()));
    for (; it->valid(); it->next()) {
      RUNNEL_ASSIGN_OR_RETURN(bool go_on, more());
      // The time stays in times_: entries of it may be left.
      if (!go_on) return ok_status();
      const BytesView k = it->key();
      const BytesView v = it->value();
      if (v.size() < kTimeBytes) return short_entry_error(store_);
      RUNNEL_RETURN_IF_ERROR(
          emit(Entry{time, k.subview(kTimeBytes, k.size() - kTimeBytes), read_time(v),
                     v.subview(kTimeBytes, v.size() - kTimeBytes)}));
      RUNNEL_RETURN_IF_ERROR(erase(k, k.size() + v.size()));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    times_.erase(times_.begin());
  }
  return ok_status();
}

Result<std::optional<TimeOrderedKeyValueBuffer::Found>> TimeOrderedKeyValueBuffer::find(
    BytesView key) {
  if (!index_keys_) {
    return invalid_argument_error("time-ordered buffer " + store_.name() +
                                  ": find needs a buffer that indexes its keys");
  }
  RUNNEL_RETURN_IF_ERROR(load());
  auto at = index_.find(key.as_string_view());
  if (at == index_.end()) return std::optional<Found>();
  set_key(at->second, key);
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> stored, store_.get(key_buffer_.view()));
  if (!stored) {
    return corruption_error("time-ordered buffer " + store_.name() +
                            ": a key's indexed entry is not in the store");
  }
  if (stored->size() < kTimeBytes) return short_entry_error(store_);
  const BytesView v = stored->view();
  return std::optional<Found>(
      Found{at->second, read_time(v), Bytes(v.subview(kTimeBytes, v.size() - kTimeBytes))});
}

Result<std::optional<Timestamp>> TimeOrderedKeyValueBuffer::min_time() {
  RUNNEL_RETURN_IF_ERROR(load());
  if (times_.empty()) return std::optional<Timestamp>();
  return std::optional<Timestamp>(*times_.begin());
}

Result<std::uint64_t> TimeOrderedKeyValueBuffer::num_records() {
  RUNNEL_RETURN_IF_ERROR(load());
  return store_.approximate_num_entries();
}

Result<std::uint64_t> TimeOrderedKeyValueBuffer::num_bytes() {
  RUNNEL_RETURN_IF_ERROR(load());
  return track_bytes_ ? bytes_ : 0;
}

}  // namespace runnel::state::internal

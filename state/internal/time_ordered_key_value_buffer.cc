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

TimeOrderedKeyValueBuffer::TimeOrderedKeyValueBuffer(KeyValueStore& store, bool track_bytes)
    : store_(store), track_bytes_(track_bytes) {}

Status TimeOrderedKeyValueBuffer::load() {
  if (loaded_) return ok_status();
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<KeyValueIterator> it, store_.all());
  for (; it->valid(); it->next()) {
    if (it->key().size() < kTimeBytes || it->value().size() < kTimeBytes) {
      return short_entry_error(store_);
    }
    times_.insert(read_time(it->key()));
    bytes_ += it->key().size() + it->value().size();
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
  return ok_status();
}

Status TimeOrderedKeyValueBuffer::remove(Timestamp time, BytesView key) {
  RUNNEL_RETURN_IF_ERROR(load());
  set_key(time, key);
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, store_.delete_key(key_buffer_.view()));
  if (old) bytes_ -= key_buffer_.size() + old->size();
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
      RUNNEL_RETURN_IF_ERROR(store_.delete_key(k).status());
      bytes_ -= k.size() + v.size();
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    times_.erase(times_.begin());
  }
  return ok_status();
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

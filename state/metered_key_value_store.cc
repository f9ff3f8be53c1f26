#include "state/metered_key_value_store.h"

#include <utility>

namespace runnel::state {

using internal::timed;

MeteredKeyValueStore::MeteredKeyValueStore(std::unique_ptr<KeyValueStore> inner)
    : inner_(std::move(inner)) {}

KeyValueStoreMetrics MeteredKeyValueStore::metrics() const {
  return KeyValueStoreMetrics{get_.snapshot(),
                              put_.snapshot(),
                              put_all_.snapshot(),
                              put_if_absent_.snapshot(),
                              delete_.snapshot(),
                              range_.snapshot(),
                              prefix_scan_.snapshot(),
                              all_.snapshot(),
                              flush_.snapshot(),
                              restore_.snapshot(),
                              restored_records_.load(std::memory_order_relaxed)};
}

Result<std::optional<Bytes>> MeteredKeyValueStore::get(BytesView key) {
  return timed(get_, [&] { return inner_->get(key); });
}

Status MeteredKeyValueStore::put(BytesView key, BytesView value) {
  return timed(put_, [&] { return inner_->put(key, value); });
}

Status MeteredKeyValueStore::put_all(std::span<const KeyValue> entries) {
  return timed(put_all_, [&] { return inner_->put_all(entries); });
}

Result<std::optional<Bytes>> MeteredKeyValueStore::put_if_absent(BytesView key, BytesView value) {
  return timed(put_if_absent_, [&] { return inner_->put_if_absent(key, value); });
}

Result<std::optional<Bytes>> MeteredKeyValueStore::delete_key(BytesView key) {
  return timed(delete_, [&] { return inner_->delete_key(key); });
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::range(BytesView from,
                                                                      BytesView to) {
  return timed(range_, [&] { return inner_->range(from, to); });
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::reverse_range(BytesView from,
                                                                              BytesView to) {
  return timed(range_, [&] { return inner_->reverse_range(from, to); });
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::prefix_scan(BytesView prefix) {
  return timed(prefix_scan_, [&] { return inner_->prefix_scan(prefix); });
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::all() {
  return timed(all_, [&] { return inner_->all(); });
}

Status MeteredKeyValueStore::flush() {
  return timed(flush_, [&] { return inner_->flush(); });
}

Status MeteredKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  Status status = timed(restore_, [&] { return inner_->restore_batch(records); });
  if (status.ok()) {
    internal::add(restored_records_, records.size());
  }
  return status;
}

}  // namespace runnel::state

#include "state/metered_window_store.h"

namespace runnel::state {

using internal::timed;

WindowStoreMetrics MeteredWindowStore::metrics() const {
  return WindowStoreMetrics{put_.snapshot(),
                            remove_.snapshot(),
                            fetch_.snapshot(),
                            fetch_range_.snapshot(),
                            fetch_all_.snapshot(),
                            flush_.snapshot(),
                            restore_.snapshot(),
                            restored_records_.load(std::memory_order_relaxed),
                            expired_puts_dropped_.load(std::memory_order_relaxed)};
}

Status MeteredWindowStore::put(BytesView key, BytesView value, Timestamp window_start) {
  Status status = timed(put_, [&] { return inner_->put(key, value, window_start); });
  expired_puts_dropped_.store(inner_->expired_puts_dropped(), std::memory_order_relaxed);
  return status;
}

Status MeteredWindowStore::remove(BytesView key, Timestamp window_start) {
  return timed(remove_, [&] { return inner_->remove(key, window_start); });
}

Result<std::optional<Bytes>> MeteredWindowStore::fetch(BytesView key, Timestamp window_start) {
  return timed(fetch_, [&] { return inner_->fetch(key, window_start); });
}

Result<std::unique_ptr<WindowStoreIterator>> MeteredWindowStore::fetch(BytesView key,
                                                                       Timestamp time_from,
                                                                       Timestamp time_to) {
  return timed(fetch_, [&] { return inner_->fetch(key, time_from, time_to); });
}

Result<std::unique_ptr<WindowStoreIterator>> MeteredWindowStore::fetch(BytesView key_from,
                                                                       BytesView key_to,
                                                                       Timestamp time_from,
                                                                       Timestamp time_to) {
  return timed(fetch_range_, [&] { return inner_->fetch(key_from, key_to, time_from, time_to); });
}

Result<std::unique_ptr<WindowStoreIterator>> MeteredWindowStore::fetch_all(Timestamp time_from,
                                                                           Timestamp time_to) {
  return timed(fetch_all_, [&] { return inner_->fetch_all(time_from, time_to); });
}

Status MeteredWindowStore::flush() {
  return timed(flush_, [&] { return inner_->flush(); });
}

Status MeteredWindowStore::restore_batch(std::span<const RestoreRecord> records) {
  Status status = timed(restore_, [&] { return inner_->restore_batch(records); });
  if (status.ok()) internal::add(restored_records_, records.size());
  return status;
}

}  // namespace runnel::state

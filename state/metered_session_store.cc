#include "state/metered_session_store.h"

namespace runnel::state {

using internal::timed;

SessionStoreMetrics MeteredSessionStore::metrics() const {
  return SessionStoreMetrics{put_.snapshot(),
                             remove_.snapshot(),
                             fetch_session_.snapshot(),
                             find_sessions_.snapshot(),
                             flush_.snapshot(),
                             restore_.snapshot(),
                             restored_records_.load(std::memory_order_relaxed),
                             expired_puts_dropped_.load(std::memory_order_relaxed)};
}

Status MeteredSessionStore::put(BytesView key, Window session, BytesView value) {
  Status status = timed(put_, [&] { return inner_->put(key, session, value); });
  expired_puts_dropped_.store(inner_->expired_puts_dropped(), std::memory_order_relaxed);
  return status;
}

Status MeteredSessionStore::remove(BytesView key, Window session) {
  return timed(remove_, [&] { return inner_->remove(key, session); });
}

Result<std::optional<Bytes>> MeteredSessionStore::fetch_session(BytesView key, Window session) {
  return timed(fetch_session_, [&] { return inner_->fetch_session(key, session); });
}

Result<std::unique_ptr<SessionStoreIterator>> MeteredSessionStore::find_sessions(
    BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) {
  return timed(find_sessions_, [&] {
    return inner_->find_sessions(key, earliest_session_end, latest_session_start);
  });
}

Result<std::unique_ptr<SessionStoreIterator>> MeteredSessionStore::find_sessions(
    BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
    Timestamp latest_session_start) {
  return timed(find_sessions_, [&] {
    return inner_->find_sessions(key_from, key_to, earliest_session_end, latest_session_start);
  });
}

Result<std::unique_ptr<SessionStoreIterator>> MeteredSessionStore::fetch(BytesView key) {
  return timed(find_sessions_, [&] { return inner_->fetch(key); });
}

Status MeteredSessionStore::flush() {
  return timed(flush_, [&] { return inner_->flush(); });
}

Status MeteredSessionStore::restore_batch(std::span<const RestoreRecord> records) {
  Status status = timed(restore_, [&] { return inner_->restore_batch(records); });
  if (status.ok()) internal::add(restored_records_, records.size());
  return status;
}

}  // namespace runnel::state

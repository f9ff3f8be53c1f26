#pragma once

#include <memory>
#include <string>

#include "state/changelog_collector.h"
#include "state/session_store.h"

namespace runnel::state {

// A SessionStore decorator that sends every put and remove to the changelog, keyed by the
// session store key (key | end | start); a remove is a tombstone. Restoring bypasses the changelog.
// Not thread-safe.
class ChangeLoggingSessionStore final : public SessionStore {
 public:
  ChangeLoggingSessionStore(std::unique_ptr<SessionStore> inner, TopicPartition changelog,
                            ChangelogCollector& collector, TimestampSupplier timestamp);

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const SessionStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override { return inner_->observed_stream_time(); }
  std::uint64_t expired_puts_dropped() const override { return inner_->expired_puts_dropped(); }
  Status put(BytesView key, Window session, BytesView value) override;
  Status remove(BytesView key, Window session) override;
  Result<std::optional<Bytes>> fetch_session(BytesView key, Window session) override {
    return inner_->fetch_session(key, session);
  }
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) override {
    return inner_->find_sessions(key, earliest_session_end, latest_session_start);
  }
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) override {
    return inner_->find_sessions(key_from, key_to, earliest_session_end, latest_session_start);
  }
  Result<std::unique_ptr<SessionStoreIterator>> fetch(BytesView key) override {
    return inner_->fetch(key);
  }
  Status flush() override { return inner_->flush(); }
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override {
    return inner_->restore_batch(records);
  }

 private:
  Status log(BytesView store_key, NullableBytesView value);

  std::unique_ptr<SessionStore> inner_;
  const TopicPartition changelog_;
  ChangelogCollector& collector_;
  TimestampSupplier timestamp_;
};

}  // namespace runnel::state

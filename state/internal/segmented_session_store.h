#pragma once

#include <functional>
#include <memory>
#include <string>

#include "state/internal/segments.h"
#include "state/session_store.h"

namespace runnel::state::internal {

// The one SessionStore implementation: segments by session end, each a KeyValueStore holding
// session store keys (window_key_schema.h). options.segment_interval_ms must be resolved.
class SegmentedSessionStore final : public SessionStore {
 public:
  SegmentedSessionStore(std::string name, SessionStoreOptions options,
                        std::unique_ptr<SegmentFactory> factory);
  ~SegmentedSessionStore() override;

  // Reopens the segments a previous run left and recovers stream time from the newest one.
  // Called once, before any other method.
  [[nodiscard]] Status open_existing();

  const std::string& name() const override { return name_; }
  bool is_open() const override { return open_; }
  const SessionStoreOptions& options() const override { return options_; }
  Timestamp observed_stream_time() const override { return stream_time_; }
  std::uint64_t expired_puts_dropped() const override { return expired_puts_dropped_; }

  Status put(BytesView key, Window session, BytesView value) override;
  Status remove(BytesView key, Window session) override;
  Result<std::optional<Bytes>> fetch_session(BytesView key, Window session) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> fetch(BytesView key) override;
  Status flush() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  [[nodiscard]] Status observe(Timestamp end);
  bool expired(Timestamp end) const { return end < segments_.min_live_time(stream_time_); }
  Status check_window(Window session) const;
  // Reads [from, to(segment's last end time)] of every live segment, keeping what the filters
  // accept.
  Result<std::unique_ptr<SessionStoreIterator>> scan(BytesView from,
                                                     const std::function<Bytes(Timestamp)>& to,
                                                     Timestamp earliest_end, Timestamp latest_start,
                                                     std::function<bool(BytesView)> key_filter);

  const std::string name_;
  const SessionStoreOptions options_;
  Segments segments_;
  bool open_ = true;
  Timestamp stream_time_ = -1;
  std::uint64_t expired_puts_dropped_ = 0;
};

}  // namespace runnel::state::internal

#pragma once

#include <memory>
#include <string>

#include "state/internal/segments.h"
#include "state/window_store.h"

namespace runnel::state::internal {

// The one WindowStore implementation: time segments, each a KeyValueStore (in-memory or
// RocksDB, chosen by the factory), holding window store keys (window_key_schema.h).
// options.segment_interval_ms must be resolved (non-zero) by the caller.
class SegmentedWindowStore final : public WindowStore {
 public:
  SegmentedWindowStore(std::string name, WindowStoreOptions options,
                       std::unique_ptr<SegmentFactory> factory);
  ~SegmentedWindowStore() override;

  const std::string& name() const override { return name_; }
  bool is_open() const override { return open_; }
  const WindowStoreOptions& options() const override { return options_; }
  Timestamp observed_stream_time() const override { return stream_time_; }
  std::uint64_t expired_puts_dropped() const override { return expired_puts_dropped_; }

  Status put(BytesView key, BytesView value, Timestamp window_start) override;
  Status remove(BytesView key, Timestamp window_start) override;
  Result<std::optional<Bytes>> fetch(BytesView key, Timestamp window_start) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key, Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key_from, BytesView key_to,
                                                     Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch_all(Timestamp time_from,
                                                         Timestamp time_to) override;
  Status flush() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

  // Reopens the segments a previous run left and recovers stream time (and the next seqnum)
  // from the newest one. Called once, before any other method.
  [[nodiscard]] Status open_existing();

 private:
  // Advances stream time to `t` if later, dropping segments that expire as a result.
  [[nodiscard]] Status observe(Timestamp t);
  bool expired(Timestamp t) const { return t < segments_.min_live_time(stream_time_); }
  // Which part of a segment a scan reads: everything, or [from, to(segment's last time)].
  struct ScanRange {
    bool whole = false;
    Bytes from;
    std::function<Bytes(Timestamp segment_last_time)> to;
  };
  Result<std::unique_ptr<WindowStoreIterator>> scan(const ScanRange& range, Timestamp time_from,
                                                    Timestamp time_to,
                                                    std::function<bool(BytesView)> key_filter);

  const std::string name_;
  const WindowStoreOptions options_;
  Segments segments_;
  bool open_ = true;
  Timestamp stream_time_ = -1;
  std::uint32_t seqnum_ = 0;
  std::uint64_t expired_puts_dropped_ = 0;
};

}  // namespace runnel::state::internal

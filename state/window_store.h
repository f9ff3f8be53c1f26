#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "state/key_value_store.h"

namespace runnel::state {

struct WindowStoreOptions {
  // How long a window is kept after stream time passes its start: windows starting before
  // stream time - retention_ms + 1 are expired (not returned, puts to them dropped). For a
  // windowed aggregation: at least window size + grace.
  Timestamp retention_ms = 24 * 60 * 60 * 1000;
  // The size of the windows, reported as Window::end_ms = start + size by iterators.
  Timestamp window_size_ms = 0;
  // Keep every put of the same (key, window start) instead of overwriting (stream-stream
  // joins buffer records this way); such stores cannot remove().
  bool retain_duplicates = false;
  // Time span of one segment; 0 means Kafka Streams' default, max(retention / 2, 60 s).
  // Segments are the unit of expiry: a whole segment is dropped at once when all of its
  // windows have expired, which is cheap (a directory deleted, no per-key deletes).
  Timestamp segment_interval_ms = 0;
};

// A cursor over window store entries. Snapshot semantics as KeyValueIterator's: it reads the
// segments as they were when it was created; later writes do not disturb it, and segments
// that expire meanwhile are kept (not deleted) until it is destroyed. Views stay valid until
// next(). Not thread-safe.
class WindowStoreIterator {
 public:
  virtual ~WindowStoreIterator() = default;
  virtual bool valid() const = 0;
  virtual BytesView key() const = 0;
  virtual Timestamp window_start() const = 0;
  virtual BytesView value() const = 0;
  virtual void next() = 0;
  virtual Status status() const = 0;
};

// A store of values per (key, window start), segmented by time so that expired windows are
// dropped a segment at a time (Kafka Streams' WindowStore). Stream time is the largest window
// start put (or restored) so far. Key layout: window_key_schema.h.
//
// Implementations: make_in_memory_window_store and open_rocksdb_window_store (stores.h), the
// same segmented store over in-memory or RocksDB segments. Not thread-safe: owned by one task.
class WindowStore {
 public:
  virtual ~WindowStore() = default;

  virtual const std::string& name() const = 0;
  virtual bool is_open() const = 0;
  virtual const WindowStoreOptions& options() const = 0;
  // The largest window start seen, or -1 before any.
  virtual Timestamp observed_stream_time() const = 0;
  // Puts dropped because their window had already expired.
  virtual std::uint64_t expired_puts_dropped() const = 0;

  // Sets the value of (key, window_start); a retain-duplicates store adds one more entry.
  // A window that has expired is not written (OK is returned, and expired_puts_dropped
  // counts it). May advance stream time and drop expired segments. InvalidArgument for a
  // negative window_start.
  [[nodiscard]] virtual Status put(BytesView key, BytesView value, Timestamp window_start) = 0;
  // Removes (key, window_start). InvalidArgument on a retain-duplicates store.
  [[nodiscard]] virtual Status remove(BytesView key, Timestamp window_start) = 0;
  // The value of (key, window_start), or nullopt (absent or expired). For a
  // retain-duplicates store, the first one put.
  [[nodiscard]] virtual Result<std::optional<Bytes>> fetch(BytesView key,
                                                           Timestamp window_start) = 0;

  // The windows of `key` whose start lies in [time_from, time_to], in time order.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key,
                                                                           Timestamp time_from,
                                                                           Timestamp time_to) = 0;
  // The windows of keys in [key_from, key_to] whose start lies in [time_from, time_to],
  // ordered by segment, then by store key bytes: key, then window start, except that a key
  // that is a prefix of another may interleave with it (window_key_schema.h). Not globally by
  // time.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key_from,
                                                                           BytesView key_to,
                                                                           Timestamp time_from,
                                                                           Timestamp time_to) = 0;
  // Every window whose start lies in [time_from, time_to], ordered as the key-range fetch.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowStoreIterator>> fetch_all(
      Timestamp time_from, Timestamp time_to) = 0;

  [[nodiscard]] virtual Status flush() = 0;
  [[nodiscard]] virtual Status close() = 0;

  // Applies changelog records whose keys are window store keys (window_key_schema.h), in
  // order; a null value removes. Bypasses change-logging. Corruption if a key is too short
  // to hold the window suffix.
  [[nodiscard]] virtual Status restore_batch(std::span<const RestoreRecord> records) = 0;
};

}  // namespace runnel::state

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
#include "state/windowed.h"

namespace runnel::state {

struct SessionStoreOptions {
  // Sessions ending before stream time - retention_ms + 1 are expired. For a session
  // aggregation: at least inactivity gap + grace.
  Timestamp retention_ms = 24 * 60 * 60 * 1000;
  // Time span of one segment (by session end); 0 means max(retention / 2, 60 s).
  Timestamp segment_interval_ms = 0;
};

// A cursor over sessions. Snapshot semantics as KeyValueIterator's. Not thread-safe.
class SessionStoreIterator {
 public:
  virtual ~SessionStoreIterator() = default;
  virtual bool valid() const = 0;
  virtual BytesView key() const = 0;
  virtual Window session() const = 0;
  virtual BytesView value() const = 0;
  virtual void next() = 0;
  virtual Status status() const = 0;
};

// A store of session aggregates per (key, session window) (Kafka Streams' SessionStore),
// segmented by session end so that expired sessions are dropped a segment at a time. Stream
// time is the largest session end put or restored so far. Key layout: window_key_schema.h.
//
// A session aggregation uses it thus: for a record of key k at time t with inactivity gap g,
// find_sessions(k, t - g, t + g) returns the sessions to merge with; the merged session is
// put and the merged-away ones removed.
//
// Implementations: make_in_memory_session_store and open_rocksdb_session_store (stores.h).
// Not thread-safe: owned by one task.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual const std::string& name() const = 0;
  virtual bool is_open() const = 0;
  virtual const SessionStoreOptions& options() const = 0;
  // The largest session end seen, or -1 before any.
  virtual Timestamp observed_stream_time() const = 0;
  virtual std::uint64_t expired_puts_dropped() const = 0;

  // Sets the aggregate of `key`'s session. An expired session is not written (OK).
  // InvalidArgument unless 0 <= start <= end.
  [[nodiscard]] virtual Status put(BytesView key, Window session, BytesView value) = 0;
  [[nodiscard]] virtual Status remove(BytesView key, Window session) = 0;
  // The aggregate of exactly this session, or nullopt.
  [[nodiscard]] virtual Result<std::optional<Bytes>> fetch_session(BytesView key,
                                                                   Window session) = 0;

  // The sessions of `key` with end >= earliest_session_end and start <= latest_session_start,
  // i.e. those overlapping [earliest_session_end, latest_session_start]; ordered by session
  // end, then start.
  [[nodiscard]] virtual Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) = 0;
  // The same for keys in [key_from, key_to]; ordered by segment, then by store key bytes
  // (key, end, start; keys that are prefixes of others may interleave with them).
  [[nodiscard]] virtual Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) = 0;
  // Every live session of `key`, ordered by end then start.
  [[nodiscard]] virtual Result<std::unique_ptr<SessionStoreIterator>> fetch(BytesView key) = 0;

  [[nodiscard]] virtual Status flush() = 0;
  [[nodiscard]] virtual Status close() = 0;

  // Applies changelog records whose keys are session store keys (window_key_schema.h); a null
  // value removes. Bypasses change-logging. Corruption for a key too short for the suffix.
  [[nodiscard]] virtual Status restore_batch(std::span<const RestoreRecord> records) = 0;
};

}  // namespace runnel::state

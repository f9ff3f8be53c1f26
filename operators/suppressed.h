#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace runnel {

// How big a suppression buffer may grow and what happens when it would grow past that (Kafka
// Streams' Suppressed.BufferConfig). Two kinds, as in Kafka, so that the compiler refuses a
// combination that cannot keep its promise:
// - StrictBufferConfig: when full, the task fails (shut_down_when_full) and never emits a
//   result early; unbounded() is strict too. The only kind until_window_closes takes, since
//   an early "final" result would be a lie.
// - EagerBufferConfig: when full, the earliest buffered records are emitted early
//   (emit_early_when_full), which keeps running at the cost of more than one result per key
//   within a time limit. Only until_time_limit takes it. It is what BufferConfig::max_records /
//   max_bytes return, so that a bound handed to until_window_closes must say
//   .shut_down_when_full(), as in Kafka.
// The bound counts the buffer's records (max_records) and the bytes of their stored keys and
// values (max_bytes); either may be unbounded.
struct StrictBufferConfig;

struct EagerBufferConfig {
  std::int64_t max_records = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_bytes = std::numeric_limits<std::int64_t>::max();

  EagerBufferConfig with_max_records(std::int64_t records) const {
    EagerBufferConfig c = *this;
    c.max_records = records;
    return c;
  }
  EagerBufferConfig with_max_bytes(std::int64_t bytes) const {
    EagerBufferConfig c = *this;
    c.max_bytes = bytes;
    return c;
  }
  // The same bounds; when full, the task fails instead.
  StrictBufferConfig shut_down_when_full() const;
  EagerBufferConfig emit_early_when_full() const { return *this; }
};

struct StrictBufferConfig {
  std::int64_t max_records = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_bytes = std::numeric_limits<std::int64_t>::max();

  StrictBufferConfig with_max_records(std::int64_t records) const {
    StrictBufferConfig c = *this;
    c.max_records = records;
    return c;
  }
  StrictBufferConfig with_max_bytes(std::int64_t bytes) const {
    StrictBufferConfig c = *this;
    c.max_bytes = bytes;
    return c;
  }
  // No bound at all: the buffer grows with the records it must hold (memory is the limit).
  StrictBufferConfig with_no_bound() const { return StrictBufferConfig{}; }
  StrictBufferConfig shut_down_when_full() const { return *this; }
  // The same bounds; when full, the earliest records are emitted early instead.
  EagerBufferConfig emit_early_when_full() const {
    return EagerBufferConfig{max_records, max_bytes};
  }
};

inline StrictBufferConfig EagerBufferConfig::shut_down_when_full() const {
  return StrictBufferConfig{max_records, max_bytes};
}

// The factories, as Kafka's BufferConfig.maxRecords / maxBytes / unbounded. A bound made by
// max_records or max_bytes emits early when full unless .shut_down_when_full() says otherwise.
struct BufferConfig {
  static EagerBufferConfig max_records(std::int64_t records) {
    return EagerBufferConfig{}.with_max_records(records);
  }
  static EagerBufferConfig max_bytes(std::int64_t bytes) {
    return EagerBufferConfig{}.with_max_bytes(bytes);
  }
  static StrictBufferConfig unbounded() { return StrictBufferConfig{}; }
};

// When a suppressed KTable forwards (KTable::suppress), and the name of its processor and
// buffer store.
struct Suppressed {
  // Only the final result of each window, once the window has closed: stream time has passed
  // the last moment a record could still change it (window end + grace; for session windows
  // end + inactivity gap + grace, as a later record within the gap would extend the session).
  // Until then each window's latest value waits in an in-memory buffer, change-logged and
  // rebuilt from its changelog on restart. `buffer` bounds it; when the bound is passed the
  // task fails with an error naming the store and the bound. Windowed tables only (suppress
  // records a topology error otherwise).
  static Suppressed until_window_closes(StrictBufferConfig buffer = BufferConfig::unbounded()) {
    Suppressed s;
    s.max_records = buffer.max_records;
    s.max_bytes = buffer.max_bytes;
    return s;
  }

  // Rate limiting (Kafka's Suppressed.untilTimeLimit), for any table, windowed or not: a key's
  // update waits, and later updates of the key replace it, until the stream time suppress has
  // observed (the largest timestamp of the records it received) reaches the timestamp of the
  // key's first update since its last output + time_to_wait_for_more_events; then the key's
  // latest value (a tombstone included) goes out, with the latest update's timestamp, and the
  // key's next update starts a new wait. So a key gets at most one output per time limit
  // while its buffer has room; a time limit of 0 forwards every update at once.
  //
  // When the buffer would pass its bound: with an EagerBufferConfig (BufferConfig::max_records
  // / max_bytes) the earliest buffered keys go out early until it is within its bound again,
  // so a key may then get more than one output within a time limit; with a
  // StrictBufferConfig (unbounded(), or .shut_down_when_full()) the task fails with an error
  // naming the store and the bound.
  //
  // The output's old value is the one downstream saw last: the old value of the key's first
  // buffered update (Kafka forwards the latest update's old value instead, a value that itself
  // was suppressed). A join reading the suppressed table reads the upstream table's latest
  // value, not the suppressed one (as until_window_closes). A waiting key costs memory for
  // its key twice (the store and an index by key) and its new and prior values; max_bytes
  // counts the stored part (keys, values and 17 bytes of times and flags, plus 4 when both
  // values are there).
  static Suppressed until_time_limit(std::chrono::milliseconds time_to_wait_for_more_events,
                                     EagerBufferConfig buffer) {
    Suppressed s;
    s.time_limit_ms = time_to_wait_for_more_events.count();
    s.max_records = buffer.max_records;
    s.max_bytes = buffer.max_bytes;
    s.emit_early_when_full = true;
    return s;
  }
  static Suppressed until_time_limit(std::chrono::milliseconds time_to_wait_for_more_events,
                                     StrictBufferConfig buffer) {
    Suppressed s;
    s.time_limit_ms = time_to_wait_for_more_events.count();
    s.max_records = buffer.max_records;
    s.max_bytes = buffer.max_bytes;
    return s;
  }

  // Names the suppress processor `name` and its buffer store `<name>-store` (changelog
  // `<application.id>-<name>-store-changelog`), as Kafka's Suppressed.withName. Without it the
  // processor is KTABLE-SUPPRESS-<n> (or KTable::suppress's Named) and the store
  // KTABLE-SUPPRESS-STATE-STORE-<n>. A stable name keeps the changelog (and so the buffer
  // across a restart) when other operators are added before it.
  Suppressed with_name(std::string suppress_name) const {
    Suppressed s = *this;
    s.name = std::move(suppress_name);
    return s;
  }

  // The buffer's bound, from the BufferConfig.
  std::int64_t max_records = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_bytes = std::numeric_limits<std::int64_t>::max();
  // until_time_limit's wait; nullopt: until_window_closes.
  std::optional<std::int64_t> time_limit_ms;
  // When full: emit the earliest records early (an EagerBufferConfig) or fail the task.
  bool emit_early_when_full = false;
  // with_name's; empty: generated.
  std::string name;
};

}  // namespace runnel

#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace runnel {

// How big a suppression buffer may grow and what happens when it would grow past that (Kafka
// Streams' Suppressed.BufferConfig). Two kinds, as in Kafka, so that the compiler refuses a
// combination that cannot keep its promise:
// - StrictBufferConfig: when full, the task fails (shut_down_when_full) and never emits a
//   result early; unbounded() is strict too. The only kind until_window_closes takes, since
//   an early "final" result would be a lie.
// - EagerBufferConfig: when full, the earliest buffered records are emitted early
//   (emit_early_when_full), which keeps running at the cost of more than one result per key.
//   Kafka takes it in Suppressed.untilTimeLimit, which Runnel does not have yet; here it is
//   what BufferConfig::max_records / max_bytes return, so that a bound handed to
//   until_window_closes must say .shut_down_when_full(), as in Kafka.
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

// When a suppressed KTable forwards (KTable::suppress).
struct Suppressed {
  // Only the final result of each window, once the window has closed: stream time has passed
  // the last moment a record could still change it (window end + grace; for session windows
  // end + inactivity gap + grace, as a later record within the gap would extend the session).
  // Until then each window's latest value waits in an in-memory buffer, change-logged to
  // KTABLE-SUPPRESS-STATE-STORE-<n>-changelog and rebuilt from it on restart. `buffer` bounds
  // it; when the bound is passed the task fails with an error naming the store and the bound.
  static Suppressed until_window_closes(StrictBufferConfig buffer = BufferConfig::unbounded()) {
    Suppressed s;
    s.max_records = buffer.max_records;
    s.max_bytes = buffer.max_bytes;
    return s;
  }

  // The buffer's bound, from the BufferConfig.
  std::int64_t max_records = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_bytes = std::numeric_limits<std::int64_t>::max();
};

}  // namespace runnel

#pragma once

namespace runnel {

// When a windowed aggregation sends its results downstream (Kafka Streams' EmitStrategy,
// KIP-825). Taken by TimeWindowedKStream::emit_strategy (tumbling and hopping windows) and
// SlidingWindowedKStream::emit_strategy (sliding windows). SessionWindowedKStream does not take
// it yet (Kafka Streams does): use suppress(until_window_closes) on a session aggregation.
//
// - on_window_update() (the default): every update of a window's aggregate is a change of the
//   windowed table, forwarded at once, or once per commit when the store caches.
// - on_window_close(): nothing is forwarded while a window is open; once stream time - grace
//   passes a window's end, the window's final aggregate is forwarded once (new value, no old
//   value), in order of window end. A time window [start, end) closes once stream time -
//   grace >= end; a sliding window [start, end] includes its end and closes once stream time
//   - grace > end. The same output as suppress(until_window_closes) without a separate
//   suppress buffer: the window store is the buffer (never cached), and a second, logged
//   key-value store, <store>-emit-position (cached: one changelog record per commit), keeps
//   how far emission got, so that a restarted task neither repeats nor skips a window.
//   Records for closed windows are dropped as late, as always.
class EmitStrategy {
 public:
  enum class Kind { kOnWindowUpdate, kOnWindowClose };

  static EmitStrategy on_window_update() { return EmitStrategy(Kind::kOnWindowUpdate); }
  static EmitStrategy on_window_close() { return EmitStrategy(Kind::kOnWindowClose); }

  Kind kind() const { return kind_; }

 private:
  explicit EmitStrategy(Kind kind) : kind_(kind) {}
  Kind kind_;
};

}  // namespace runnel

#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "state/windowed.h"

namespace runnel {

// A window of a windowed aggregation, and a key with its window: the key type of windowed
// KTables. [start_ms, end_ms) for TimeWindows; both ends included for SessionWindows and
// SlidingWindows.
using Window = state::Window;
template <typename K>
using Windowed = state::Windowed<K>;

// Fixed-size windows by record timestamp (Kafka Streams' TimeWindows): tumbling when the
// advance equals the size (the default), hopping when it is smaller. A record at t belongs to
// every window with start <= t < start + size, starts being multiples of the advance (from
// epoch 0). Grace: how long after a window's end (by stream time) records for it are still
// accepted; later ones are dropped and counted as late. Default grace 0.
struct TimeWindows {
  std::int64_t size_ms = 0;
  std::int64_t advance_ms = 0;
  std::int64_t grace_ms = 0;

  static TimeWindows of_size(std::chrono::milliseconds size) {
    return TimeWindows{size.count(), size.count(), 0};
  }
  TimeWindows advance_by(std::chrono::milliseconds advance) const {
    TimeWindows w = *this;
    w.advance_ms = advance.count();
    return w;
  }
  TimeWindows grace(std::chrono::milliseconds grace) const {
    TimeWindows w = *this;
    w.grace_ms = grace.count();
    return w;
  }
  // InvalidArgument unless 0 < advance <= size and grace >= 0.
  Status validate() const {
    if (size_ms <= 0 || advance_ms <= 0 || advance_ms > size_ms || grace_ms < 0) {
      return invalid_argument_error(
          "TimeWindows: need 0 < advance <= size and grace >= 0, got size " +
          std::to_string(size_ms) + " ms, advance " + std::to_string(advance_ms) + " ms, grace " +
          std::to_string(grace_ms) + " ms");
    }
    return ok_status();
  }
  // The windows a record at `timestamp` belongs to, earliest first (Kafka's windowsFor).
  std::vector<Window> windows_for(Timestamp timestamp) const {
    std::vector<Window> out;
    Timestamp start =
        std::max<Timestamp>(0, timestamp - size_ms + advance_ms) / advance_ms * advance_ms;
    for (; start <= timestamp; start += advance_ms) out.push_back(Window{start, start + size_ms});
    return out;
  }
};

// Sliding windows (Kafka Streams' SlidingWindows, KIP-450): windows of a fixed time
// difference whose bounds follow the records rather than the epoch. A window [start, end] has
// end - start == time difference and, unlike TimeWindows, includes both ends: two records are
// in a common window when their timestamps differ by at most the time difference.
//
// Windows are made by records, per key: a record at t has a left window [t - diff, t] (for an
// early record, t < diff, the window [0, diff] instead: windows never start before 0) and,
// once a later record falls in (t, t + diff + 1], a right window [t + 1, t + 1 + diff]. A
// record is added to every window of its key that covers it. So every distinct set of
// records that fit in one time difference gets exactly one window, and a window never is
// empty. For example, with a difference of 5000 ms, records at 8000, 9200 and 12400 make
// [3000,8000] {8000}, [4200,9200] {8000,9200}, [7400,12400] {all three}, [8001,13001]
// {9200,12400} and [9201,14201] {12400}.
//
// Grace: a window is closed once stream time - grace > its end; a record is dropped and
// counted as late for each closed window it would have updated or created, and dropped once,
// counted once, when even its right window would be closed (t + diff + 1 <= stream time -
// grace). No default grace: say it (of_time_difference_and_grace) or that there is none.
struct SlidingWindows {
  std::int64_t time_difference_ms = 0;
  std::int64_t grace_ms = 0;

  static SlidingWindows of_time_difference_and_grace(std::chrono::milliseconds time_difference,
                                                     std::chrono::milliseconds grace) {
    return SlidingWindows{time_difference.count(), grace.count()};
  }
  static SlidingWindows of_time_difference_without_grace(
      std::chrono::milliseconds time_difference) {
    return SlidingWindows{time_difference.count(), 0};
  }
  // InvalidArgument unless time difference >= 0 and grace >= 0. A difference of 0 puts
  // records together only when their timestamps are equal, as in Kafka Streams.
  Status validate() const {
    if (time_difference_ms < 0 || grace_ms < 0) {
      return invalid_argument_error(
          "SlidingWindows: need time difference >= 0 and grace >= 0, got time difference " +
          std::to_string(time_difference_ms) + " ms, grace " + std::to_string(grace_ms) + " ms");
    }
    return ok_status();
  }
};

// Session windows (Kafka Streams' SessionWindows): per key, records closer than the
// inactivity gap belong to one session [first timestamp, last timestamp]; a record that
// bridges two sessions merges them. Grace as for TimeWindows, measured from the session end.
struct SessionWindows {
  std::int64_t gap_ms = 0;
  std::int64_t grace_ms = 0;

  static SessionWindows with_inactivity_gap(std::chrono::milliseconds gap) {
    return SessionWindows{gap.count(), 0};
  }
  SessionWindows grace(std::chrono::milliseconds grace) const {
    SessionWindows w = *this;
    w.grace_ms = grace.count();
    return w;
  }
  Status validate() const {
    if (gap_ms <= 0 || grace_ms < 0) {
      return invalid_argument_error("SessionWindows: need gap > 0 and grace >= 0");
    }
    return ok_status();
  }
};

namespace internal {

inline void append_big_endian(Bytes& out, std::int64_t v) {
  std::uint8_t b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<std::uint8_t>(v & 0xff);
    v = static_cast<std::int64_t>(static_cast<std::uint64_t>(v) >> 8);
  }
  out.append(BytesView(b, 8));
}

inline std::int64_t read_big_endian(BytesView data, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | data.data()[at + i];
  return static_cast<std::int64_t>(v);
}

}  // namespace internal

// The serde of Windowed<K> keys of time windows, as Kafka's TimeWindowedSerde: the key's
// bytes then the window start (8 bytes, big-endian); the end is start + window size. Sliding
// windows' keys use it too, with the time difference as the size.
template <typename K>
class TimeWindowedSerde final : public Serde<Windowed<K>> {
 public:
  TimeWindowedSerde(std::shared_ptr<const Serde<K>> inner, std::int64_t window_size_ms)
      : inner_(std::move(inner)), size_ms_(window_size_ms) {}
  std::string_view name() const override { return "TimeWindowedSerde"; }
  Status serialize_to(const Windowed<K>& value, Bytes& out) const override {
    RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(value.key, out));
    internal::append_big_endian(out, value.window.start_ms);
    return ok_status();
  }
  Result<Windowed<K>> deserialize(BytesView data) const override {
    if (data.size() < 8) return corruption_error("time-windowed key shorter than 8 bytes");
    const std::int64_t start = internal::read_big_endian(data, data.size() - 8);
    RUNNEL_ASSIGN_OR_RETURN(K key, inner_->deserialize(BytesView(data.data(), data.size() - 8)));
    return Windowed<K>{std::move(key), Window{start, start + size_ms_}};
  }

 private:
  std::shared_ptr<const Serde<K>> inner_;
  std::int64_t size_ms_;
};

// The serde of Windowed<K> keys of session windows, as Kafka's SessionWindowedSerde: the
// key's bytes, then the session end and start (8 bytes each, big-endian).
template <typename K>
class SessionWindowedSerde final : public Serde<Windowed<K>> {
 public:
  explicit SessionWindowedSerde(std::shared_ptr<const Serde<K>> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return "SessionWindowedSerde"; }
  Status serialize_to(const Windowed<K>& value, Bytes& out) const override {
    RUNNEL_RETURN_IF_ERROR(inner_->serialize_to(value.key, out));
    internal::append_big_endian(out, value.window.end_ms);
    internal::append_big_endian(out, value.window.start_ms);
    return ok_status();
  }
  Result<Windowed<K>> deserialize(BytesView data) const override {
    if (data.size() < 16) return corruption_error("session-windowed key shorter than 16 bytes");
    const std::int64_t end = internal::read_big_endian(data, data.size() - 16);
    const std::int64_t start = internal::read_big_endian(data, data.size() - 8);
    RUNNEL_ASSIGN_OR_RETURN(K key, inner_->deserialize(BytesView(data.data(), data.size() - 16)));
    return Windowed<K>{std::move(key), Window{start, end}};
  }

 private:
  std::shared_ptr<const Serde<K>> inner_;
};

}  // namespace runnel

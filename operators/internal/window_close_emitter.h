#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "operators/internal/task_context.h"
#include "operators/windows.h"
#include "state/key_value_store.h"

// What the windowed aggregations share when they emit on window close
// (EmitStrategy::on_window_close): how far emission got, kept in a key-value store, and the
// order closed windows go out in.

namespace runnel::internal {

// The close time (stream time - grace) a windowed aggregation emitting on window close has
// forwarded its closed windows up to, kept in the aggregation's position store (declared by
// the DSL as <store>-emit-position, logged when the window store is) under the processor's
// name. Each aggregation decides which windows a close time has closed; the position only
// says that every window closed by it has gone downstream. A restarted task reads it back,
// so that it neither repeats windows emitted before the restart nor skips any: a window not
// yet emitted is still in the window store, whose retention outlasts it.
//
// Owned by the processor node; the store is the task's, valid from init to close.
class WindowCloseEmitter {
 public:
  // Before the first emission.
  static constexpr Timestamp kNeverEmitted = std::numeric_limits<Timestamp>::min();

  // Disabled (emitting on window update) when `position_store` is empty.
  explicit WindowCloseEmitter(std::string position_store = {})
      : position_store_name_(std::move(position_store)) {}

  bool enabled() const { return !position_store_name_.empty(); }

  [[nodiscard]] Status init(TaskContext& context, const std::string& node) {
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(node, position_store_name_));
    if (s.key_value == nullptr) {
      return invalid_argument_error("emit position store " + position_store_name_ +
                                    " is not a key-value store");
    }
    store_ = s.key_value;
    key_ = Bytes::from_string(node);
    // Read at the first emission: stores are restored after init.
    emitted_up_to_.reset();
    return ok_status();
  }

  // When `close_time` is past the close time emitted up to (U, kNeverEmitted at first),
  // calls emit(U, close_time), which forwards the windows closed by close_time and not by U
  // and returns whether it did so: false means that no window can have closed in between,
  // and the position stays at U, saving the store a write. Call it before a record's own
  // writes to the window store: they may expire windows that close now, and a record
  // cannot change a closed window anyway.
  template <typename Emit>
  [[nodiscard]] Status emit_closed(Timestamp close_time, Emit&& emit) {
    if (!emitted_up_to_) {
      RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> stored, store_->get(key_.view()));
      if (stored && stored->size() != 8) {
        return corruption_error("emit position in " + position_store_name_ + " is not 8 bytes");
      }
      emitted_up_to_ = stored ? read_big_endian(stored->view(), 0) : kNeverEmitted;
    }
    if (close_time <= *emitted_up_to_) return ok_status();
    RUNNEL_ASSIGN_OR_RETURN(bool emitted, emit(*emitted_up_to_, close_time));
    if (!emitted) return ok_status();
    emitted_up_to_ = close_time;
    position_.clear();
    append_big_endian(position_, close_time);
    return store_->put(key_.view(), position_.view());
  }

 private:
  std::string position_store_name_;  // Empty when disabled.
  state::KeyValueStore* store_ = nullptr;
  Bytes key_;  // The processor's name.
  std::optional<Timestamp> emitted_up_to_;
  Bytes position_;  // Reused for the 8-byte value.
};

// The windows an aggregation emitting on window close has written and not yet emitted, by
// window start, then windowed key bytes (key bytes and big-endian start, as TimeWindowedSerde
// writes them and suppress orders them): an index of keys only, the values stay in the window
// store. For windows that can end at any millisecond (sliding windows): a window store orders
// its entries by key, so reading back the windows that closed in the last millisecond or two
// would scan every segment they can be in at every record. Not persisted: after a restart, the
// aggregation fills it again from one scan of its store (set semantics make the scan and the
// puts that came before it meet without duplicates). Owned by the processor node.
class PendingWindows {
 public:
  bool loaded() const { return loaded_; }
  void set_loaded() { loaded_ = true; }

  void add(Timestamp start, BytesView key_bytes) {
    std::string windowed(key_bytes.as_string_view());
    windowed.resize(windowed.size() + 8);
    for (int i = 0; i < 8; ++i) {
      windowed[windowed.size() - 1 - i] =
          static_cast<char>(static_cast<std::uint64_t>(start) >> (8 * i));
    }
    windows_.emplace(start, std::move(windowed));
  }

  // Forgets the windows starting before first_start (emitted before: a task that restarted
  // with its stream time behind may write them again), and calls emit(start, key_bytes) for
  // those starting in [first_start, last_start], in order, forgetting each once emitted.
  template <typename Emit>
  [[nodiscard]] Status take(Timestamp first_start, Timestamp last_start, Emit&& emit) {
    while (!windows_.empty() && windows_.begin()->first <= last_start) {
      auto it = windows_.begin();
      if (it->first >= first_start) {
        const std::string& windowed = it->second;
        RUNNEL_RETURN_IF_ERROR(emit(it->first, BytesView(windowed.data(), windowed.size() - 8)));
      }
      windows_.erase(it);
    }
    return ok_status();
  }

  std::size_t size() const { return windows_.size(); }

 private:
  std::set<std::pair<Timestamp, std::string>> windows_;
  bool loaded_ = false;
};

// Puts closed windows, as a window store's fetch_all returns them (by segment, then key
// bytes), in the order they are emitted: by window end, windows ending together in key-byte
// order (a segment holds every window of one start).
template <typename K, typename V>
void sort_by_window_end(std::vector<std::pair<Windowed<K>, V>>& windows) {
  std::stable_sort(windows.begin(), windows.end(), [](const auto& a, const auto& b) {
    return a.first.window.end_ms < b.first.window.end_ms;
  });
}

}  // namespace runnel::internal

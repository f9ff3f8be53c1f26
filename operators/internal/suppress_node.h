#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/processor_node.h"
#include "operators/suppressed.h"
#include "operators/windows.h"
#include "state/internal/time_ordered_key_value_buffer.h"

namespace runnel::internal {

// suppress(until_window_closes) of a windowed KTable: each window's latest value waits in a
// time-ordered buffer (state::internal::TimeOrderedKeyValueBuffer over the task's in-memory,
// change-logged store) under the window's end; once stream time - close_delay reaches that
// end, the window's final value is forwarded and its entry removed. close_delay is how long
// after its end a window can still change: the grace for time windows, grace + 1 ms for
// sliding windows (their end is inclusive), inactivity gap + grace + 1 ms for session
// windows (a record at end + gap still extends the session while it is not late).
//
// A deleted (merged-away) session is dropped from the buffer without output: it never had a
// final result. A record that closes no window costs one buffer write. When the buffer holds
// more than the Suppressed bound allows, process() fails (the task, and its thread, stop with
// that error): until_window_closes never emits early.
template <typename K, typename V>
class KTableSuppress final : public ProcessorNode,
                             public Receiver<Windowed<K>, Change<V>>,
                             public Forwarder<Windowed<K>, Change<V>> {
 public:
  KTableSuppress(std::string name, std::string store, std::int64_t close_delay_ms,
                 Suppressed suppressed, std::shared_ptr<const Serde<Windowed<K>>> key_serde,
                 std::shared_ptr<const Serde<V>> value_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        close_delay_ms_(close_delay_ms),
        suppressed_(suppressed),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    buffer_.emplace(*s.key_value, bounds_bytes());
    return ok_status();
  }

  Status process(Record<Windowed<K>, Change<V>>&& record) override {
    // Windows close by the time of the records suppress itself has seen (as Kafka's
    // KTableSuppressProcessor), not by the task's stream time: behind a record cache the task
    // runs ahead of what the cache has forwarded, and a window closed by the task's time could
    // go out before the cache hands over its final value.
    observed_time_ = std::max(observed_time_, record.timestamp);
    if (record.key && record.value) {
      key_buffer_.clear();
      RUNNEL_RETURN_IF_ERROR(key_serde_->serialize_to(*record.key, key_buffer_));
      const Timestamp end = record.key->window.end_ms;
      if (record.value->new_value) {
        value_buffer_.clear();
        RUNNEL_RETURN_IF_ERROR(value_serde_->serialize_to(*record.value->new_value, value_buffer_));
        RUNNEL_RETURN_IF_ERROR(
            buffer_->put(end, key_buffer_.view(), record.timestamp, value_buffer_.view()));
      } else {
        RUNNEL_RETURN_IF_ERROR(buffer_->remove(end, key_buffer_.view()));
      }
    }
    RUNNEL_RETURN_IF_ERROR(buffer_->evict_until(observed_time_ - close_delay_ms_,
                                                [this](const auto& entry) { return emit(entry); }));
    return check_bound();
  }

 private:
  bool bounds_bytes() const {
    return suppressed_.max_bytes != std::numeric_limits<std::int64_t>::max();
  }

  Status emit(const state::internal::TimeOrderedKeyValueBuffer::Entry& entry) {
    RUNNEL_ASSIGN_OR_RETURN(Windowed<K> key, key_serde_->deserialize(entry.key));
    RUNNEL_ASSIGN_OR_RETURN(V value, value_serde_->deserialize(entry.value));
    return this->forward(Record<Windowed<K>, Change<V>>{
        std::move(key), Change<V>{std::move(value), std::nullopt}, entry.record_timestamp});
  }

  // Shut down when full: after the closed windows went out, more than the bound is left.
  Status check_bound() {
    if (suppressed_.max_records != std::numeric_limits<std::int64_t>::max()) {
      RUNNEL_ASSIGN_OR_RETURN(std::uint64_t records, buffer_->num_records());
      if (records > static_cast<std::uint64_t>(suppressed_.max_records)) {
        return full_error(std::to_string(records) + " records, over its bound of max_records " +
                          std::to_string(suppressed_.max_records));
      }
    }
    if (bounds_bytes()) {
      RUNNEL_ASSIGN_OR_RETURN(std::uint64_t bytes, buffer_->num_bytes());
      if (bytes > static_cast<std::uint64_t>(suppressed_.max_bytes)) {
        return full_error(std::to_string(bytes) + " bytes, over its bound of max_bytes " +
                          std::to_string(suppressed_.max_bytes));
      }
    }
    return ok_status();
  }

  Status full_error(const std::string& what) const {
    return no_space_error("suppress " + name() + ": its buffer store " + store_name_ +
                          " would hold " + what +
                          " (until_window_closes, shut down when full): raise the bound, or "
                          "shorten the grace so that windows close sooner");
  }

  std::string store_name_;
  std::int64_t close_delay_ms_;
  Timestamp observed_time_ = -1;  // The largest record timestamp seen here; -1 before any.
  Suppressed suppressed_;
  std::shared_ptr<const Serde<Windowed<K>>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  // Over the task's store: valid from init to close.
  std::optional<state::internal::TimeOrderedKeyValueBuffer> buffer_;
  Bytes key_buffer_;
  Bytes value_buffer_;
};

}  // namespace runnel::internal

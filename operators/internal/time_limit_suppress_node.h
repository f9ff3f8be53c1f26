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
#include "state/internal/time_ordered_key_value_buffer.h"

namespace runnel::internal {

// How KTableTimeLimitSuppress stores a key's buffered change: its latest new value and its
// prior value (the old value of its first buffered update, which is what downstream saw
// last), either of which may be absent, in one byte string:
//   {flags}                      neither (bit 0: new present, bit 1: prior present)
//   {flags}{new} / {flags}{prior} one of them
//   {flags}{uint32 big-endian length of new}{new}{prior}  both
// The values are the table's value serde's bytes.
struct SuppressedChangeFormat {
  static constexpr std::uint8_t kNew = 1;
  static constexpr std::uint8_t kPrior = 2;

  static void encode(const std::optional<BytesView>& new_value,
                     const std::optional<BytesView>& prior, Bytes& out) {
    out.push_back(static_cast<std::uint8_t>((new_value ? kNew : 0) | (prior ? kPrior : 0)));
    if (new_value && prior) {
      const auto n = static_cast<std::uint32_t>(new_value->size());
      for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    }
    if (new_value) out.append(*new_value);
    if (prior) out.append(*prior);
  }

  struct Parts {
    std::optional<BytesView> new_value;
    std::optional<BytesView> prior;
  };
  // Views into `stored`.
  static Result<Parts> decode(BytesView stored) {
    if (stored.size() == 0 || stored[0] > (kNew | kPrior)) {
      return corruption_error("suppress buffer: a buffered change with no valid flag byte");
    }
    const std::uint8_t flags = stored[0];
    const BytesView body = stored.subview(1);
    Parts parts;
    if ((flags & kNew) && (flags & kPrior)) {
      if (body.size() < 4) return corruption_error("suppress buffer: a truncated change");
      std::size_t n = 0;
      for (std::size_t i = 0; i < 4; ++i) n = (n << 8) | body[i];
      if (n > body.size() - 4) return corruption_error("suppress buffer: a truncated change");
      parts.new_value = body.subview(4, n);
      parts.prior = body.subview(4 + n);
    } else if (flags & kNew) {
      parts.new_value = body;
    } else if (flags & kPrior) {
      parts.prior = body;
    } else if (body.size() != 0) {
      return corruption_error("suppress buffer: bytes after an empty change");
    }
    return parts;
  }
};

// suppress(until_time_limit) of any KTable (K may be Windowed<...>), as Kafka Streams'
// KTableSuppressProcessor with a record-time buffer: a key's first update since its last
// output is buffered under that update's timestamp; a later update replaces the key's value
// where it is (the time stays: non-resetting, as Kafka); once the largest timestamp this node
// has seen minus the time limit reaches that time, the key's latest value goes out (a
// tombstone too), as Change{latest new value, prior value}, with the latest update's
// timestamp. The buffer (state::internal::TimeOrderedKeyValueBuffer over the task's in-memory,
// change-logged store, with its key index) is rebuilt from the changelog on restart.
//
// Past the bound, with emit_early_when_full the earliest entries go out until the buffer is
// within it; otherwise process() fails (the task stops with that error). A record costs a key
// lookup and one buffer write; an emitted key one removal.
template <typename K, typename V>
class KTableTimeLimitSuppress final : public ProcessorNode,
                                      public Receiver<K, Change<V>>,
                                      public Forwarder<K, Change<V>> {
 public:
  KTableTimeLimitSuppress(std::string name, std::string store, Suppressed suppressed,
                          std::shared_ptr<const Serde<K>> key_serde,
                          std::shared_ptr<const Serde<V>> value_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        suppressed_(std::move(suppressed)),
        time_limit_ms_(suppressed_.time_limit_ms.value_or(0)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    buffer_.emplace(*s.key_value, bounds_bytes(), /*index_keys=*/true);
    return ok_status();
  }

  Status process(Record<K, Change<V>>&& record) override {
    // By the records suppress itself has seen (Kafka's observedStreamTime): behind a record
    // cache the task's stream time runs ahead of what reached this node.
    observed_time_ = std::max(observed_time_, record.timestamp);
    if (record.key && record.value) {
      RUNNEL_RETURN_IF_ERROR(buffer(*record.key, *record.value, record.timestamp));
    }
    // No overflow: observed_time_ >= -1 and 0 <= time_limit_ms_ <= INT64_MAX.
    RUNNEL_RETURN_IF_ERROR(buffer_->evict_until(observed_time_ - time_limit_ms_,
                                                [this](const auto& entry) { return emit(entry); }));
    if (suppressed_.emit_early_when_full) {
      return buffer_->evict_while([this] { return over_bound(); },
                                  [this](const auto& entry) { return emit(entry); });
    }
    RUNNEL_ASSIGN_OR_RETURN(bool over, over_bound());
    if (over) return full_error();
    return ok_status();
  }

 private:
  bool bounds_bytes() const {
    return suppressed_.max_bytes != std::numeric_limits<std::int64_t>::max();
  }

  Status buffer(const K& key, const Change<V>& change, Timestamp timestamp) {
    key_buffer_.clear();
    RUNNEL_RETURN_IF_ERROR(key_serde_->serialize_to(key, key_buffer_));
    RUNNEL_ASSIGN_OR_RETURN(auto found, buffer_->find(key_buffer_.view()));
    new_buffer_.clear();
    std::optional<BytesView> new_value;
    if (change.new_value) {
      RUNNEL_RETURN_IF_ERROR(value_serde_->serialize_to(*change.new_value, new_buffer_));
      new_value = new_buffer_.view();
    }
    value_buffer_.clear();
    if (found) {
      // Buffered already: downstream last saw the prior value kept with the first update.
      RUNNEL_ASSIGN_OR_RETURN(SuppressedChangeFormat::Parts parts,
                              SuppressedChangeFormat::decode(found->value.view()));
      SuppressedChangeFormat::encode(new_value, parts.prior, value_buffer_);
      return buffer_->put(found->time, key_buffer_.view(), timestamp, value_buffer_.view());
    }
    prior_buffer_.clear();
    std::optional<BytesView> prior;
    if (change.old_value) {
      RUNNEL_RETURN_IF_ERROR(value_serde_->serialize_to(*change.old_value, prior_buffer_));
      prior = prior_buffer_.view();
    }
    SuppressedChangeFormat::encode(new_value, prior, value_buffer_);
    return buffer_->put(timestamp, key_buffer_.view(), timestamp, value_buffer_.view());
  }

  Status emit(const state::internal::TimeOrderedKeyValueBuffer::Entry& entry) {
    RUNNEL_ASSIGN_OR_RETURN(K key, key_serde_->deserialize(entry.key));
    RUNNEL_ASSIGN_OR_RETURN(SuppressedChangeFormat::Parts parts,
                            SuppressedChangeFormat::decode(entry.value));
    Change<V> change;
    if (parts.new_value) {
      RUNNEL_ASSIGN_OR_RETURN(V v, value_serde_->deserialize(*parts.new_value));
      change.new_value = std::move(v);
    }
    if (parts.prior) {
      RUNNEL_ASSIGN_OR_RETURN(V v, value_serde_->deserialize(*parts.prior));
      change.old_value = std::move(v);
    }
    return this->forward(
        Record<K, Change<V>>{std::move(key), std::move(change), entry.record_timestamp});
  }

  Result<bool> over_bound() {
    if (suppressed_.max_records != std::numeric_limits<std::int64_t>::max()) {
      RUNNEL_ASSIGN_OR_RETURN(std::uint64_t records, buffer_->num_records());
      if (records > static_cast<std::uint64_t>(suppressed_.max_records)) return true;
    }
    if (bounds_bytes()) {
      RUNNEL_ASSIGN_OR_RETURN(std::uint64_t bytes, buffer_->num_bytes());
      if (bytes > static_cast<std::uint64_t>(suppressed_.max_bytes)) return true;
    }
    return false;
  }

  // Shut down when full: after the due keys went out, more than the bound is left.
  Status full_error() {
    RUNNEL_ASSIGN_OR_RETURN(std::uint64_t records, buffer_->num_records());
    std::string what = std::to_string(records) + " records";
    if (suppressed_.max_records != std::numeric_limits<std::int64_t>::max()) {
      what += " (bound max_records " + std::to_string(suppressed_.max_records) + ")";
    }
    if (bounds_bytes()) {
      RUNNEL_ASSIGN_OR_RETURN(std::uint64_t bytes, buffer_->num_bytes());
      what += " and " + std::to_string(bytes) + " bytes (bound max_bytes " +
              std::to_string(suppressed_.max_bytes) + ")";
    }
    return no_space_error("suppress " + name() + ": its buffer store " + store_name_ +
                          " would hold " + what +
                          ", over its bound (until_time_limit, shut down when full): raise the "
                          "bound, shorten the time limit, or emit early when full");
  }

  std::string store_name_;
  Suppressed suppressed_;
  std::int64_t time_limit_ms_;
  Timestamp observed_time_ = -1;  // The largest record timestamp seen here; -1 before any.
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  // Over the task's store: valid from init to close.
  std::optional<state::internal::TimeOrderedKeyValueBuffer> buffer_;
  Bytes key_buffer_;
  Bytes new_buffer_;
  Bytes prior_buffer_;
  Bytes value_buffer_;
};

}  // namespace runnel::internal

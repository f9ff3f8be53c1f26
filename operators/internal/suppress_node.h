#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/processor_node.h"
#include "operators/windows.h"
#include "state/key_value_store.h"

namespace runnel::internal {

// suppress(until_window_closes) of a windowed KTable: each window's latest change is kept in
// a key-value buffer store keyed by (window end, windowed key bytes), so that a scan in key
// order visits windows in order of their end; once stream time - grace reaches a window's
// end, its final value is forwarded and its entry removed. A deleted (merged-away) session
// is dropped from the buffer without output: it never had a final result.
template <typename K, typename V>
class KTableSuppress final : public ProcessorNode,
                             public Receiver<Windowed<K>, Change<V>>,
                             public Forwarder<Windowed<K>, Change<V>> {
 public:
  KTableSuppress(std::string name, std::string store, std::int64_t grace_ms,
                 std::shared_ptr<const Serde<Windowed<K>>> key_serde,
                 std::shared_ptr<const Serde<V>> value_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        grace_ms_(grace_ms),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    buffer_ = s.key_value;
    return ok_status();
  }

  Status process(Record<Windowed<K>, Change<V>>&& record) override {
    if (record.key && record.value) {
      key_buffer_.clear();
      append_big_endian(key_buffer_, record.key->window.end_ms);
      RUNNEL_RETURN_IF_ERROR(key_serde_->serialize_to(*record.key, key_buffer_));
      if (record.value->new_value) {
        // Value: the record's timestamp (8 bytes), then the serialized value.
        value_buffer_.clear();
        append_big_endian(value_buffer_, record.timestamp);
        RUNNEL_RETURN_IF_ERROR(value_serde_->serialize_to(*record.value->new_value, value_buffer_));
        RUNNEL_RETURN_IF_ERROR(buffer_->put(key_buffer_.view(), value_buffer_.view()));
      } else {
        RUNNEL_RETURN_IF_ERROR(buffer_->delete_key(key_buffer_.view()).status());
      }
    }
    return emit_closed();
  }

 private:
  Status emit_closed() {
    const Timestamp close_time = context_->stream_time() - grace_ms_;
    if (close_time < 0) return ok_status();
    // Every key with window end <= close_time sorts at or below the 8 bytes of close_time + 1.
    Bytes from;
    append_big_endian(from, 0);
    Bytes to;
    append_big_endian(to, close_time + 1);
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<state::KeyValueIterator> it,
                            buffer_->range(from.view(), to.view()));
    std::vector<Bytes> emitted;
    for (; it->valid(); it->next()) {
      BytesView k = it->key();
      BytesView v = it->value();
      if (k.size() < 8 || v.size() < 8) return corruption_error("suppress buffer entry too short");
      RUNNEL_ASSIGN_OR_RETURN(Windowed<K> key,
                              key_serde_->deserialize(BytesView(k.data() + 8, k.size() - 8)));
      RUNNEL_ASSIGN_OR_RETURN(V value,
                              value_serde_->deserialize(BytesView(v.data() + 8, v.size() - 8)));
      const Timestamp timestamp = read_big_endian(v, 0);
      emitted.emplace_back(k);
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<Windowed<K>, Change<V>>{
          std::move(key), Change<V>{std::move(value), std::nullopt}, timestamp}));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    for (const Bytes& k : emitted) RUNNEL_RETURN_IF_ERROR(buffer_->delete_key(k.view()).status());
    return ok_status();
  }

  std::string store_name_;
  std::int64_t grace_ms_;
  std::shared_ptr<const Serde<Windowed<K>>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  state::KeyValueStore* buffer_ = nullptr;  // The task's; valid from init to close.
  Bytes key_buffer_;
  Bytes value_buffer_;
};

}  // namespace runnel::internal

#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/serde.h"
#include "operators/internal/ktable_nodes.h"
#include "operators/internal/processor_node.h"
#include "operators/join_windows.h"
#include "operators/windows.h"
#include "state/typed_window_store.h"

// The processor nodes of KStream-KStream joins (Kafka Streams' KStreamJoinWindow and
// KStreamKStreamJoin): each side's records are kept in a window store (duplicates retained),
// and each record is joined with the other side's records within the join window. For left
// and outer joins, a record that found no partner is kept in a shared "outer" key-value
// store and emitted with a null partner only once its window has closed (stream time past
// its window end + grace), unless a partner arrives first: no spurious left/outer results.

namespace runnel::internal {

// Puts each record with a key and a value into its side's window store (window start = the
// record's timestamp), then forwards it to the side's join node.
template <typename K, typename V>
class KStreamJoinWindow final : public ProcessorNode,
                                public Receiver<K, V>,
                                public Forwarder<K, V> {
 public:
  KStreamJoinWindow(std::string name, std::string store, std::shared_ptr<const Serde<K>> key_serde,
                    std::shared_ptr<const Serde<V>> value_serde)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_.emplace(*s.window, *key_serde_, *value_serde_);
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (record.key && record.value) {
      RUNNEL_RETURN_IF_ERROR(store_->put(*record.key, *record.value, record.timestamp));
    }
    return this->forward(std::move(record));
  }

 private:
  std::string store_name_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  std::optional<state::TypedWindowStore<K, V>> store_;
};

// One side of a stream-stream join. kLeft: this node receives the left stream (V1), else the
// right stream (V2). joiner(left, right) with optionals; the kind decides which may be null.
template <typename K, typename V1, typename V2, typename VR, bool kLeft>
class KStreamKStreamJoin final : public ProcessorNode,
                                 public Receiver<K, std::conditional_t<kLeft, V1, V2>>,
                                 public Forwarder<K, VR> {
  using VThis = std::conditional_t<kLeft, V1, V2>;
  using VOther = std::conditional_t<kLeft, V2, V1>;

 public:
  using Joiner = std::function<VR(const std::optional<V1>&, const std::optional<V2>&)>;
  struct Config {
    std::string other_store;
    std::string outer_store;  // Empty for an inner join.
    JoinWindows windows;
    JoinKind kind = JoinKind::kInner;
    std::shared_ptr<const Serde<K>> key_serde;
    std::shared_ptr<const Serde<V1>> left_serde;
    std::shared_ptr<const Serde<V2>> right_serde;
  };
  KStreamKStreamJoin(std::string name, Config config, Joiner joiner)
      : ProcessorNode(std::move(name)), config_(std::move(config)), joiner_(std::move(joiner)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), config_.other_store));
    if constexpr (kLeft) {
      other_.emplace(*s.window, *config_.key_serde, *config_.right_serde);
    } else {
      other_.emplace(*s.window, *config_.key_serde, *config_.left_serde);
    }
    if (!config_.outer_store.empty()) {
      RUNNEL_ASSIGN_OR_RETURN(StateStore o, context.get_state_store(name(), config_.outer_store));
      outer_ = o.key_value;
    }
    return ok_status();
  }

  Status process(Record<K, VThis>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a stream-stream join");
      return ok_status();
    }
    const JoinWindows& w = config_.windows;
    const Timestamp t = record.timestamp;
    // This record's partners lie in [t - before, t + after] seen from the left side.
    const std::int64_t look_back = kLeft ? w.before_ms : w.after_ms;
    const std::int64_t look_ahead = kLeft ? w.after_ms : w.before_ms;
    if (t + look_ahead + w.grace_ms < context_->stream_time()) {
      context_->record_late_dropped(name());
      return ok_status();
    }
    RUNNEL_ASSIGN_OR_RETURN(
        auto partners,
        other_->fetch(*record.key, std::max<Timestamp>(0, t - look_back), t + look_ahead));
    for (auto& [other_time, other_value] : partners) {
      VR joined = [&] {
        if constexpr (kLeft) {
          return joiner_(std::optional<V1>(*record.value), std::optional<V2>(other_value));
        } else {
          return joiner_(std::optional<V1>(other_value), std::optional<V2>(*record.value));
        }
      }();
      RUNNEL_RETURN_IF_ERROR(this->forward(
          Record<K, VR>{record.key, std::move(joined), std::max(t, other_time), record.headers}));
      // The partner found a match: it will not be emitted with a null partner.
      if (outer_ != nullptr && tracks(!kLeft)) {
        RUNNEL_RETURN_IF_ERROR(
            outer_->delete_key(outer_key(other_time, !kLeft, *record.key).view()).status());
      }
    }
    if (partners.empty() && outer_ != nullptr && tracks(kLeft)) {
      Bytes value;
      if constexpr (kLeft) {
        RUNNEL_RETURN_IF_ERROR(config_.left_serde->serialize_to(*record.value, value));
      } else {
        RUNNEL_RETURN_IF_ERROR(config_.right_serde->serialize_to(*record.value, value));
      }
      RUNNEL_RETURN_IF_ERROR(outer_->put(outer_key(t, kLeft, *record.key).view(), value.view()));
    }
    return emit_unjoined();
  }

 private:
  // Whether unmatched records of a side wait in the outer store: the left side's for left
  // and outer joins, the right side's for outer joins.
  bool tracks(bool left_side) const {
    return left_side ? config_.kind != JoinKind::kInner : config_.kind == JoinKind::kOuter;
  }

  // Outer store key: timestamp (8 bytes big-endian, so entries scan in time order), side
  // (1 byte: 0 left, 1 right), key bytes. Records of one side with the same key and
  // timestamp share an entry, as in Kafka Streams.
  Bytes outer_key(Timestamp t, bool left_side, const K& key) const {
    Bytes out;
    append_big_endian(out, t);
    const std::uint8_t side = left_side ? 0 : 1;
    out.append(BytesView(&side, 1));
    Status s = config_.key_serde->serialize_to(key, out);
    (void)s;  // The key serialized already for the window store; it cannot fail now.
    return out;
  }

  // Emits, with a null partner, the waiting records whose window has closed.
  Status emit_unjoined() {
    if (outer_ == nullptr) return ok_status();
    const JoinWindows& w = config_.windows;
    const Timestamp stream_time = context_->stream_time();
    const Timestamp newest_closed =
        stream_time - std::min(w.after_ms, w.before_ms) - w.grace_ms - 1;
    if (newest_closed < 0) return ok_status();
    Bytes from;
    append_big_endian(from, 0);
    Bytes to;
    append_big_endian(to, newest_closed + 1);
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<state::KeyValueIterator> it,
                            outer_->range(from.view(), to.view()));
    std::vector<Bytes> emitted;
    for (; it->valid(); it->next()) {
      BytesView k = it->key();
      if (k.size() < 9) return corruption_error("outer join store key too short");
      const Timestamp t = read_big_endian(k, 0);
      const bool left_side = k.data()[8] == 0;
      // A left record waits for right records up to t + after; a right one up to t + before.
      if (t + (left_side ? w.after_ms : w.before_ms) + w.grace_ms >= stream_time) continue;
      RUNNEL_ASSIGN_OR_RETURN(
          K key, config_.key_serde->deserialize(BytesView(k.data() + 9, k.size() - 9)));
      std::optional<V1> left;
      std::optional<V2> right;
      if (left_side) {
        RUNNEL_ASSIGN_OR_RETURN(left, config_.left_serde->deserialize(it->value()));
      } else {
        RUNNEL_ASSIGN_OR_RETURN(right, config_.right_serde->deserialize(it->value()));
      }
      VR joined = joiner_(left, right);
      emitted.emplace_back(k);
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<K, VR>{std::move(key), std::move(joined), t}));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
    for (const Bytes& k : emitted) RUNNEL_RETURN_IF_ERROR(outer_->delete_key(k.view()).status());
    return ok_status();
  }

  Config config_;
  Joiner joiner_;
  std::optional<state::TypedWindowStore<K, VOther>> other_;
  state::KeyValueStore* outer_ = nullptr;  // The task's; null for an inner join.
};

// The inner join of a stream with itself over one window store (Kafka Streams'
// KStreamKStreamSelfJoin, KIP-862; made by the single.store.self.join rewrite). It replaces
// the two-store join's windowed nodes, its two join nodes and its merge, and emits what they
// would, in the same order. For a record r at t, the two-store join
//   1. puts r into the left store, and the left join node, unless r is late for it (t +
//      after + grace < stream time), reads the right store (which does not hold r yet) and
//      emits joiner(r, x) for each buffered x in [t - before, t + after], in store order
//      (time, then arrival);
//   2. puts r into the right store, and the right join node, unless r is late for it (t +
//      before + grace < stream time), reads the left store (which now holds r, after every
//      earlier record of time t) and emits joiner(x, r) for each x in [t - after,
//      t + before]: joiner(r, r) comes after the x of times <= t and before those of later
//      times, unless the store dropped r as expired.
// Both stores always hold the same records, so this node does the same over its one store:
// fetch for pass 1, put r once, fetch for pass 2. With before == after (the usual case) one
// fetch made before the put serves both passes: putting r can only add r, since it moves the
// store's stream time to at most t, and x >= t - before is not expired at t (retention is
// before + after + grace + 1); whether the store kept r is read from its expired-put counter.
// A record late for either pass is counted once in the late-dropped metric.
template <typename K, typename V, typename VR>
class KStreamKStreamSelfJoin final : public ProcessorNode,
                                     public Receiver<K, V>,
                                     public Forwarder<K, VR> {
 public:
  using Joiner = std::function<VR(const std::optional<V>&, const std::optional<V>&)>;
  struct Config {
    std::string store;
    JoinWindows windows;
    std::shared_ptr<const Serde<K>> key_serde;
    std::shared_ptr<const Serde<V>> value_serde;
  };
  KStreamKStreamSelfJoin(std::string name, Config config, Joiner joiner)
      : ProcessorNode(std::move(name)), config_(std::move(config)), joiner_(std::move(joiner)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), config_.store));
    raw_ = s.window;
    store_.emplace(*s.window, *config_.key_serde, *config_.value_serde);
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a stream-stream join");
      return ok_status();
    }
    const JoinWindows& w = config_.windows;
    const Timestamp t = record.timestamp;
    const bool late_as_left = t + w.after_ms + w.grace_ms < context_->stream_time();
    const bool late_as_right = t + w.before_ms + w.grace_ms < context_->stream_time();
    if (late_as_left || late_as_right) context_->record_late_dropped(name());
    if (w.before_ms == w.after_ms && !late_as_left) return join_with_one_fetch(record);
    const std::optional<V> self(*record.value);
    if (!late_as_left) {
      RUNNEL_ASSIGN_OR_RETURN(
          auto partners,
          store_->fetch(*record.key, std::max<Timestamp>(0, t - w.before_ms), t + w.after_ms));
      for (auto& [other_time, other_value] : partners) {
        RUNNEL_RETURN_IF_ERROR(emit(record, std::max(t, other_time), self, other_value));
      }
    }
    RUNNEL_RETURN_IF_ERROR(store_->put(*record.key, *record.value, t));
    if (!late_as_right) {
      RUNNEL_ASSIGN_OR_RETURN(
          auto partners,
          store_->fetch(*record.key, std::max<Timestamp>(0, t - w.after_ms), t + w.before_ms));
      for (auto& [other_time, other_value] : partners) {
        RUNNEL_RETURN_IF_ERROR(
            emit(record, std::max(t, other_time), std::optional<V>(std::move(other_value)), self));
      }
    }
    return ok_status();
  }

 private:
  // Both passes from one fetch (before == after, r not late): see the class comment.
  Status join_with_one_fetch(const Record<K, V>& record) {
    const JoinWindows& w = config_.windows;
    const Timestamp t = record.timestamp;
    RUNNEL_ASSIGN_OR_RETURN(
        auto partners,
        store_->fetch(*record.key, std::max<Timestamp>(0, t - w.before_ms), t + w.after_ms));
    const std::uint64_t dropped = raw_->expired_puts_dropped();
    RUNNEL_RETURN_IF_ERROR(store_->put(*record.key, *record.value, t));
    const bool kept = raw_->expired_puts_dropped() == dropped;
    const std::optional<V> self(*record.value);
    for (auto& [other_time, other_value] : partners) {
      RUNNEL_RETURN_IF_ERROR(emit(record, std::max(t, other_time), self, other_value));
    }
    bool self_emitted = !kept;
    for (auto& [other_time, other_value] : partners) {
      if (!self_emitted && other_time > t) {
        RUNNEL_RETURN_IF_ERROR(emit(record, t, self, self));
        self_emitted = true;
      }
      RUNNEL_RETURN_IF_ERROR(
          emit(record, std::max(t, other_time), std::optional<V>(std::move(other_value)), self));
    }
    if (!self_emitted) RUNNEL_RETURN_IF_ERROR(emit(record, t, self, self));
    return ok_status();
  }

  Status emit(const Record<K, V>& record, Timestamp t, const std::optional<V>& left,
              const std::optional<V>& right) {
    return this->forward(Record<K, VR>{record.key, joiner_(left, right), t, record.headers});
  }

  Config config_;
  Joiner joiner_;
  state::WindowStore* raw_ = nullptr;  // The task's; read for its expired-put counter.
  std::optional<state::TypedWindowStore<K, V>> store_;
};

}  // namespace runnel::internal

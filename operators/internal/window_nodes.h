#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/serde.h"
#include "operators/change.h"
#include "operators/internal/processor_node.h"
#include "operators/internal/value_and_timestamp.h"
#include "operators/internal/window_close_emitter.h"
#include "operators/windows.h"
#include "state/caching_session_store.h"
#include "state/caching_window_store.h"
#include "state/typed_key_value_store.h"
#include "state/typed_session_store.h"
#include "state/typed_window_store.h"

// The processor nodes of windowed aggregations. Windows close by the task's
// stream time: a window [start, end) is closed once stream time - grace >= end (a session or
// a sliding window [start, end] once stream time - grace > its end); a record for a closed
// window is dropped and counted as late (StreamTask::Metrics::dropped_late), as in Kafka
// Streams.

namespace runnel::internal {

// Forwards what a caching window store writes down (at commit, or on eviction) as changes of
// a windowed table: with caching, a windowed aggregation's updates leave it this way, one
// per window per commit, with the value the window had at the previous write-down as the old
// value. With kTimestamped the store holds ValueAndTimestamp<VA> (sliding windows), and the
// window's largest record timestamp is forwarded as the record's, as without the cache.
template <typename K, typename VA, bool kTimestamped = false>
class WindowCacheFlushForwarder final : public state::WindowCacheFlushListener {
 public:
  using Stored = std::conditional_t<kTimestamped, ValueAndTimestamp<VA>, VA>;

  WindowCacheFlushForwarder(Forwarder<Windowed<K>, Change<VA>>& forwarder,
                            const Serde<K>& key_serde, const Serde<Stored>& value_serde,
                            Timestamp window_size_ms)
      : forwarder_(forwarder),
        key_serde_(key_serde),
        value_serde_(value_serde),
        window_size_ms_(window_size_ms) {}

  Status apply(BytesView key, Timestamp window_start, NullableBytesView new_value,
               NullableBytesView old_value, Timestamp timestamp) override {
    RUNNEL_ASSIGN_OR_RETURN(K k, key_serde_.deserialize(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Stored> n, value_serde_.deserialize_nullable(new_value));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<Stored> o, value_serde_.deserialize_nullable(old_value));
    Windowed<K> windowed{std::move(k), Window{window_start, window_start + window_size_ms_}};
    if constexpr (kTimestamped) {
      if (n) timestamp = n->timestamp;
      return forwarder_.forward(Record<Windowed<K>, Change<VA>>{
          std::move(windowed),
          Change<VA>{n ? std::optional<VA>(std::move(n->value)) : std::nullopt,
                     o ? std::optional<VA>(std::move(o->value)) : std::nullopt},
          timestamp});
    } else {
      return forwarder_.forward(Record<Windowed<K>, Change<VA>>{
          std::move(windowed), Change<VA>{std::move(n), std::move(o)}, timestamp});
    }
  }

 private:
  Forwarder<Windowed<K>, Change<VA>>& forwarder_;
  const Serde<K>& key_serde_;
  const Serde<Stored>& value_serde_;
  const Timestamp window_size_ms_;
};

// The same for a caching session store: a session merged away reaches downstream as a
// tombstone with its last forwarded value as old value (the store reports removes only of
// sessions it had written down, i.e. that downstream saw).
template <typename K, typename VA>
class SessionCacheFlushForwarder final : public state::SessionCacheFlushListener {
 public:
  SessionCacheFlushForwarder(Forwarder<Windowed<K>, Change<VA>>& forwarder,
                             const Serde<K>& key_serde, const Serde<VA>& value_serde)
      : forwarder_(forwarder), key_serde_(key_serde), value_serde_(value_serde) {}

  Status apply(BytesView key, state::Window session, NullableBytesView new_value,
               NullableBytesView old_value, Timestamp timestamp) override {
    RUNNEL_ASSIGN_OR_RETURN(K k, key_serde_.deserialize(key));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> n, value_serde_.deserialize_nullable(new_value));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> o, value_serde_.deserialize_nullable(old_value));
    return forwarder_.forward(Record<Windowed<K>, Change<VA>>{
        Windowed<K>{std::move(k), session}, Change<VA>{std::move(n), std::move(o)}, timestamp});
  }

 private:
  Forwarder<Windowed<K>, Change<VA>>& forwarder_;
  const Serde<K>& key_serde_;
  const Serde<VA>& value_serde_;
};

// count / reduce / aggregate over TimeWindows: for each window the record falls in, the
// window's aggregate is updated in the window store and forwarded with the old one, at once,
// or, when the store caches, by the cache when it writes the window down (once per window
// per commit).
//
// With emit on window close (EmitStrategy::on_window_close, `position_store` non-empty),
// nothing is forwarded per update: at each record, before its own updates, the windows whose
// end has come to or below the close time (stream time - grace) since the last emission are
// read back from the window store and forwarded once each, final value and no old value, in order
// of window end (then key bytes). The last close time emitted up to is kept in the key-value store
// `position_store` (logged with the window store), so that a restarted task neither repeats
// nor skips windows. Emitted records carry the window's end - 1 as timestamp: the latest a
// record of the window can have (the store keeps no record timestamps).
template <typename K, typename V, typename VA, typename Step>
class KStreamWindowAggregate final : public ProcessorNode,
                                     public Receiver<K, V>,
                                     public Forwarder<Windowed<K>, Change<VA>> {
 public:
  KStreamWindowAggregate(std::string name, std::string store, TimeWindows windows,
                         std::shared_ptr<const Serde<K>> key_serde,
                         std::shared_ptr<const Serde<VA>> value_serde, Step step,
                         std::string position_store = {})
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        windows_(windows),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        emitter_(std::move(position_store)),
        step_(std::move(step)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_.emplace(*s.window, *key_serde_, *value_serde_);
    if (emitter_.enabled()) {
      RUNNEL_RETURN_IF_ERROR(emitter_.init(context, name()));
    } else if (auto* caching = dynamic_cast<state::CachingWindowStore*>(s.window)) {
      flush_forwarder_.emplace(*this, *key_serde_, *value_serde_, windows_.size_ms);
      caching->set_flush_listener(&*flush_forwarder_, /*send_old_values=*/true);
      cached_ = true;
    }
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a windowed aggregation");
      return ok_status();
    }
    const Timestamp close_time = context_->stream_time() - windows_.grace_ms;
    // Before this record's puts: they advance the store's stream time, which may expire the
    // windows that close now (retention is size + grace), and the record cannot change a
    // closed window anyway.
    if (emitter_.enabled()) {
      RUNNEL_RETURN_IF_ERROR(
          emitter_.emit_closed(close_time, [this](Timestamp emitted_up_to, Timestamp close) {
            return emit_closed(emitted_up_to, close);
          }));
    }
    std::optional<Bytes> key_bytes;  // Serialized once for all the record's windows.
    for (const Window& window : windows_.windows_for(record.timestamp)) {
      if (window.end_ms <= close_time) {
        context_->record_late_dropped(name());
        continue;
      }
      if (!key_bytes) {
        RUNNEL_ASSIGN_OR_RETURN(key_bytes, store_->serialize_key(*record.key));
      }
      RUNNEL_ASSIGN_OR_RETURN(std::optional<VA> old,
                              store_->fetch_serialized(*key_bytes, window.start_ms));
      VA aggregate = step_(*record.key, *record.value, old);
      RUNNEL_RETURN_IF_ERROR(store_->put_serialized(*key_bytes, aggregate, window.start_ms));
      // With caching, the cache forwards it when it writes the window down; on window close,
      // emit_closed() does.
      if (cached_ || emitter_.enabled()) continue;
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<Windowed<K>, Change<VA>>{
          Windowed<K>{*record.key, window}, Change<VA>{std::move(aggregate), std::move(old)},
          record.timestamp, record.headers, record.position}));
    }
    return ok_status();
  }

 private:
  // Forwards the windows that closed since the last emission: those with end in
  // (emitted_up_to, close_time]. False when none can have.
  Result<bool> emit_closed(Timestamp emitted_up_to, Timestamp close_time) {
    // Windows start at multiples of advance and end size later: the first end after the last
    // emission decides whether any window closed.
    const Timestamp size = windows_.size_ms;
    const Timestamp advance = windows_.advance_ms;
    Timestamp first_start = 0;
    if (emitted_up_to != WindowCloseEmitter::kNeverEmitted && emitted_up_to - size + 1 > 0) {
      first_start = (emitted_up_to - size + 1 + advance - 1) / advance * advance;
    }
    if (first_start + size > close_time) return false;
    RUNNEL_ASSIGN_OR_RETURN(auto closed, store_->fetch_all(first_start, close_time - size));
    for (auto& [windowed, value] : closed) windowed.window.end_ms = windowed.window.start_ms + size;
    sort_by_window_end(closed);
    for (auto& [windowed, value] : closed) {
      // The latest timestamp a record of the window can have: the store keeps none.
      const Timestamp timestamp = windowed.window.end_ms - 1;
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<Windowed<K>, Change<VA>>{
          std::move(windowed), Change<VA>{std::move(value), std::nullopt}, timestamp}));
    }
    return true;
  }

  std::string store_name_;
  TimeWindows windows_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<VA>> value_serde_;
  std::optional<state::TypedWindowStore<K, VA>> store_;
  std::optional<WindowCacheFlushForwarder<K, VA>> flush_forwarder_;
  bool cached_ = false;
  WindowCloseEmitter emitter_;  // Enabled when emitting on window close.
  Step step_;
};

// count / reduce / aggregate over SessionWindows: the record's session is merged with every
// session of its key within the gap; merged-away sessions are removed and forwarded as
// tombstones (new value null), then the merged session's aggregate is stored and forwarded.
// step(key, value, aggregate-so-far) adds the record; merge(key, a, b) combines two
// sessions' aggregates. When the store caches, the changes leave through the cache when it
// writes the sessions down (a session made and merged away between two commits is never
// forwarded, neither made nor removed).
template <typename K, typename V, typename VA, typename Step, typename Merge>
class KStreamSessionAggregate final : public ProcessorNode,
                                      public Receiver<K, V>,
                                      public Forwarder<Windowed<K>, Change<VA>> {
 public:
  KStreamSessionAggregate(std::string name, std::string store, SessionWindows windows,
                          std::shared_ptr<const Serde<K>> key_serde,
                          std::shared_ptr<const Serde<VA>> value_serde, Step step, Merge merge)
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        windows_(windows),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        step_(std::move(step)),
        merge_(std::move(merge)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_.emplace(*s.session, *key_serde_, *value_serde_);
    if (auto* caching = dynamic_cast<state::CachingSessionStore*>(s.session)) {
      flush_forwarder_.emplace(*this, *key_serde_, *value_serde_);
      caching->set_flush_listener(&*flush_forwarder_, /*send_old_values=*/true);
      cached_ = true;
    }
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a session aggregation");
      return ok_status();
    }
    const K& key = *record.key;
    const Timestamp t = record.timestamp;
    const Timestamp close_time = context_->stream_time() - windows_.grace_ms;
    RUNNEL_ASSIGN_OR_RETURN(auto sessions,
                            store_->find_sessions(key, t - windows_.gap_ms, t + windows_.gap_ms));
    Window merged{t, t};
    std::optional<VA> aggregate;
    std::optional<VA> same_window_old;  // The old value when no session is merged away.
    for (const auto& [session, value] : sessions) {
      aggregate = aggregate ? merge_(key, *aggregate, value) : value;
      merged.start_ms = std::min(merged.start_ms, session.window.start_ms);
      merged.end_ms = std::max(merged.end_ms, session.window.end_ms);
    }
    if (merged.end_ms < close_time) {
      context_->record_late_dropped(name());
      return ok_status();
    }
    for (const auto& [session, value] : sessions) {
      if (session.window == merged) {
        same_window_old = value;
        continue;
      }
      RUNNEL_RETURN_IF_ERROR(store_->remove(session));
      if (cached_) continue;
      RUNNEL_RETURN_IF_ERROR(this->forward(Record<Windowed<K>, Change<VA>>{
          session, Change<VA>{std::nullopt, value}, t, record.headers, record.position}));
    }
    VA result = step_(key, *record.value, aggregate);
    Windowed<K> windowed{key, merged};
    RUNNEL_RETURN_IF_ERROR(store_->put(windowed, result));
    if (cached_) return ok_status();
    return this->forward(Record<Windowed<K>, Change<VA>>{
        std::move(windowed), Change<VA>{std::move(result), std::move(same_window_old)}, t,
        std::move(record.headers), std::move(record.position)});
  }

 private:
  std::string store_name_;
  SessionWindows windows_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<VA>> value_serde_;
  std::optional<state::TypedSessionStore<K, VA>> store_;
  std::optional<SessionCacheFlushForwarder<K, VA>> flush_forwarder_;
  bool cached_ = false;
  Step step_;
  Merge merge_;
};

// count / reduce / aggregate over SlidingWindows (KIP-450 semantics, see SlidingWindows). The
// window store holds, per key and window start, the window's aggregate and the largest
// timestamp of its records (ValueAndTimestamp). Every record is the largest of its own left
// window, so the largest timestamps of the windows starting in [t - 2 * diff, t + 1] name
// every record of the key in [t - diff, t + diff + 1]: all a record at t needs in order to
// update the windows covering it and to make the ones it implies. (An early record can hide
// in [0, diff] behind a later one; then its right window already exists, as that later
// record made it.)
//
// A new window's aggregate cannot be computed from its records (they are not kept), so it
// is copied from an existing window that holds exactly the same earlier records, then the
// new record (if it falls in) is added. Such a window always exists: for a new window W =
// [s, s + diff] with earlier records, b the largest of them and q the largest record before
// s, it is q's right window [q + 1, q + 1 + diff] when q >= b - diff, else b's left window;
// either way it is the latest-starting window that starts before s and is not earlier than
// s - diff (for the left window of t), or that starts in (t - diff, t] (for the right window
// of t). Its largest timestamp tells whether W has earlier records at all.
//
// The store must keep windows starting at close time - 2 * diff, hence the retention
// (SlidingWindowedKStream). Output: each updated or created window, in order of start, with
// the window's largest record timestamp (as Kafka Streams); a created window has no old value.
// When the store caches, the cache forwards each window once per commit instead.
//
// With emit on window close (EmitStrategy::on_window_close, `position_store` non-empty),
// nothing is forwarded per update: at each record, before its own updates, the windows whose
// inclusive end has fallen below the close time (stream time - grace) since the last emission
// are read back from the window store and forwarded once each, final value and no old value,
// with the window's largest record timestamp, in order of window end (then windowed key
// bytes, as suppress); the position store keeps the close time emitted up to
// (WindowCloseEmitter). Which windows are still to emit, an in-memory index (PendingWindows)
// says, so that each emission reads exactly its windows from the store. A window [s, e] can
// change while e >= close time (the checks above), so it goes out once close time > e: grace
// + 1 ms after its end, as suppress(until_window_closes) waits. The store keeps every window
// not yet emitted: it starts at or after the close time emitted up to - diff, and the
// retention reaches back 2 * diff + grace from the latest window start, which is at most the
// stream time.
template <typename K, typename V, typename VA, typename Step>
class KStreamSlidingWindowAggregate final : public ProcessorNode,
                                            public Receiver<K, V>,
                                            public Forwarder<Windowed<K>, Change<VA>> {
 public:
  KStreamSlidingWindowAggregate(std::string name, std::string store, SlidingWindows windows,
                                std::shared_ptr<const Serde<K>> key_serde,
                                std::shared_ptr<const Serde<VA>> value_serde, Step step,
                                std::string position_store = {})
      : ProcessorNode(std::move(name)),
        store_name_(std::move(store)),
        windows_(windows),
        key_serde_(std::move(key_serde)),
        value_serde_(std::make_shared<ValueAndTimestampSerde<VA>>(std::move(value_serde))),
        emitter_(std::move(position_store)),
        step_(std::move(step)) {}

  Status init(TaskContext& context) override {
    RUNNEL_RETURN_IF_ERROR(ProcessorNode::init(context));
    RUNNEL_ASSIGN_OR_RETURN(StateStore s, context.get_state_store(name(), store_name_));
    store_.emplace(*s.window, *key_serde_, *value_serde_);
    raw_store_ = s.window;
    if (emitter_.enabled()) {
      RUNNEL_RETURN_IF_ERROR(emitter_.init(context, name()));
      pending_ = PendingWindows();  // Filled again from the store once it is restored.
    } else if (auto* caching = dynamic_cast<state::CachingWindowStore*>(s.window)) {
      flush_forwarder_.emplace(*this, *key_serde_, *value_serde_, windows_.time_difference_ms);
      caching->set_flush_listener(&*flush_forwarder_, /*send_old_values=*/true);
      cached_ = true;
    }
    return ok_status();
  }

  Status process(Record<K, V>&& record) override {
    if (!record.key || !record.value) {
      context_->record_dropped(name(), "null key or value for a windowed aggregation");
      return ok_status();
    }
    const K& key = *record.key;
    const Timestamp t = record.timestamp;
    const Timestamp diff = windows_.time_difference_ms;
    key_bytes_.reset();
    const Timestamp close_time = context_->stream_time() - windows_.grace_ms;
    if (emitter_.enabled()) {
      RUNNEL_RETURN_IF_ERROR(
          emitter_.emit_closed(close_time, [this](Timestamp emitted_up_to, Timestamp close) {
            return emit_closed(emitted_up_to, close);
          }));
    }
    if (t + diff + 1 <= close_time) {
      // Every window the record could touch, its right window included, has closed.
      context_->record_late_dropped(name());
      return ok_status();
    }
    // Windows [start, start + diff]; an early record's left window is [0, diff].
    const Timestamp left_start = std::max<Timestamp>(0, t - diff);
    RUNNEL_ASSIGN_OR_RETURN(auto existing,
                            store_->fetch(key, std::max<Timestamp>(0, t - 2 * diff), t + 1));

    const Entry* left_source = nullptr;   // Latest start before left_start.
    const Entry* right_source = nullptr;  // Latest start in (t - diff, t].
    bool has_left = false;
    bool has_right = false;
    std::optional<Timestamp> previous;  // The largest record before t, if >= t - diff.
    std::vector<Update> updates;
    for (const Entry& entry : existing) {
      const Timestamp start = entry.first;
      const Timestamp max_record = entry.second.timestamp;
      if (max_record < t && max_record >= t - diff) {
        previous = std::max(previous.value_or(max_record), max_record);
      }
      if (start < left_start) {
        left_source = &entry;
      } else if (start <= t) {
        // Covers t: add the record.
        has_left = has_left || start == left_start;
        if (start > t - diff) right_source = &entry;
        updates.push_back(Update{start, entry.second.value, entry.second.timestamp});
      } else if (start == t + 1) {
        has_right = true;
      }
    }
    if (!has_left) {
      // t's left window; its earlier records are those of the source, if it has any >= start.
      if (left_source != nullptr && left_source->second.timestamp >= left_start) {
        updates.push_back(
            Update{left_start, left_source->second.value, left_source->second.timestamp, true});
      } else {
        updates.push_back(Update{left_start, std::nullopt, t, true});
      }
    }
    if (previous && std::none_of(updates.begin(), updates.end(),
                                 [&](const Update& u) { return u.start == *previous + 1; })) {
      // The previous record's right window was empty until t.
      updates.push_back(Update{*previous + 1, std::nullopt, t, true});
    }
    std::sort(updates.begin(), updates.end(),
              [](const Update& a, const Update& b) { return a.start < b.start; });
    for (Update& u : updates) {
      if (u.start + diff < close_time) {
        context_->record_late_dropped(name());
        continue;
      }
      VA aggregate = step_(key, *record.value, u.aggregate);
      RUNNEL_RETURN_IF_ERROR(put_and_forward(key, u.start, std::move(aggregate),
                                             u.created ? std::nullopt : std::move(u.aggregate),
                                             std::max(u.max_record, t), record));
    }
    if (!has_right && right_source != nullptr && right_source->second.timestamp > t) {
      // t's right window: exactly the source's records, all after t. Open: the check above
      // saw t + 1 + diff > close time.
      RUNNEL_RETURN_IF_ERROR(put_and_forward(key, t + 1, right_source->second.value, std::nullopt,
                                             right_source->second.timestamp, record));
    }
    return ok_status();
  }

 private:
  using Entry = std::pair<Timestamp, ValueAndTimestamp<VA>>;
  // A window the record goes into: its start, aggregate and largest record timestamp before
  // the record (for a created window, those it starts from).
  struct Update {
    Timestamp start;
    std::optional<VA> aggregate;
    Timestamp max_record;
    bool created = false;
  };

  Status put_and_forward(const K& key, Timestamp start, VA aggregate, std::optional<VA> old,
                         Timestamp max_record, const Record<K, V>& record) {
    if (emitter_.enabled()) {
      // emit_closed() forwards it once it closes.
      if (!key_bytes_) {
        RUNNEL_ASSIGN_OR_RETURN(key_bytes_, store_->serialize_key(key));
      }
      RUNNEL_RETURN_IF_ERROR(store_->put_serialized(
          *key_bytes_, ValueAndTimestamp<VA>{std::move(aggregate), max_record}, start));
      pending_.add(start, key_bytes_->view());
      return ok_status();
    }
    RUNNEL_RETURN_IF_ERROR(store_->put(key, ValueAndTimestamp<VA>{aggregate, max_record}, start));
    if (cached_) return ok_status();  // the cache forwards it when it writes the window down
    return this->forward(Record<Windowed<K>, Change<VA>>{
        Windowed<K>{key, Window{start, start + windows_.time_difference_ms}},
        Change<VA>{std::move(aggregate), std::move(old)}, max_record, record.headers,
        record.position});
  }

  // Forwards the windows that closed since the last emission: those with end in
  // [emitted_up_to, close_time), i.e. start in [emitted_up_to - diff, close_time - 1 - diff].
  Result<bool> emit_closed(Timestamp emitted_up_to, Timestamp close_time) {
    const Timestamp diff = windows_.time_difference_ms;
    const Timestamp last_start = close_time - 1 - diff;
    if (last_start < 0) return false;  // Not even the earliest window, [0, diff], closed.
    const Timestamp first_start = emitted_up_to == WindowCloseEmitter::kNeverEmitted
                                      ? 0
                                      : std::max<Timestamp>(0, emitted_up_to - diff);
    if (!pending_.loaded()) {
      // Every window not yet emitted, as the store holds them after a restore: the one scan of
      // the whole store; from here on, puts keep the index.
      const Timestamp latest = raw_store_->observed_stream_time();
      if (latest >= first_start) {
        RUNNEL_ASSIGN_OR_RETURN(auto stored, store_->fetch_all(first_start, latest));
        for (const auto& [windowed, value] : stored) {
          RUNNEL_ASSIGN_OR_RETURN(Bytes key_bytes, store_->serialize_key(windowed.key));
          pending_.add(windowed.window.start_ms, key_bytes.view());
        }
      }
      pending_.set_loaded();
    }
    RUNNEL_RETURN_IF_ERROR(pending_.take(
        first_start, last_start,
        [&](Timestamp start, BytesView key_bytes) { return emit_window(start, key_bytes); }));
    return true;
  }

  Status emit_window(Timestamp start, BytesView key_bytes) {
    RUNNEL_ASSIGN_OR_RETURN(std::optional<ValueAndTimestamp<VA>> value,
                            store_->fetch_serialized(key_bytes, start));
    // Every pending window is in the store (retention outlasts it, nothing removes windows).
    if (!value) {
      return internal_error("sliding window at " + std::to_string(start) + " of " + name() +
                            " is missing from store " + store_name_ + " before it closed");
    }
    RUNNEL_ASSIGN_OR_RETURN(K key, key_serde_->deserialize(key_bytes));
    return this->forward(Record<Windowed<K>, Change<VA>>{
        Windowed<K>{std::move(key), Window{start, start + windows_.time_difference_ms}},
        Change<VA>{std::move(value->value), std::nullopt}, value->timestamp});
  }

  std::string store_name_;
  SlidingWindows windows_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<ValueAndTimestamp<VA>>> value_serde_;
  std::optional<state::TypedWindowStore<K, ValueAndTimestamp<VA>>> store_;
  std::optional<WindowCacheFlushForwarder<K, VA, /*kTimestamped=*/true>> flush_forwarder_;
  bool cached_ = false;
  state::WindowStore* raw_store_ = nullptr;  // The task's; valid from init to close.
  WindowCloseEmitter emitter_;               // Enabled when emitting on window close.
  PendingWindows pending_;          // On window close: the windows put and not yet emitted.
  std::optional<Bytes> key_bytes_;  // On window close: the record's key, serialized once.
  Step step_;
};

}  // namespace runnel::internal

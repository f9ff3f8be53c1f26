#include "state/internal/segmented_session_store.h"

#include <limits>
#include <utility>
#include <vector>

#include "state/window_key_schema.h"

namespace runnel::state::internal {

namespace {

class SegmentedSessionIterator final : public SessionStoreIterator {
 public:
  explicit SegmentedSessionIterator(FilteredSegmentsIterator it) : it_(std::move(it)) {}
  bool valid() const override { return it_.valid(); }
  BytesView key() const override { return session_key::extract_key(it_.store_key()); }
  Window session() const override {
    return Window{session_key::extract_start(it_.store_key()),
                  session_key::extract_end(it_.store_key())};
  }
  BytesView value() const override { return it_.value(); }
  void next() override { it_.next(); }
  Status status() const override { return it_.status(); }

 private:
  FilteredSegmentsIterator it_;
};

constexpr Timestamp kMaxTime = std::numeric_limits<Timestamp>::max();

}  // namespace

SegmentedSessionStore::SegmentedSessionStore(std::string name, SessionStoreOptions options,
                                             std::unique_ptr<SegmentFactory> factory)
    : name_(std::move(name)),
      options_(options),
      segments_(name_, options.retention_ms, options.segment_interval_ms, std::move(factory)) {}

SegmentedSessionStore::~SegmentedSessionStore() { (void)close(); }

Status SegmentedSessionStore::open_existing() {
  RUNNEL_RETURN_IF_ERROR(segments_.open_existing());
  // Newest first, down to the first segment holding an entry: the newest may be empty (made
  // for writes that a crash lost before they were flushed or committed).
  const std::vector<Segments::Segment> all = segments_.overlapping(0, kMaxTime);
  for (auto segment = all.rbegin(); segment != all.rend() && stream_time_ < 0; ++segment) {
    RUNNEL_ASSIGN_OR_RETURN(auto it, segment->store->all());
    for (; it->valid(); it->next()) {
      if (session_key::is_valid(it->key()))
        stream_time_ = std::max(stream_time_, session_key::extract_end(it->key()));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
  }
  return segments_.drop_expired(stream_time_);
}

Status SegmentedSessionStore::check_window(Window session) const {
  if (session.start_ms < 0 || session.end_ms < session.start_ms) {
    return invalid_argument_error("session store '" + name_ + "': invalid session [" +
                                  std::to_string(session.start_ms) + ", " +
                                  std::to_string(session.end_ms) + "]");
  }
  return Status();
}

Status SegmentedSessionStore::observe(Timestamp end) {
  if (end <= stream_time_) return Status();
  stream_time_ = end;
  return segments_.drop_expired(stream_time_);
}

Status SegmentedSessionStore::put(BytesView key, Window session, BytesView value) {
  if (!open_) return store_closed_error(name_);
  RUNNEL_RETURN_IF_ERROR(check_window(session));
  RUNNEL_RETURN_IF_ERROR(observe(session.end_ms));
  if (expired(session.end_ms)) {
    ++expired_puts_dropped_;
    return Status();
  }
  RUNNEL_ASSIGN_OR_RETURN(KeyValueStore * segment,
                          segments_.get_or_create(session.end_ms, stream_time_));
  if (segment == nullptr) {
    ++expired_puts_dropped_;
    return Status();
  }
  return segment->put(session_key::to_store_key(key, session.start_ms, session.end_ms), value);
}

Status SegmentedSessionStore::remove(BytesView key, Window session) {
  if (!open_) return store_closed_error(name_);
  RUNNEL_RETURN_IF_ERROR(check_window(session));
  KeyValueStore* segment = segments_.get(session.end_ms);
  if (segment == nullptr) return Status();
  return segment->delete_key(session_key::to_store_key(key, session.start_ms, session.end_ms))
      .status();
}

Result<std::optional<Bytes>> SegmentedSessionStore::fetch_session(BytesView key, Window session) {
  if (!open_) return store_closed_error(name_);
  RUNNEL_RETURN_IF_ERROR(check_window(session));
  if (expired(session.end_ms)) return std::optional<Bytes>();
  KeyValueStore* segment = segments_.get(session.end_ms);
  if (segment == nullptr) return std::optional<Bytes>();
  return segment->get(session_key::to_store_key(key, session.start_ms, session.end_ms));
}

Result<std::unique_ptr<SessionStoreIterator>> SegmentedSessionStore::scan(
    BytesView from, const std::function<Bytes(Timestamp)>& to, Timestamp earliest_end,
    Timestamp latest_start, std::function<bool(BytesView)> key_filter) {
  if (!open_) return store_closed_error(name_);
  earliest_end = std::max(earliest_end, segments_.min_live_time(stream_time_));
  std::vector<std::shared_ptr<KeyValueStore>> stores;
  std::vector<std::unique_ptr<KeyValueIterator>> parts;
  for (const Segments::Segment& segment : segments_.overlapping(earliest_end, kMaxTime)) {
    RUNNEL_ASSIGN_OR_RETURN(auto part,
                            segment.store->range(from, to(segments_.last_time_of(segment.id))));
    parts.push_back(std::move(part));
    stores.push_back(segment.store);
  }
  auto keep = [earliest_end, latest_start, key_filter = std::move(key_filter)](BytesView k) {
    if (!session_key::is_valid(k)) return false;
    return session_key::extract_end(k) >= earliest_end &&
           session_key::extract_start(k) <= latest_start && key_filter(session_key::extract_key(k));
  };
  return std::unique_ptr<SessionStoreIterator>(std::make_unique<SegmentedSessionIterator>(
      FilteredSegmentsIterator(std::move(stores), std::move(parts), std::move(keep))));
}

Result<std::unique_ptr<SessionStoreIterator>> SegmentedSessionStore::find_sessions(
    BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) {
  Bytes from = session_key::to_store_key(key, 0, std::max<Timestamp>(earliest_session_end, 0));
  Bytes to = session_key::to_store_key(key, kMaxTime, kMaxTime);
  Bytes wanted(key);
  return scan(
      from, [&to](Timestamp) { return to; }, earliest_session_end, latest_session_start,
      [wanted = std::move(wanted)](BytesView k) { return k == wanted.view(); });
}

Result<std::unique_ptr<SessionStoreIterator>> SegmentedSessionStore::find_sessions(
    BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
    Timestamp latest_session_start) {
  // In a segment, suffixes are at most (its last end time) | any start; a start of -1 writes
  // the all-ones bytes that bound any start.
  auto to = [key_to](Timestamp segment_last_time) {
    return internal::key_range_upper_bound(
        key_to, session_key::to_store_key(BytesView(), /*session_start=*/-1, segment_last_time));
  };
  Bytes low(key_from), high(key_to);
  return scan(key_from, to, earliest_session_end, latest_session_start,
              [low = std::move(low), high = std::move(high)](BytesView k) {
                return k >= low.view() && k <= high.view();
              });
}

Result<std::unique_ptr<SessionStoreIterator>> SegmentedSessionStore::fetch(BytesView key) {
  return find_sessions(key, 0, kMaxTime);
}

Status SegmentedSessionStore::flush() {
  if (!open_) return store_closed_error(name_);
  return segments_.flush();
}

Status SegmentedSessionStore::close() {
  if (!open_) return Status();
  open_ = false;
  return segments_.close();
}

Status SegmentedSessionStore::restore_batch(std::span<const RestoreRecord> records) {
  if (!open_) return store_closed_error(name_);
  for (const RestoreRecord& record : records) {
    if (!session_key::is_valid(record.key)) {
      return corruption_error("session store '" + name_ + "': changelog key of " +
                              std::to_string(record.key.size()) +
                              " bytes is too short for a session key");
    }
    const Window session{session_key::extract_start(record.key),
                         session_key::extract_end(record.key)};
    RUNNEL_RETURN_IF_ERROR(check_window(session));
    RUNNEL_RETURN_IF_ERROR(observe(session.end_ms));
    if (expired(session.end_ms)) continue;
    RUNNEL_ASSIGN_OR_RETURN(KeyValueStore * segment,
                            segments_.get_or_create(session.end_ms, stream_time_));
    if (segment == nullptr) continue;
    RestoreRecord one = record;
    RUNNEL_RETURN_IF_ERROR(segment->restore_batch(std::span<const RestoreRecord>(&one, 1)));
  }
  return Status();
}

}  // namespace runnel::state::internal

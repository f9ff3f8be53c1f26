#include "state/internal/segmented_window_store.h"

#include <limits>
#include <utility>
#include <vector>

#include "state/window_key_schema.h"

namespace runnel::state::internal {

namespace {

class SegmentedWindowIterator final : public WindowStoreIterator {
 public:
  explicit SegmentedWindowIterator(FilteredSegmentsIterator it) : it_(std::move(it)) {}
  bool valid() const override { return it_.valid(); }
  BytesView key() const override { return window_key::extract_key(it_.store_key()); }
  Timestamp window_start() const override {
    return window_key::extract_window_start(it_.store_key());
  }
  BytesView value() const override { return it_.value(); }
  void next() override { it_.next(); }
  Status status() const override { return it_.status(); }

 private:
  FilteredSegmentsIterator it_;
};

Status negative_time_error(const std::string& store, Timestamp t) {
  return invalid_argument_error("window store '" + store + "': negative window start " +
                                std::to_string(t));
}

constexpr std::uint32_t kMaxSeqnum = std::numeric_limits<std::uint32_t>::max();

}  // namespace

SegmentedWindowStore::SegmentedWindowStore(std::string name, WindowStoreOptions options,
                                           std::unique_ptr<SegmentFactory> factory)
    : name_(std::move(name)),
      options_(options),
      segments_(name_, options.retention_ms, options.segment_interval_ms, std::move(factory)) {}

SegmentedWindowStore::~SegmentedWindowStore() { (void)close(); }

Status SegmentedWindowStore::open_existing() {
  RUNNEL_RETURN_IF_ERROR(segments_.open_existing());
  // Newest first, down to the first segment holding an entry: the newest may be empty (made
  // for writes that a crash lost before they were flushed or committed).
  const std::vector<Segments::Segment> all =
      segments_.overlapping(0, std::numeric_limits<Timestamp>::max());
  for (auto segment = all.rbegin(); segment != all.rend() && stream_time_ < 0; ++segment) {
    RUNNEL_ASSIGN_OR_RETURN(auto it, segment->store->all());
    for (; it->valid(); it->next()) {
      if (!window_key::is_valid(it->key())) continue;
      stream_time_ = std::max(stream_time_, window_key::extract_window_start(it->key()));
      seqnum_ = std::max(seqnum_, window_key::extract_seqnum(it->key()));
    }
    RUNNEL_RETURN_IF_ERROR(it->status());
  }
  return segments_.drop_expired(stream_time_);
}

Status SegmentedWindowStore::observe(Timestamp t) {
  if (t <= stream_time_) return Status();
  stream_time_ = t;
  return segments_.drop_expired(stream_time_);
}

Status SegmentedWindowStore::put(BytesView key, BytesView value, Timestamp window_start) {
  if (!open_) return store_closed_error(name_);
  if (window_start < 0) return negative_time_error(name_, window_start);
  RUNNEL_RETURN_IF_ERROR(observe(window_start));
  if (expired(window_start)) {
    ++expired_puts_dropped_;
    return Status();
  }
  RUNNEL_ASSIGN_OR_RETURN(KeyValueStore * segment,
                          segments_.get_or_create(window_start, stream_time_));
  if (segment == nullptr) {
    ++expired_puts_dropped_;
    return Status();
  }
  const std::uint32_t seqnum = options_.retain_duplicates ? ++seqnum_ : 0;
  return segment->put(window_key::to_store_key(key, window_start, seqnum), value);
}

Status SegmentedWindowStore::remove(BytesView key, Timestamp window_start) {
  if (!open_) return store_closed_error(name_);
  if (options_.retain_duplicates) {
    return invalid_argument_error("window store '" + name_ +
                                  "' retains duplicates, so entries cannot be removed");
  }
  if (window_start < 0) return negative_time_error(name_, window_start);
  KeyValueStore* segment = segments_.get(window_start);
  if (segment == nullptr) return Status();
  return segment->delete_key(window_key::to_store_key(key, window_start, 0)).status();
}

Result<std::optional<Bytes>> SegmentedWindowStore::fetch(BytesView key, Timestamp window_start) {
  if (!open_) return store_closed_error(name_);
  if (window_start < 0 || expired(window_start)) return std::optional<Bytes>();
  KeyValueStore* segment = segments_.get(window_start);
  if (segment == nullptr) return std::optional<Bytes>();
  if (!options_.retain_duplicates) {
    return segment->get(window_key::to_store_key(key, window_start, 0));
  }
  RUNNEL_ASSIGN_OR_RETURN(auto it,
                          segment->range(window_key::to_store_key(key, window_start, 0),
                                         window_key::to_store_key(key, window_start, kMaxSeqnum)));
  if (it->valid()) return std::optional<Bytes>(Bytes(it->value()));
  RUNNEL_RETURN_IF_ERROR(it->status());
  return std::optional<Bytes>();
}

Result<std::unique_ptr<WindowStoreIterator>> SegmentedWindowStore::scan(
    const ScanRange& range, Timestamp time_from, Timestamp time_to,
    std::function<bool(BytesView)> key_filter) {
  if (!open_) return store_closed_error(name_);
  time_from = std::max(time_from, segments_.min_live_time(stream_time_));
  std::vector<std::shared_ptr<KeyValueStore>> stores;
  std::vector<std::unique_ptr<KeyValueIterator>> parts;
  for (const Segments::Segment& segment : segments_.overlapping(time_from, time_to)) {
    RUNNEL_ASSIGN_OR_RETURN(
        auto part, range.whole ? segment.store->all()
                               : segment.store->range(
                                     range.from, range.to(segments_.last_time_of(segment.id))));
    parts.push_back(std::move(part));
    stores.push_back(segment.store);
  }
  auto keep = [time_from, time_to, key_filter = std::move(key_filter)](BytesView store_key) {
    if (!window_key::is_valid(store_key)) return false;
    Timestamp t = window_key::extract_window_start(store_key);
    return t >= time_from && t <= time_to && key_filter(window_key::extract_key(store_key));
  };
  return std::unique_ptr<WindowStoreIterator>(std::make_unique<SegmentedWindowIterator>(
      FilteredSegmentsIterator(std::move(stores), std::move(parts), std::move(keep))));
}

Result<std::unique_ptr<WindowStoreIterator>> SegmentedWindowStore::fetch(BytesView key,
                                                                         Timestamp time_from,
                                                                         Timestamp time_to) {
  // Entries of one key are contiguous between these bounds (other keys may interleave, and
  // are filtered out).
  ScanRange range;
  range.from = window_key::to_store_key(key, std::max<Timestamp>(time_from, 0), 0);
  range.to = [to = window_key::to_store_key(key, std::max<Timestamp>(time_to, 0), kMaxSeqnum)](
                 Timestamp) { return to; };
  Bytes wanted(key);
  return scan(range, time_from, time_to,
              [wanted = std::move(wanted)](BytesView k) { return k == wanted.view(); });
}

Result<std::unique_ptr<WindowStoreIterator>> SegmentedWindowStore::fetch(BytesView key_from,
                                                                         BytesView key_to,
                                                                         Timestamp time_from,
                                                                         Timestamp time_to) {
  if (key_from > key_to) time_to = time_from - 1;  // nothing
  ScanRange range;
  // Every store key whose key part is >= key_from sorts at or after key_from itself.
  range.from = Bytes(key_from);
  // In a segment, suffixes are at most (its last time, or time_to) | max seqnum.
  range.to = [key_to = Bytes(key_to), time_to](Timestamp segment_last_time) {
    Bytes max_suffix = window_key::to_store_key(
        BytesView(), std::max<Timestamp>(std::min(time_to, segment_last_time), 0), kMaxSeqnum);
    return internal::key_range_upper_bound(key_to, max_suffix);
  };
  Bytes low(key_from), high(key_to);
  return scan(range, time_from, time_to,
              [low = std::move(low), high = std::move(high)](BytesView k) {
                return k >= low.view() && k <= high.view();
              });
}

Result<std::unique_ptr<WindowStoreIterator>> SegmentedWindowStore::fetch_all(Timestamp time_from,
                                                                             Timestamp time_to) {
  ScanRange range;
  range.whole = true;
  return scan(range, time_from, time_to, [](BytesView) { return true; });
}

Status SegmentedWindowStore::flush() {
  if (!open_) return store_closed_error(name_);
  return segments_.flush();
}

Status SegmentedWindowStore::close() {
  if (!open_) return Status();
  open_ = false;
  return segments_.close();
}

Status SegmentedWindowStore::restore_batch(std::span<const RestoreRecord> records) {
  if (!open_) return store_closed_error(name_);
  for (const RestoreRecord& record : records) {
    if (!window_key::is_valid(record.key)) {
      return corruption_error("window store '" + name_ + "': changelog key of " +
                              std::to_string(record.key.size()) +
                              " bytes is too short for a window key");
    }
    const Timestamp t = window_key::extract_window_start(record.key);
    if (t < 0) return negative_time_error(name_, t);
    seqnum_ = std::max(seqnum_, window_key::extract_seqnum(record.key));
    RUNNEL_RETURN_IF_ERROR(observe(t));
    if (expired(t)) continue;
    RUNNEL_ASSIGN_OR_RETURN(KeyValueStore * segment, segments_.get_or_create(t, stream_time_));
    if (segment == nullptr) continue;
    RestoreRecord one = record;
    RUNNEL_RETURN_IF_ERROR(segment->restore_batch(std::span<const RestoreRecord>(&one, 1)));
  }
  return Status();
}

}  // namespace runnel::state::internal

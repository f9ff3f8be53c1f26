#include "state/internal/segments.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <system_error>
#include <utility>

#include "core/log.h"
#include "state/in_memory_key_value_store.h"

namespace runnel::state::internal {

namespace {

class InMemorySegmentFactory final : public SegmentFactory {
 public:
  explicit InMemorySegmentFactory(std::string store_name) : store_name_(std::move(store_name)) {}

  Result<std::unique_ptr<KeyValueStore>> open(std::int64_t segment_id) override {
    return std::unique_ptr<KeyValueStore>(
        std::make_unique<InMemoryKeyValueStore>(store_name_ + "." + std::to_string(segment_id)));
  }
  Status destroy(std::int64_t) override { return Status(); }
  Result<std::vector<std::int64_t>> list_existing() override { return std::vector<std::int64_t>(); }

 private:
  const std::string store_name_;
};

class RocksDbSegmentFactory final : public SegmentFactory {
 public:
  RocksDbSegmentFactory(std::string store_name, std::filesystem::path directory,
                        Timestamp interval_ms, RocksDbStoreOptions options)
      : store_name_(std::move(store_name)),
        directory_(std::move(directory)),
        interval_ms_(interval_ms),
        options_(options) {}

  Result<std::unique_ptr<KeyValueStore>> open(std::int64_t segment_id) override {
    RUNNEL_ASSIGN_OR_RETURN(
        auto store, RocksDbKeyValueStore::open(segment_name(segment_id),
                                               directory_ / segment_name(segment_id), options_));
    return std::unique_ptr<KeyValueStore>(std::move(store));
  }

  Result<std::unique_ptr<KeyValueStore>> open_unregistered(std::int64_t segment_id) override {
    RocksDbStoreOptions options = options_;
    options.defer_registration = true;
    RUNNEL_ASSIGN_OR_RETURN(
        auto store, RocksDbKeyValueStore::open(segment_name(segment_id),
                                               directory_ / segment_name(segment_id), options));
    return std::unique_ptr<KeyValueStore>(std::move(store));
  }

  void adopt(KeyValueStore& segment) override {
    // Every segment this factory makes is a RocksDbKeyValueStore.
    static_cast<RocksDbKeyValueStore&>(segment).register_uncommitted_writes();
  }

  Status destroy(std::int64_t segment_id) override {
    return RocksDbKeyValueStore::destroy(directory_ / segment_name(segment_id));
  }

  UncommittedWrites* uncommitted_writes() const override { return options_.uncommitted_writes; }
  // Creating a RocksDB instance makes and syncs several files: tens of milliseconds.
  bool opens_ahead() const override { return true; }

  Result<std::vector<std::int64_t>> list_existing() override {
    std::vector<std::int64_t> ids;
    std::error_code ec;
    if (!std::filesystem::exists(directory_, ec)) return ids;
    const std::string prefix = store_name_ + ".";
    for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
      std::string file = entry.path().filename().string();
      if (!entry.is_directory() || !file.starts_with(prefix)) continue;
      std::int64_t start = 0;
      const char* first = file.data() + prefix.size();
      const char* last = file.data() + file.size();
      auto [end, error] = std::from_chars(first, last, start);
      if (error != std::errc() || end != last || start < 0 || start % interval_ms_ != 0) continue;
      ids.push_back(start / interval_ms_);
    }
    if (ec) {
      return io_error("window/session store '" + store_name_ + "' at " + directory_.string() +
                      ": listing segments: " + ec.message());
    }
    return ids;
  }

 private:
  std::string segment_name(std::int64_t segment_id) const {
    return store_name_ + "." + std::to_string(segment_id * interval_ms_);
  }

  const std::string store_name_;
  const std::filesystem::path directory_;
  const Timestamp interval_ms_;
  const RocksDbStoreOptions options_;
};

}  // namespace

std::unique_ptr<SegmentFactory> make_in_memory_segment_factory(std::string store_name) {
  return std::make_unique<InMemorySegmentFactory>(std::move(store_name));
}

std::unique_ptr<SegmentFactory> make_rocksdb_segment_factory(std::string store_name,
                                                             std::filesystem::path directory,
                                                             Timestamp interval_ms,
                                                             RocksDbStoreOptions options) {
  return std::make_unique<RocksDbSegmentFactory>(std::move(store_name), std::move(directory),
                                                 interval_ms, options);
}

Bytes key_range_upper_bound(BytesView key_to, BytesView max_suffix) {
  Bytes best;
  Bytes candidate;
  for (std::size_t j = 0; j <= key_to.size(); ++j) {
    candidate.clear();
    candidate.append(key_to.subview(0, j));
    candidate.append(max_suffix);
    if (j == 0 || candidate.view() > best.view()) best = candidate;
  }
  return best;
}

Timestamp default_segment_interval(Timestamp retention_ms) {
  return std::max<Timestamp>(retention_ms / 2, 60'000);
}

Segments::Segments(std::string store_name, Timestamp retention_ms, Timestamp interval_ms,
                   std::unique_ptr<SegmentFactory> factory)
    : store_name_(std::move(store_name)),
      retention_ms_(retention_ms),
      interval_ms_(interval_ms),
      factory_(std::move(factory)),
      uncommitted_writes_(factory_->uncommitted_writes()) {
  if (uncommitted_writes_ != nullptr) uncommitted_writes_->add(this);
}

Segments::~Segments() {
  // The open must end before the factory goes; the store closes as it is destroyed.
  if (prepared_id_.has_value()) (void)take_prepared();
  if (uncommitted_writes_ != nullptr) uncommitted_writes_->remove(this);
}

void Segments::prepare(std::int64_t id) {
  if (prepared_id_.has_value() || !factory_->opens_ahead()) return;
  prepared_id_ = id;
  // The factory outlives the open: take_prepared() (at the latest in close() or the
  // destructor) waits for it.
  prepared_ = std::async(std::launch::async, [factory = factory_.get(), id, name = store_name_] {
    const auto start = std::chrono::steady_clock::now();
    Result<std::unique_ptr<KeyValueStore>> segment = factory->open_unregistered(id);
    log::debug("{}: segment {} opened ahead in {:.1f} ms", name, id,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count());
    return segment;
  });
}

Result<std::unique_ptr<KeyValueStore>> Segments::take_prepared() {
  prepared_id_.reset();
  Result<std::unique_ptr<KeyValueStore>> segment = prepared_.get();
  // Opened off this thread without registering (buffered mode): registered here, before
  // any write reaches it.
  if (segment.ok() && uncommitted_writes_ != nullptr) factory_->adopt(**segment);
  return segment;
}

Status Segments::open_existing() {
  RUNNEL_ASSIGN_OR_RETURN(std::vector<std::int64_t> ids, factory_->list_existing());
  for (std::int64_t id : ids) {
    RUNNEL_ASSIGN_OR_RETURN(auto segment, factory_->open(id));
    segments_.emplace(id, std::move(segment));
  }
  return Status();
}

Result<KeyValueStore*> Segments::get_or_create(Timestamp t, Timestamp stream_time) {
  const Timestamp min_live = min_live_time(stream_time);
  if (min_live > 0 && segment_id(t) < segment_id(min_live))
    return static_cast<KeyValueStore*>(nullptr);
  const std::int64_t id = segment_id(t);
  auto it = segments_.find(id);
  if (it != segments_.end()) return it->second.get();
  std::unique_ptr<KeyValueStore> segment;
  if (prepared_id_.has_value() && *prepared_id_ <= id) {
    // Opened ahead: it is this one, or the stream time jumped past it and it joins the live
    // set (empty) so that every segment on disk is accounted for.
    const std::int64_t prepared_id = *prepared_id_;
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<KeyValueStore> prepared, take_prepared());
    if (prepared_id == id) {
      segment = std::move(prepared);
    } else {
      segments_.emplace(prepared_id, std::move(prepared));
    }
  }
  if (segment == nullptr) {
    const auto open_start = std::chrono::steady_clock::now();
    RUNNEL_ASSIGN_OR_RETURN(segment, factory_->open(id));
    log::debug(
        "{}: segment {} opened in {:.1f} ms", store_name_, id,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - open_start)
            .count());
  }
  KeyValueStore* raw = segment.get();
  segments_.emplace(id, std::move(segment));
  // The newest segment: the next one is needed next, as the stream time moves on.
  if (segments_.rbegin()->first == id) prepare(id + 1);
  return raw;
}

KeyValueStore* Segments::get(Timestamp t) const {
  auto it = segments_.find(segment_id(t));
  return it == segments_.end() ? nullptr : it->second.get();
}

std::vector<Segments::Segment> Segments::overlapping(Timestamp from, Timestamp to) const {
  std::vector<Segment> out;
  if (from > to) return out;
  for (auto it = segments_.lower_bound(segment_id(std::max<Timestamp>(from, 0)));
       it != segments_.end() && it->first <= segment_id(to); ++it) {
    out.push_back(Segment{it->first, it->second});
  }
  return out;
}

KeyValueStore* Segments::newest() const {
  return segments_.empty() ? nullptr : segments_.rbegin()->second.get();
}

Status Segments::drop_expired(Timestamp stream_time) {
  const Timestamp min_live = min_live_time(stream_time);
  if (min_live > 0) {
    const std::int64_t min_live_segment = segment_id(min_live);
    while (!segments_.empty() && segments_.begin()->first < min_live_segment) {
      auto node = segments_.extract(segments_.begin());
      retired_.push_back(Retired{node.key(), std::move(node.mapped()),
                                 /*deletable=*/uncommitted_writes_ == nullptr});
    }
  }
  return reap_retired();
}

Status Segments::reap_retired() {
  Status first_error;
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (!it->deletable || it->store.use_count() > 1) {  // not committed, or a scan reads it
      ++it;
      continue;
    }
    const auto reap_start = std::chrono::steady_clock::now();
    Status status = it->store->close();
    const auto closed_at = std::chrono::steady_clock::now();
    it->store.reset();
    if (status.ok()) status = factory_->destroy(it->id);
    log::debug(
        "{}: segment {} closed in {:.1f} ms, deleted in {:.1f} ms", store_name_, it->id,
        std::chrono::duration<double, std::milli>(closed_at - reap_start).count(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - closed_at)
            .count());
    if (first_error.ok() && !status.ok()) first_error = status;
    it = retired_.erase(it);
  }
  return first_error;
}

Status Segments::after_commit() {
  for (Retired& retired : retired_) retired.deletable = true;
  return reap_retired();
}

Status Segments::flush() {
  for (auto& [id, segment] : segments_) RUNNEL_RETURN_IF_ERROR(segment->flush());
  return reap_retired();
}

Status Segments::close() {
  Status first_error;
  if (prepared_id_.has_value()) {
    // Closed with the others below; its (empty) files stay for open_existing().
    const std::int64_t prepared_id = *prepared_id_;
    Result<std::unique_ptr<KeyValueStore>> prepared = take_prepared();
    if (prepared.ok()) {
      segments_.emplace(prepared_id, std::move(prepared).value());
    } else {
      first_error = prepared.status();
    }
  }
  for (auto& [id, segment] : segments_) {
    Status s = segment->close();
    if (first_error.ok() && !s.ok()) first_error = s;
  }
  segments_.clear();
  // Retired segments were expired: delete them even if a scan still holds one (its
  // iterators were just invalidated by close()), unless their expiry was never committed
  // (the next run finds them again and expires them once more).
  for (Retired& retired : retired_) {
    Status s = retired.store->close();
    retired.store.reset();
    if (s.ok() && retired.deletable) s = factory_->destroy(retired.id);
    if (first_error.ok() && !s.ok()) first_error = s;
  }
  retired_.clear();
  if (uncommitted_writes_ != nullptr) {
    uncommitted_writes_->remove(this);
    uncommitted_writes_ = nullptr;
  }
  return first_error;
}

FilteredSegmentsIterator::FilteredSegmentsIterator(
    std::vector<std::shared_ptr<KeyValueStore>> segments,
    std::vector<std::unique_ptr<KeyValueIterator>> parts,
    std::function<bool(BytesView store_key)> keep)
    : segments_(std::move(segments)), parts_(std::move(parts)), keep_(std::move(keep)) {
  settle();
}

void FilteredSegmentsIterator::next() {
  parts_[part_]->next();
  settle();
}

void FilteredSegmentsIterator::settle() {
  while (part_ < parts_.size()) {
    KeyValueIterator& it = *parts_[part_];
    if (!it.valid()) {
      if (!it.status().ok()) {
        status_ = it.status();
        return;
      }
      ++part_;
      continue;
    }
    if (keep_(it.key())) return;
    it.next();
  }
}

}  // namespace runnel::state::internal

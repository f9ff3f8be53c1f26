#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/timestamp.h"
#include "state/key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/uncommitted_writes.h"

namespace runnel::state::internal {

// Makes, finds and deletes the key-value stores that hold one time segment each.
class SegmentFactory {
 public:
  virtual ~SegmentFactory() = default;
  // Opens (creating if missing) the segment `segment_id`. Must be safe to call on another
  // thread while the owner calls open, destroy or list_existing for other segments (Segments
  // opens the next segment ahead on a thread of its own).
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueStore>> open(std::int64_t segment_id) = 0;
  // Deletes the data of a segment that has been closed.
  [[nodiscard]] virtual Status destroy(std::int64_t segment_id) = 0;
  // The segments left by an earlier run, to reopen at start.
  [[nodiscard]] virtual Result<std::vector<std::int64_t>> list_existing() = 0;
  // Where the segments' writes wait for commit (buffered mode), or null.
  virtual UncommittedWrites* uncommitted_writes() const { return nullptr; }
  // Whether opening a segment is slow enough to be worth doing ahead, on another thread.
  virtual bool opens_ahead() const { return false; }
  // open(), for a segment opened ahead on another thread: in buffered mode the segment is
  // not registered with uncommitted_writes() yet, which is the owner thread's to do, with
  // adopt() when it takes the segment. The same as open() outside buffered mode.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueStore>> open_unregistered(
      std::int64_t segment_id) {
    return open(segment_id);
  }
  // Registers a segment from open_unregistered() with uncommitted_writes(); owner thread,
  // before the segment's first write.
  virtual void adopt(KeyValueStore&) {}
};

// Segments are InMemoryKeyValueStores; nothing persists.
std::unique_ptr<SegmentFactory> make_in_memory_segment_factory(std::string store_name);

// Segment s is a RocksDbKeyValueStore at <directory>/<store_name>.<s * interval_ms>, the
// naming of Kafka Streams' segmented stores.
std::unique_ptr<SegmentFactory> make_rocksdb_segment_factory(std::string store_name,
                                                             std::filesystem::path directory,
                                                             Timestamp interval_ms,
                                                             RocksDbStoreOptions options);

// The live segments of a window or session store: segment s holds the entries whose segment
// time (window start, or session end) t has t / interval == s. A segment is live while it
// may hold unexpired entries, i.e. s >= (stream_time - retention + 1) / interval.
//
// Buffered mode (the factory gives an UncommittedWrites): an expired segment leaves the live
// set at once, as always, so reads stop seeing it, but its files are deleted only after the
// commit that expired it is durable (UncommittedWrites::commit, phase after_commit). A crash
// or a close before that commit leaves it on disk, where open_existing() finds it again.
//
// Opening ahead: a RocksDB segment's creation takes tens of milliseconds (files made and
// synced), which held every record behind it on the stream thread (docs/BENCHMARKS.md, "Time
// to alert, second round"). So when get_or_create() makes a new newest segment s, segment s+1
// is opened at once on a thread of its own, and the get_or_create() that needs it takes it
// ready (waiting for the open if it has not finished). A prepared segment is empty and not
// live until taken: reads do not see it. If the stream time jumps past it, it joins the live
// set when the newer segment is made (empty, it expires like any other); close() closes it
// and leaves it on disk, where open_existing() finds it, empty. Only for factories whose
// opens_ahead() (RocksDB's; an in-memory segment costs nothing to make). In buffered mode
// the segment is opened without registering with the UncommittedWrites
// (SegmentFactory::open_unregistered) and registered on the owner thread as it is taken
// (SegmentFactory::adopt), before anything is written to it.
// Not thread-safe: one owner thread; only the factory's open_unregistered() of the prepared
// segment runs on the other.
class Segments final : private UncommittedWrites::Participant {
 public:
  Segments(std::string store_name, Timestamp retention_ms, Timestamp interval_ms,
           std::unique_ptr<SegmentFactory> factory);
  ~Segments() override;
  Segments(const Segments&) = delete;
  Segments& operator=(const Segments&) = delete;

  Timestamp interval_ms() const { return interval_ms_; }
  // The earliest unexpired time given `stream_time` (may be negative: nothing expired).
  Timestamp min_live_time(Timestamp stream_time) const { return stream_time - retention_ms_ + 1; }

  // Reopens the segments a previous run left behind.
  [[nodiscard]] Status open_existing();
  // The segment for time `t`, created if needed; null if that segment has expired.
  [[nodiscard]] Result<KeyValueStore*> get_or_create(Timestamp t, Timestamp stream_time);
  // The segment for time `t` if it exists, or null.
  KeyValueStore* get(Timestamp t) const;
  struct Segment {
    std::int64_t id;
    // Shared so that a scan keeps the segments it reads alive past their expiry.
    std::shared_ptr<KeyValueStore> store;
  };
  // The existing segments that may hold times in [from, to], oldest first.
  std::vector<Segment> overlapping(Timestamp from, Timestamp to) const;
  // The last time segment `id` covers.
  Timestamp last_time_of(std::int64_t id) const { return (id + 1) * interval_ms_ - 1; }
  // The newest segment, or null.
  KeyValueStore* newest() const;
  // Retires every segment that holds only times before min_live_time(stream_time): it leaves
  // the live set at once, and is closed and deleted as soon as no scan holds it (at this or a
  // later call, or at close()) and, in buffered mode, its retirement has been committed.
  [[nodiscard]] Status drop_expired(Timestamp stream_time);
  // Live segments plus retired ones not yet deleted (the one opened ahead not included).
  std::size_t open_segment_count() const { return segments_.size() + retired_.size(); }
  // The segment being opened ahead (or opened and not yet taken), if any.
  std::optional<std::int64_t> prepared_segment() const { return prepared_id_; }
  [[nodiscard]] Status flush();
  // Closes every segment, retired ones included (scans still holding them end with Aborted
  // for RocksDB segments). Retired segments are deleted unless, in buffered mode, their
  // retirement was never committed.
  [[nodiscard]] Status close();

 private:
  struct Retired {
    std::int64_t id;
    std::shared_ptr<KeyValueStore> store;
    // Whether it may be deleted: always outside buffered mode; in it, once a commit
    // followed the retirement.
    bool deletable;
  };

  // Closes and deletes the deletable retired segments that no scan holds any more.
  [[nodiscard]] Status reap_retired();
  // Starts opening segment `id` on a thread of its own, unless a segment is already being
  // prepared, the segments are in buffered mode or the factory does not open ahead.
  void prepare(std::int64_t id);
  // Waits for the prepared segment's open and returns it (or its error); none is prepared
  // afterwards. Only when prepared_id_ is set.
  Result<std::unique_ptr<KeyValueStore>> take_prepared();

  // UncommittedWrites::Participant: retirements become deletable once committed.
  Status after_commit() override;

  std::int64_t segment_id(Timestamp t) const { return t / interval_ms_; }

  const std::string store_name_;
  const Timestamp retention_ms_;
  const Timestamp interval_ms_;
  std::unique_ptr<SegmentFactory> factory_;
  // Null outside buffered mode. Registered with while the segments are open.
  UncommittedWrites* uncommitted_writes_;
  std::map<std::int64_t, std::shared_ptr<KeyValueStore>> segments_;
  // Expired segments not yet deleted: a scan may still be reading them, or (buffered mode)
  // their expiry is not committed yet.
  std::vector<Retired> retired_;
  // The segment opened ahead, and its open (valid while prepared_id_ is set).
  std::optional<std::int64_t> prepared_id_;
  std::future<Result<std::unique_ptr<KeyValueStore>>> prepared_;
};

// The least upper bound, in byte order, of the composite keys key | suffix for every key k
// with k <= key_to and every suffix s <= max_suffix (all suffixes of one length). Not simply
// key_to | max_suffix: a proper prefix p of key_to sorts p | s after it when s's bytes exceed
// the bytes that continue p in key_to ("a" | 00 00 01 8b ... > "a" 00 00 00 | ...), so every
// prefix of key_to is a candidate. A key-range scan from key_from to this bound, filtered on
// the decoded key, sees every entry of the range.
Bytes key_range_upper_bound(BytesView key_to, BytesView max_suffix);

// Kafka Streams' default segment interval: max(retention / 2, 60 s).
Timestamp default_segment_interval(Timestamp retention_ms);

// Iterates the entries of several segment iterators in turn, skipping those `keep` rejects.
// The segment iterators are opened by the caller when the scan starts, which gives the scan
// snapshot semantics.
class FilteredSegmentsIterator {
 public:
  // `segments` are the stores `parts` read, kept alive for as long as the iterator.
  FilteredSegmentsIterator(std::vector<std::shared_ptr<KeyValueStore>> segments,
                           std::vector<std::unique_ptr<KeyValueIterator>> parts,
                           std::function<bool(BytesView store_key)> keep);

  // Checks the current part too: a part whose store was closed under it turns invalid.
  bool valid() const { return part_ < parts_.size() && status_.ok() && parts_[part_]->valid(); }
  BytesView store_key() const { return parts_[part_]->key(); }
  BytesView value() const { return parts_[part_]->value(); }
  void next();
  Status status() const {
    if (!status_.ok() || part_ >= parts_.size()) return status_;
    return parts_[part_]->status();
  }

 private:
  // Moves forward to the first kept entry at or after the current position.
  void settle();

  // Declared before parts_ so that the iterators are destroyed before their stores.
  std::vector<std::shared_ptr<KeyValueStore>> segments_;
  std::vector<std::unique_ptr<KeyValueIterator>> parts_;
  std::function<bool(BytesView)> keep_;
  std::size_t part_ = 0;
  Status status_;
};

}  // namespace runnel::state::internal

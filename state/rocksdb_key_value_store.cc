#include "state/rocksdb_key_value_store.h"

#include <compare>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "state/deferred_flushes.h"
#include "state/internal/bytes_less.h"
#include "state/internal/rocksdb_status.h"
#include "state/internal/write_overlay.h"

namespace runnel::state {

namespace {

rocksdb::Slice slice(BytesView bytes) {
  // An empty view may have no data pointer; RocksDB's comparators assert on one.
  if (bytes.empty()) return rocksdb::Slice("", 0);
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

BytesView view(const rocksdb::Slice& s) { return BytesView(s.data(), s.size()); }

enum IteratorMode { kForwardRange = 0, kReverseRange = 1, kPrefix = 2 };

// Whether `key` lies in what an iterator of `mode` over (from, to) covers (`from` is the
// prefix in kPrefix mode), assuming key >= from.
bool in_bounds(int mode, BytesView key, BytesView from, BytesView to) {
  return mode == kPrefix ? internal::has_prefix(key, from) : key <= to;
}

// The least key greater than every key starting with `prefix`, or nullopt when there is
// none (an empty prefix, or one of 0xff bytes only).
std::optional<Bytes> prefix_successor(BytesView prefix) {
  std::size_t size = prefix.size();
  while (size > 0 && prefix[size - 1] == 0xff) --size;
  if (size == 0) return std::nullopt;
  Bytes successor(prefix.subview(0, size));
  successor[size - 1] = static_cast<std::uint8_t>(successor[size - 1] + 1);
  return successor;
}

}  // namespace

// A RocksDB iterator bounded to a range or a prefix, merged in buffered mode with
// `overlay`: the iterator's own copy of the buffered entries in its range, taken when it
// was created. Being a copy, no later write to the store's overlay (or its application at
// commit, or a discard) changes what the iterator reads; the RocksDB iterator reads the
// implicit snapshot RocksDB took when it was made. Where both hold a key, the overlay's
// entry wins; a tombstone in the overlay hides the key. Registered with its store so that
// close() can release the RocksDB iterator before the DB.
class RocksDbKeyValueStore::Iterator final : public KeyValueIterator {
 public:
  Iterator(RocksDbKeyValueStore* store, internal::WriteOverlay::RangeCopy overlay, int mode,
           BytesView from, BytesView to)
      : store_(store), overlay_(std::move(overlay)), mode_(mode), from_(from), to_(to) {
    store_->open_iterators_.insert(this);
    rocksdb::ReadOptions options;
    set_bounds(options);
    it_.reset(store_->db_->NewIterator(options));
    switch (mode_) {
      case kForwardRange:
      case kPrefix:
        it_->Seek(slice(from_));
        break;
      case kReverseRange:
        it_->SeekForPrev(slice(to_));
        break;
    }
    settle();
  }

  ~Iterator() override {
    if (store_ != nullptr) store_->open_iterators_.erase(this);
  }

  bool valid() const override { return current_ != Source::kNone; }
  BytesView key() const override {
    return current_ == Source::kDb ? view(it_->key()) : overlay_.key(overlay_index());
  }
  BytesView value() const override {
    return current_ == Source::kDb ? view(it_->value()) : overlay_.value(overlay_index());
  }
  void next() override {
    if (current_ == Source::kDb || also_in_db_) step_db();
    if (current_ == Source::kOverlay) ++overlay_position_;
    settle();
  }
  Status status() const override {
    if (it_ == nullptr) return store_closed_error(name_);
    rocksdb::Status s = it_->status();
    if (s.ok()) return Status();
    return internal::from_rocksdb(s, "iterating", name_, directory_);
  }

  // Called by the store's close(): the RocksDB iterator must go before the DB.
  void invalidate() {
    name_ = store_->name_;
    directory_ = store_->directory_;
    it_.reset();
    overlay_ = internal::WriteOverlay::RangeCopy();
    store_ = nullptr;
    current_ = Source::kNone;
  }

 private:
  enum class Source { kNone, kDb, kOverlay };

  // Bounds RocksDB's iteration to the range (upper bound exclusive), so that it neither
  // reads past the range's end nor steps over the tombstones there. The slices point into
  // this iterator, which outlives its RocksDB iterator.
  void set_bounds(rocksdb::ReadOptions& options) {
    if (mode_ == kPrefix) {
      if (from_.empty()) return;
      std::optional<Bytes> successor = prefix_successor(from_);
      if (successor) upper_bound_ = std::move(*successor);
    } else {
      if (to_.view() < from_.view()) return;  // Empty: the bounds would be inverted.
      upper_bound_ = to_;
      upper_bound_.push_back(0);  // The least key after `to`.
    }
    lower_slice_ = slice(from_);
    options.iterate_lower_bound = &lower_slice_;
    if (!upper_bound_.empty()) {
      upper_slice_ = slice(upper_bound_);
      options.iterate_upper_bound = &upper_slice_;
    }
  }

  // The overlay copy ascends; a reverse iterator reads it from its end.
  std::size_t overlay_index() const {
    return mode_ == kReverseRange ? overlay_.size() - 1 - overlay_position_ : overlay_position_;
  }

  void step_db() {
    if (mode_ == kReverseRange) {
      it_->Prev();
    } else {
      it_->Next();
    }
  }

  // Whether the RocksDB iterator is on a key of the range.
  bool db_in_range() const {
    if (!it_->Valid()) return false;
    BytesView key = view(it_->key());
    return mode_ == kReverseRange ? key >= from_.view() : in_bounds(mode_, key, from_, to_);
  }

  // From the current positions, moves to the next entry to return (skipping the overlay's
  // tombstones and the RocksDB keys they hide) and records which side holds it.
  void settle() {
    also_in_db_ = false;
    for (;;) {
      const bool db = db_in_range();
      if (!db && !it_->status().ok()) {
        current_ = Source::kNone;  // status() reports the error.
        return;
      }
      const bool buffered = overlay_position_ < overlay_.size();
      if (!db && !buffered) {
        current_ = Source::kNone;
        return;
      }
      // Which comes first in the iterator's direction: < 0 RocksDB's key, > 0 the overlay's.
      int order = 1;
      if (!buffered) {
        order = -1;
      } else if (db) {
        const std::strong_ordering c = view(it_->key()) <=> overlay_.key(overlay_index());
        order = c < 0 ? -1 : (c > 0 ? 1 : 0);
        if (mode_ == kReverseRange) order = -order;
      }
      if (order < 0) {
        current_ = Source::kDb;
        return;
      }
      if (!overlay_.is_tombstone(overlay_index())) {
        current_ = Source::kOverlay;
        also_in_db_ = order == 0;
        return;
      }
      // A tombstone: skip it, and the key it hides in RocksDB.
      ++overlay_position_;
      if (order == 0) step_db();
    }
  }

  RocksDbKeyValueStore* store_;  // Null once the store invalidated this iterator.
  internal::WriteOverlay::RangeCopy overlay_;
  const int mode_;
  const Bytes from_;  // The lower bound, or the prefix.
  const Bytes to_;
  // RocksDB's iteration bounds, referred to by the ReadOptions the iterator was made with.
  Bytes upper_bound_;
  rocksdb::Slice lower_slice_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;  // Null once invalidated.
  // Entries of overlay_ consumed, in the iterator's direction.
  std::size_t overlay_position_ = 0;
  Source current_ = Source::kNone;
  // The overlay's current entry replaces RocksDB's current key, which next() must skip too.
  bool also_in_db_ = false;
  // For status() after invalidation.
  std::string name_;
  std::filesystem::path directory_;
};

RocksDbKeyValueStore::RocksDbKeyValueStore(std::string name, std::filesystem::path directory,
                                           bool use_wal)
    : name_(std::move(name)), directory_(std::move(directory)), use_wal_(use_wal) {}

RocksDbKeyValueStore::~RocksDbKeyValueStore() {
  // A destructor cannot report: callers that care about the flush call close() first.
  (void)close();
}

Result<std::unique_ptr<RocksDbKeyValueStore>> RocksDbKeyValueStore::open(
    std::string name, std::filesystem::path directory, const RocksDbStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return io_error("rocksdb store '" + name + "' at " + directory.string() +
                    ": cannot create directory: " + ec.message());
  }

  rocksdb::BlockBasedTableOptions table;
  if (options.memory_budget != nullptr) {
    table.block_cache = options.memory_budget->cache();
    // Index and filter blocks count against the budget too, at high priority.
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_top_level_index_and_filter = true;
  } else {
    table.block_cache = rocksdb::NewLRUCache(options.private_block_cache_bytes);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.write_buffer_size = options.write_buffer_size;
  db_options.max_write_buffer_number = 3;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // RocksDB loads the table files' handlers at open with up to max_file_opening_threads
  // threads (default 16), and spawns them even for a new, empty instance: a window store
  // opens an instance per segment, dozens an hour, and those thread creations were half of
  // an open's CPU besides its file creation and syncs (bench/state/store_bench.cc,
  // BM_RocksDbStoreOpenNew). A store's instance holds few files; one thread opens them.
  db_options.max_file_opening_threads = 1;
  // A bloom filter over the memtable's whole keys: a get of a key the memtable does not hold
  // (a window not made yet, a card seen for the first time) skips the skip list's search, 20
  // or so key comparisons with a cache miss each (bench/state/store_bench.cc,
  // BM_RocksDbStoreGetAbsentFromMemtable). Its size is this share of write_buffer_size.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.02;
  if (options.memory_budget != nullptr) {
    db_options.write_buffer_manager = options.memory_budget->write_buffer_manager();
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, directory.string(), &raw);
  if (!s.ok()) return internal::from_rocksdb(s, "opening", name, directory);

  auto store = std::unique_ptr<RocksDbKeyValueStore>(
      new RocksDbKeyValueStore(std::move(name), std::move(directory), options.use_write_ahead_log));
  store->db_.reset(raw);
  store->flush_handle_ = std::make_shared<FlushHandle>();
  store->flush_handle_->store = store.get();
  if (options.uncommitted_writes != nullptr) {
    store->overlay_ = std::make_unique<internal::WriteOverlay>();
    store->uncommitted_writes_ = options.uncommitted_writes;
    if (!options.defer_registration) store->register_uncommitted_writes();
  } else if (options.write_batch_bytes > 0) {
    store->overlay_ = std::make_unique<internal::WriteOverlay>();
    store->write_batch_bytes_ = options.write_batch_bytes;
  }
  return store;
}

void RocksDbKeyValueStore::register_uncommitted_writes() {
  if (uncommitted_writes_ == nullptr || registered_) return;
  uncommitted_writes_->add(this);
  registered_ = true;
}

Status RocksDbKeyValueStore::destroy(const std::filesystem::path& directory) {
  rocksdb::Status s = rocksdb::DestroyDB(directory.string(), rocksdb::Options());
  if (!s.ok()) return internal::from_rocksdb(s, "destroying", "", directory);
  std::error_code ec;
  std::filesystem::remove_all(directory, ec);
  if (ec) return io_error("removing " + directory.string() + ": " + ec.message());
  return Status();
}

Result<std::optional<Bytes>> RocksDbKeyValueStore::get(BytesView key) {
  if (!db_) return store_closed_error(name_);
  if (overlay_) {
    if (const internal::WriteOverlay::Entry* buffered = overlay_->find(key)) return *buffered;
  }
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), slice(key), &value);
  if (s.IsNotFound()) return std::optional<Bytes>();
  if (!s.ok()) return internal::from_rocksdb(s, "get", name_, directory_);
  return std::optional<Bytes>(Bytes(view(value)));
}

namespace {
rocksdb::WriteOptions write_options(bool use_wal) {
  rocksdb::WriteOptions options;
  options.disableWAL = !use_wal;
  return options;
}
}  // namespace

Status RocksDbKeyValueStore::put(BytesView key, BytesView value) {
  if (!db_) return store_closed_error(name_);
  if (overlay_) {
    overlay_->put(key, value);
    return apply_if_full();
  }
  rocksdb::Status s = db_->Put(write_options(use_wal_), slice(key), slice(value));
  if (!s.ok()) return internal::from_rocksdb(s, "put", name_, directory_);
  return Status();
}

Status RocksDbKeyValueStore::put_all(std::span<const KeyValue> entries) {
  if (!db_) return store_closed_error(name_);
  if (overlay_) {
    for (const KeyValue& entry : entries) overlay_->put(entry.key, entry.value);
    return apply_if_full();
  }
  rocksdb::WriteBatch batch;
  for (const KeyValue& entry : entries) {
    rocksdb::Status s = batch.Put(slice(entry.key), slice(entry.value));
    if (!s.ok()) return internal::from_rocksdb(s, "put_all", name_, directory_);
  }
  rocksdb::Status s = db_->Write(write_options(use_wal_), &batch);
  if (!s.ok()) return internal::from_rocksdb(s, "put_all", name_, directory_);
  return Status();
}

Result<std::optional<Bytes>> RocksDbKeyValueStore::put_if_absent(BytesView key, BytesView value) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> existing, get(key));
  if (existing) return existing;
  RUNNEL_RETURN_IF_ERROR(put(key, value));
  return std::optional<Bytes>();
}

Result<std::optional<Bytes>> RocksDbKeyValueStore::delete_key(BytesView key) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> existing, get(key));
  if (!existing) return existing;
  if (overlay_) {
    overlay_->erase(key);
    RUNNEL_RETURN_IF_ERROR(apply_if_full());
    return existing;
  }
  rocksdb::Status s = db_->Delete(write_options(use_wal_), slice(key));
  if (!s.ok()) return internal::from_rocksdb(s, "delete", name_, directory_);
  return existing;
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::make_iterator(int mode,
                                                                              BytesView from,
                                                                              BytesView to) {
  if (!db_) return store_closed_error(name_);
  internal::WriteOverlay::RangeCopy buffered;
  if (overlay_ && !overlay_->empty()) {
    buffered =
        overlay_->copy_range(from, [&](BytesView key) { return in_bounds(mode, key, from, to); });
  }
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<Iterator>(this, std::move(buffered), mode, from, to));
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::range(BytesView from,
                                                                      BytesView to) {
  return make_iterator(kForwardRange, from, to);
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::reverse_range(BytesView from,
                                                                              BytesView to) {
  return make_iterator(kReverseRange, from, to);
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::prefix_scan(BytesView prefix) {
  return make_iterator(kPrefix, prefix, BytesView());
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::all() {
  return make_iterator(kPrefix, BytesView(), BytesView());
}

Result<std::uint64_t> RocksDbKeyValueStore::approximate_num_entries() {
  if (!db_) return store_closed_error(name_);
  std::uint64_t count = 0;
  if (!db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &count)) {
    return internal_error("rocksdb store '" + name_ + "': no estimate-num-keys property");
  }
  // Batched writes are the store's content already (unlike buffered, uncommitted ones): count
  // them, as RocksDB's own estimate counts its memtable (rewrites of a key count twice).
  if (batches_writes()) count += overlay_->size();
  return count;
}

Status RocksDbKeyValueStore::flush() {
  if (!db_) return store_closed_error(name_);
  // Buffered mode: the batch stays; only what RocksDB holds (committed) goes to disk.
  if (batches_writes()) RUNNEL_RETURN_IF_ERROR(apply_overlay("flush"));
  if (DeferredFlushes* scope = DeferredFlushes::active()) {
    scope->add([handle = flush_handle_] {
      std::lock_guard lock(handle->mutex);
      if (handle->closed) return Status();  // close() wrote the memtables itself.
      return handle->store->flush_memtables();
    });
    return Status();
  }
  return flush_memtables();
}

Status RocksDbKeyValueStore::flush_memtables() {
  rocksdb::Status s;
  if (use_wal_) {
    s = db_->FlushWAL(/*sync=*/true);
  } else {
    rocksdb::FlushOptions options;
    options.wait = true;
    s = db_->Flush(options);
  }
  if (!s.ok()) return internal::from_rocksdb(s, "flush", name_, directory_);
  return Status();
}

Status RocksDbKeyValueStore::close() {
  if (!db_) return Status();
  {
    // Waits for a deferred flush of this store that is running; later ones do nothing.
    std::lock_guard lock(flush_handle_->mutex);
    flush_handle_->closed = true;
  }
  for (Iterator* it : open_iterators_) it->invalidate();
  open_iterators_.clear();
  Status applied;
  if (batches_writes()) {
    applied = apply_overlay("close");
    overlay_.reset();
  } else if (overlay_) {
    // A close without commit is a dirty close: what was not committed is not kept.
    overlay_.reset();
    uncommitted_writes_->remove(this);
    uncommitted_writes_ = nullptr;
  }
  Status flushed = flush_memtables();
  rocksdb::Status s = db_->Close();
  db_.reset();
  RUNNEL_RETURN_IF_ERROR(applied);
  RUNNEL_RETURN_IF_ERROR(flushed);
  if (!s.ok()) return internal::from_rocksdb(s, "close", name_, directory_);
  return Status();
}

Status RocksDbKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  if (!db_) return store_closed_error(name_);
  if (overlay_ && !overlay_->empty()) {
    for (const RestoreRecord& record : records) {
      if (record.value) {
        overlay_->put(record.key, *record.value);
      } else {
        overlay_->erase(record.key);
      }
    }
    return apply_if_full();
  }
  rocksdb::WriteBatch batch;
  for (const RestoreRecord& record : records) {
    rocksdb::Status s = record.value ? batch.Put(slice(record.key), slice(*record.value))
                                     : batch.Delete(slice(record.key));
    if (!s.ok()) return internal::from_rocksdb(s, "restore", name_, directory_);
  }
  rocksdb::Status s = db_->Write(write_options(use_wal_), &batch);
  if (!s.ok()) return internal::from_rocksdb(s, "restore", name_, directory_);
  return Status();
}

}  // namespace runnel::state

namespace runnel::state {

Status RocksDbKeyValueStore::apply_uncommitted() {
  if (!db_ || !overlay_) return Status();
  return apply_overlay("committing");
}

Status RocksDbKeyValueStore::apply_if_full() {
  if (!batches_writes() || overlay_->batch_bytes() <= write_batch_bytes_) return Status();
  return apply_overlay("writing a batch");
}

Status RocksDbKeyValueStore::apply_overlay(const char* what) {
  if (overlay_->empty()) return Status();
  // Built here rather than kept beside the overlay: a batch kept as writes come would hold
  // every rewrite of a key, and RocksDB would apply each of them. Key order also keeps the
  // memtable inserts local. One Write: RocksDB applies a batch atomically, and a memtable
  // flush never splits it.
  rocksdb::WriteBatch batch(overlay_->batch_bytes());
  for (const auto& [key, entry] : overlay_->entries()) {
    rocksdb::Status s = entry ? batch.Put(slice(key), slice(*entry)) : batch.Delete(slice(key));
    if (!s.ok()) return internal::from_rocksdb(s, what, name_, directory_);
  }
  rocksdb::Status s = db_->Write(write_options(use_wal_), &batch);
  if (!s.ok()) return internal::from_rocksdb(s, what, name_, directory_);
  overlay_->clear();
  return Status();
}

void RocksDbKeyValueStore::discard_uncommitted() {
  if (overlay_) overlay_->clear();
}

std::size_t RocksDbKeyValueStore::uncommitted_bytes() const {
  return buffered() ? overlay_->batch_bytes() : 0;
}

}  // namespace runnel::state

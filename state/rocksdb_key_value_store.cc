#include "state/rocksdb_key_value_store.h"

#include <system_error>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include "state/internal/bytes_less.h"
#include "state/internal/rocksdb_status.h"

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

std::unique_ptr<rocksdb::WriteBatchWithIndex> new_batch() {
  // overwrite_key: one index entry per key, which NewIteratorWithBase requires and which
  // keeps the batch's index from growing with rewrites of hot keys.
  return std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(),
                                                        /*reserved_bytes=*/0,
                                                        /*overwrite_key=*/true);
}

}  // namespace

// A RocksDB iterator bounded to a range or a prefix. Registered with its store so that
// close() can release the RocksDB iterator before the DB. In buffered mode, `delta` is the
// iterator's own copy of the buffered entries in its range, merged over the RocksDB iterator
// by `it` (NewIteratorWithBase); being a copy, no later write to the store's batch (or its
// application at commit) invalidates or changes it.
class RocksDbKeyValueStore::Iterator final : public KeyValueIterator {
 public:
  Iterator(RocksDbKeyValueStore* store, std::unique_ptr<rocksdb::WriteBatchWithIndex> delta,
           std::unique_ptr<rocksdb::Iterator> it, int mode, BytesView from, BytesView to)
      : store_(store),
        delta_(std::move(delta)),
        it_(std::move(it)),
        mode_(mode),
        from_(from),
        to_(to) {
    store_->open_iterators_.insert(this);
    switch (mode_) {
      case kForwardRange:
      case kPrefix:
        it_->Seek(slice(from_));
        break;
      case kReverseRange:
        it_->SeekForPrev(slice(to_));
        break;
    }
    update_valid();
  }

  ~Iterator() override {
    if (store_ != nullptr) store_->open_iterators_.erase(this);
  }

  bool valid() const override { return valid_; }
  BytesView key() const override { return view(it_->key()); }
  BytesView value() const override { return view(it_->value()); }
  void next() override {
    if (mode_ == kReverseRange) {
      it_->Prev();
    } else {
      it_->Next();
    }
    update_valid();
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
    delta_.reset();
    store_ = nullptr;
    valid_ = false;
  }

 private:
  void update_valid() {
    if (!it_->Valid()) {
      valid_ = false;
      return;
    }
    BytesView key = view(it_->key());
    valid_ = mode_ == kReverseRange ? key >= from_.view() : in_bounds(mode_, key, from_, to_);
  }

  RocksDbKeyValueStore* store_;  // Null once the store invalidated this iterator.
  // Declared before it_, which reads it, so that it is destroyed after it_.
  std::unique_ptr<rocksdb::WriteBatchWithIndex> delta_;
  std::unique_ptr<rocksdb::Iterator> it_;
  const int mode_;
  const Bytes from_;  // The lower bound, or the prefix.
  const Bytes to_;
  bool valid_ = false;
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
  if (options.memory_budget != nullptr) {
    db_options.write_buffer_manager = options.memory_budget->write_buffer_manager();
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, directory.string(), &raw);
  if (!s.ok()) return internal::from_rocksdb(s, "opening", name, directory);

  auto store = std::unique_ptr<RocksDbKeyValueStore>(
      new RocksDbKeyValueStore(std::move(name), std::move(directory), options.use_write_ahead_log));
  store->db_.reset(raw);
  if (options.uncommitted_writes != nullptr) {
    store->batch_ = new_batch();
    store->uncommitted_writes_ = options.uncommitted_writes;
    store->uncommitted_writes_->add(store.get());
  }
  return store;
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
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      batch_ ? batch_->GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(), slice(key), &value)
             : db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), slice(key), &value);
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
  rocksdb::Status s = batch_ ? batch_->Put(slice(key), slice(value))
                             : db_->Put(write_options(use_wal_), slice(key), slice(value));
  if (!s.ok()) return internal::from_rocksdb(s, "put", name_, directory_);
  return Status();
}

Status RocksDbKeyValueStore::put_all(std::span<const KeyValue> entries) {
  if (!db_) return store_closed_error(name_);
  if (batch_) {
    for (const KeyValue& entry : entries) {
      rocksdb::Status s = batch_->Put(slice(entry.key), slice(entry.value));
      if (!s.ok()) return internal::from_rocksdb(s, "put_all", name_, directory_);
    }
    return Status();
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
  rocksdb::Status s =
      batch_ ? batch_->Delete(slice(key)) : db_->Delete(write_options(use_wal_), slice(key));
  if (!s.ok()) return internal::from_rocksdb(s, "delete", name_, directory_);
  return existing;
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::make_iterator(int mode,
                                                                              BytesView from,
                                                                              BytesView to) {
  if (!db_) return store_closed_error(name_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::unique_ptr<rocksdb::WriteBatchWithIndex> delta;
  if (batch_ && batch_->GetWriteBatch()->Count() > 0) {
    // Copy the buffered entries of the range (one per key: overwrite_key).
    std::unique_ptr<rocksdb::WBWIIterator> buffered(batch_->NewIterator());
    for (buffered->Seek(slice(from)); buffered->Valid(); buffered->Next()) {
      const rocksdb::WriteEntry entry = buffered->Entry();
      if (!in_bounds(mode, view(entry.key), from, to)) break;
      if (!delta) delta = new_batch();
      rocksdb::Status s = entry.type == rocksdb::kPutRecord ? delta->Put(entry.key, entry.value)
                                                            : delta->Delete(entry.key);
      if (!s.ok()) return internal::from_rocksdb(s, "iterating", name_, directory_);
    }
    if (!buffered->status().ok()) {
      return internal::from_rocksdb(buffered->status(), "iterating", name_, directory_);
    }
    // Takes ownership of the RocksDB iterator.
    if (delta) it.reset(delta->NewIteratorWithBase(it.release()));
  }
  return std::unique_ptr<KeyValueIterator>(
      std::make_unique<Iterator>(this, std::move(delta), std::move(it), mode, from, to));
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
  return count;
}

Status RocksDbKeyValueStore::flush() {
  if (!db_) return store_closed_error(name_);
  // Buffered mode: the batch stays; only what RocksDB holds (committed) goes to disk.
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
  for (Iterator* it : open_iterators_) it->invalidate();
  open_iterators_.clear();
  if (batch_) {
    // A close without commit is a dirty close: what was not committed is not kept.
    batch_.reset();
    uncommitted_writes_->remove(this);
    uncommitted_writes_ = nullptr;
  }
  Status flushed = flush_memtables();
  rocksdb::Status s = db_->Close();
  db_.reset();
  RUNNEL_RETURN_IF_ERROR(flushed);
  if (!s.ok()) return internal::from_rocksdb(s, "close", name_, directory_);
  return Status();
}

Status RocksDbKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  if (!db_) return store_closed_error(name_);
  if (batch_ && batch_->GetWriteBatch()->Count() > 0) {
    for (const RestoreRecord& record : records) {
      rocksdb::Status s = record.value ? batch_->Put(slice(record.key), slice(*record.value))
                                       : batch_->Delete(slice(record.key));
      if (!s.ok()) return internal::from_rocksdb(s, "restore", name_, directory_);
    }
    return Status();
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
  if (!db_ || !batch_ || batch_->GetWriteBatch()->Count() == 0) return Status();
  // One Write: RocksDB applies a batch atomically, and a memtable flush never splits it.
  rocksdb::Status s = db_->Write(write_options(use_wal_), batch_->GetWriteBatch());
  if (!s.ok()) return internal::from_rocksdb(s, "committing", name_, directory_);
  batch_->Clear();
  return Status();
}

void RocksDbKeyValueStore::discard_uncommitted() {
  if (batch_) batch_->Clear();
}

std::size_t RocksDbKeyValueStore::uncommitted_bytes() const {
  if (!batch_ || batch_->GetWriteBatch()->Count() == 0) return 0;
  return batch_->GetDataSize();
}

}  // namespace runnel::state

#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "state/key_value_store.h"
#include "state/rocksdb_memory_budget.h"
#include "state/uncommitted_writes.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace runnel::state {

namespace internal {
class WriteOverlay;
}  // namespace internal

struct RocksDbStoreOptions {
  // The process-wide memory bound (rocksdb_memory_budget.h). Null gives the store a private
  // block cache of `private_block_cache_bytes` and unbounded memtables: for tests and tools.
  // The budget's cache and manager are shared with the store, so the budget object need not
  // outlive the store.
  const RocksDbMemoryBudget* memory_budget = nullptr;
  std::size_t private_block_cache_bytes = 16 << 20;
  // Memtable size before it is flushed to an SST file.
  std::size_t write_buffer_size = 16 << 20;
  // Off by default, as in Kafka Streams: the changelog topic is the store's durability, and
  // flush() (at every commit, before the checkpoint is written) writes memtables to disk. A
  // crash loses the writes since the last flush, which restoration replays from the
  // changelog starting at the checkpointed offset.
  bool use_write_ahead_log = false;
  // Non-null: buffered mode, for exactly-once (see uncommitted_writes.h). Writes (put,
  // put_all, put_if_absent, delete_key) go to an in-memory ordered overlay instead of
  // RocksDB (internal/write_overlay.h); reads see them; they reach RocksDB, in one atomic
  // Write, only when `uncommitted_writes` commits, and are dropped by its discard() or by
  // close(). So RocksDB (its memtables, and the files it flushes whenever a memtable fills)
  // only ever holds committed state. The overlay keeps one entry per key (a rewrite replaces
  // it), so it grows with the distinct keys written since the commit; commit often or watch
  // UncommittedWrites::uncommitted_bytes().
  // Borrowed: the store registers with it while open, so it must outlive the store. Null
  // (the default, at-least-once): every write goes straight to RocksDB.
  UncommittedWrites* uncommitted_writes = nullptr;
  // Buffered mode only: open() leaves the registration with `uncommitted_writes` to a later
  // register_uncommitted_writes(), so that the open (tens of milliseconds of file creation and
  // syncs) can run on another thread while the registration, which is the task thread's,
  // happens there (a window store's next segment, opened ahead: internal/segments.h).
  bool defer_registration = false;
  // Write batching for at-least-once (ignored in buffered mode). Non-zero: writes go to the
  // same in-memory overlay as in buffered mode, and reach RocksDB in one Write once the
  // overlay's batch passes this many bytes, at flush() (which the runtime calls before every
  // checkpoint) and at close(). One RocksDB write, with its write-thread handshake, per batch
  // instead of per put, and reads of keys written since are answered from the overlay. A crash
  // loses what the overlay held exactly as it loses an unflushed memtable when the WAL is off:
  // restoration replays the changelog from the last checkpoint, and every checkpoint follows a
  // flush(). Zero (the default): every write goes straight to RocksDB.
  std::size_t write_batch_bytes = 0;
};

// A KeyValueStore in its own RocksDB instance at a directory the caller chooses (the runtime
// uses <state.dir>/<application.id>/<subtopology>_<partition>/<store>). Keys are ordered by
// RocksDB's bytewise comparator. Data written before a successful close() (or flush()) is
// there when the same directory is opened again; in buffered mode, data committed by a
// successful UncommittedWrites::commit(), and nothing else.
//
// Iterators read a consistent RocksDB snapshot taken when they are created, bounded to their
// range in RocksDB's ReadOptions (so that RocksDB stops at the range's end instead of
// stepping over keys and tombstones past it). close() (and the destructor) invalidates
// iterators still open, so no RocksDB iterator outlives its DB.
//
// Buffered mode (RocksDbStoreOptions::uncommitted_writes set): every read sees the buffered
// writes over RocksDB (a buffered delete hides the key). An iterator copies the buffered
// entries of its range when it is created (O(buffered entries in range), nothing when none
// is buffered) and merges them with its RocksDB snapshot, so it keeps the snapshot
// semantics of KeyValueIterator across later writes, a commit (applying the overlay) and a
// discard. flush() does not apply the overlay: it only writes to disk what RocksDB already
// holds (committed state, and restored records). close() drops the overlay: a clean close
// commits first. restore_batch writes to RocksDB directly (restored records are committed
// ones) unless writes are buffered, in which case the records join the overlay so that they
// keep their order after those writes. approximate_num_entries() counts RocksDB's entries
// only. uncommitted_bytes() is the size of the WriteBatch the commit will write.
//
// Batched writes (RocksDbStoreOptions::write_batch_bytes, at-least-once): reads and
// iterators see the overlay as in buffered mode, but it is applied when it passes its bound,
// by flush() before the memtables go to disk, and by close(), so nothing written is dropped
// by a clean close. approximate_num_entries() adds the batch's entries to RocksDB's estimate.
//
// Errors name the store and its directory ("rocksdb store 'counts' at /var/runnel/...: IO
// error: ..."); RocksDB's "no space" maps to NoSpace, corruption to Corruption, other I/O
// failures to IoError.
//
// flush() under an active state::DeferredFlushes (deferred_flushes.h) writes the batched
// writes into RocksDB and leaves writing the memtables to disk to a job of that scope.
//
// Not thread-safe: owned by one task's thread (but for its deferred flush jobs).
class RocksDbKeyValueStore final : public KeyValueStore, private UncommittedWrites::Participant {
 public:
  // Opens (creating if missing) the store `name` in `directory`, creating the directory and
  // its parents. Fails with IoError if the directory cannot be created or RocksDB's lock is
  // held by another open instance.
  [[nodiscard]] static Result<std::unique_ptr<RocksDbKeyValueStore>> open(
      std::string name, std::filesystem::path directory, const RocksDbStoreOptions& options = {});

  // Registers an open store with its options' `uncommitted_writes`, when it was opened with
  // `defer_registration`; until then its writes are buffered, but no commit or discard
  // reaches them, so call it before the first write. Owner thread only. Idempotent.
  void register_uncommitted_writes();

  // Deletes the store's files and directory. The store must not be open.
  [[nodiscard]] static Status destroy(const std::filesystem::path& directory);

  ~RocksDbKeyValueStore() override;
  RocksDbKeyValueStore(const RocksDbKeyValueStore&) = delete;
  RocksDbKeyValueStore& operator=(const RocksDbKeyValueStore&) = delete;

  const std::filesystem::path& directory() const { return directory_; }
  // Whether the store was opened in buffered mode (exactly-once).
  bool buffered() const { return uncommitted_writes_ != nullptr; }
  // Whether at-least-once writes are batched (RocksDbStoreOptions::write_batch_bytes).
  bool batches_writes() const { return overlay_ != nullptr && uncommitted_writes_ == nullptr; }

  const std::string& name() const override { return name_; }
  bool is_open() const override { return db_ != nullptr; }
  Result<std::optional<Bytes>> get(BytesView key) override;
  Status put(BytesView key, BytesView value) override;
  Status put_all(std::span<const KeyValue> entries) override;
  Result<std::optional<Bytes>> put_if_absent(BytesView key, BytesView value) override;
  Result<std::optional<Bytes>> delete_key(BytesView key) override;
  Result<std::unique_ptr<KeyValueIterator>> range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) override;
  Result<std::unique_ptr<KeyValueIterator>> all() override;
  Result<std::uint64_t> approximate_num_entries() override;
  Status flush() override;
  Status close() override;
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  class Iterator;
  friend class Iterator;

  RocksDbKeyValueStore(std::string name, std::filesystem::path directory, bool use_wal);
  Result<std::unique_ptr<KeyValueIterator>> make_iterator(int mode, BytesView from, BytesView to);
  // Writes memtables to disk (or syncs the WAL when it is on).
  Status flush_memtables();
  // Writes the overlay's entries to RocksDB in one Write and clears it (`what` names the
  // operation in errors).
  Status apply_overlay(const char* what);
  // Batching writes: applies the overlay once it has grown past write_batch_bytes_.
  Status apply_if_full();

  // UncommittedWrites::Participant, in buffered mode.
  Status apply_uncommitted() override;
  void discard_uncommitted() override;
  std::size_t uncommitted_bytes() const override;

  const std::string name_;
  const std::filesystem::path directory_;
  const bool use_wal_;
  std::unique_ptr<rocksdb::DB> db_;  // Null once closed.
  // Buffered mode and batched writes only (else null): the writes since the last commit (or
  // the last apply, when batching), one entry per key. In buffered mode, the registry this
  // store is registered with while open; null when batching.
  std::unique_ptr<internal::WriteOverlay> overlay_;
  UncommittedWrites* uncommitted_writes_ = nullptr;
  bool registered_ = false;  // With uncommitted_writes_ (register_uncommitted_writes()).
  std::size_t write_batch_bytes_ = 0;
  // Iterators not yet destroyed; close() invalidates them before the DB goes away.
  std::set<Iterator*> open_iterators_;
  // What a deferred flush job (deferred_flushes.h) holds of the store: it may run on another
  // thread after the store closed or was destroyed. `mutex` is held while a job flushes and
  // while close() marks the store closed, so close() waits for a running job.
  struct FlushHandle {
    std::mutex mutex;
    bool closed = false;                    // Guarded by mutex.
    RocksDbKeyValueStore* store = nullptr;  // Valid while !closed.
  };
  std::shared_ptr<FlushHandle> flush_handle_;
};

}  // namespace runnel::state

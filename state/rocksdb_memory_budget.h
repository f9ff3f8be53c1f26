#pragma once

#include <cstddef>
#include <memory>

namespace rocksdb {
class Cache;
class WriteBufferManager;
}  // namespace rocksdb

namespace runnel::state {

// One bound on the memory RocksDB uses across every RocksDB store of the process (Kafka
// Streams' BoundedMemoryRocksDBConfig): a single LRU block cache of `total_bytes` holds data,
// index and filter blocks of all stores, and memtables of all stores are charged to that same
// cache through one WriteBufferManager, so that reads and writes together stay within
// `total_bytes` (plus RocksDB's small per-DB overheads and iterator-pinned blocks).
//
// The runtime creates one budget at start-up and passes it to every RocksDB store it opens;
// stores keep it alive by sharing its cache and manager, so the budget object itself may be
// destroyed before the stores. Thread-safe: RocksDB's cache and manager are.
class RocksDbMemoryBudget {
 public:
  // `total_bytes` for blocks and memtables together, of which at most
  // `write_buffer_ratio` (0 < ratio <= 1) may be memtables. When memtables reach their share,
  // the largest one is flushed to disk.
  explicit RocksDbMemoryBudget(std::size_t total_bytes, double write_buffer_ratio = 0.5);

  std::size_t total_bytes() const { return total_bytes_; }
  // Bytes currently charged to the shared cache (blocks and memtable reservations).
  std::size_t usage() const;
  // Bytes of memtables across all stores.
  std::size_t memtable_usage() const;

  const std::shared_ptr<rocksdb::Cache>& cache() const { return cache_; }
  const std::shared_ptr<rocksdb::WriteBufferManager>& write_buffer_manager() const {
    return write_buffer_manager_;
  }

 private:
  std::size_t total_bytes_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffer_manager_;
};

}  // namespace runnel::state

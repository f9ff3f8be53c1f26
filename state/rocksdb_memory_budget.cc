#include "state/rocksdb_memory_budget.h"

#include <cassert>

#include <rocksdb/cache.h>
#include <rocksdb/write_buffer_manager.h>

namespace runnel::state {

RocksDbMemoryBudget::RocksDbMemoryBudget(std::size_t total_bytes, double write_buffer_ratio)
    : total_bytes_(total_bytes) {
  assert(write_buffer_ratio > 0 && write_buffer_ratio <= 1);
  // High-priority pool for index and filter blocks, so that data blocks of a scan do not
  // evict the blocks every lookup needs (Kafka Streams uses the same split).
  rocksdb::LRUCacheOptions options;
  options.capacity = total_bytes;
  options.num_shard_bits = -1;
  options.strict_capacity_limit = false;
  options.high_pri_pool_ratio = 0.1;
  cache_ = rocksdb::NewLRUCache(options);
  write_buffer_manager_ = std::make_shared<rocksdb::WriteBufferManager>(
      static_cast<std::size_t>(static_cast<double>(total_bytes) * write_buffer_ratio), cache_);
}

std::size_t RocksDbMemoryBudget::usage() const { return cache_->GetUsage(); }

std::size_t RocksDbMemoryBudget::memtable_usage() const {
  return write_buffer_manager_->memory_usage();
}

}  // namespace runnel::state

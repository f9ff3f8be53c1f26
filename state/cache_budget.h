#pragma once

#include <cstddef>

namespace runnel::state {

// The bytes that the record caches of one stream thread may hold together: Kafka Streams'
// thread cache, cache.max.bytes.buffering split across the threads. Every
// CachingKeyValueStore made with the budget charges its entries to it; a write that takes the
// total past max_bytes() makes the written store evict its own oldest entries until the total
// fits again or it holds none (Kafka's ThreadCache also evicts from the cache being written).
// So one busy store can use the whole budget while the others are idle, and the total never
// stays above the bound after a write.
//
// Not thread-safe: shared by the stores of one thread only.
class CacheBudget {
 public:
  explicit CacheBudget(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  CacheBudget(const CacheBudget&) = delete;
  CacheBudget& operator=(const CacheBudget&) = delete;

  std::size_t max_bytes() const { return max_bytes_; }
  std::size_t used_bytes() const { return used_bytes_; }
  // How far the caches are over the bound (0 when they fit).
  std::size_t excess_bytes() const {
    return used_bytes_ > max_bytes_ ? used_bytes_ - max_bytes_ : 0;
  }

  void charge(std::size_t bytes) { used_bytes_ += bytes; }
  // `bytes` must have been charged.
  void release(std::size_t bytes) { used_bytes_ -= bytes; }

 private:
  const std::size_t max_bytes_;
  std::size_t used_bytes_ = 0;
};

}  // namespace runnel::state

#include "broker/server/request_memory_pool.h"

#include <algorithm>

namespace runnel::broker {

std::shared_ptr<RequestMemoryPool> RequestMemoryPool::create(int64_t capacity_bytes,
                                                             int64_t max_request_bytes) {
  const int64_t reserve =
      std::clamp<int64_t>(capacity_bytes - max_request_bytes, 0, kMaxSmallRequestReserve);
  return std::shared_ptr<RequestMemoryPool>(new RequestMemoryPool(capacity_bytes, reserve));
}

RequestMemoryPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::move(other.pool_)), bytes_(other.bytes_) {
  other.bytes_ = 0;
}

RequestMemoryPool::Lease& RequestMemoryPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    bytes_ = other.bytes_;
    other.bytes_ = 0;
  }
  return *this;
}

void RequestMemoryPool::Lease::release() {
  if (pool_ && bytes_ > 0) pool_->release(bytes_);
  pool_.reset();
  bytes_ = 0;
}

std::optional<RequestMemoryPool::Lease> RequestMemoryPool::reserve_or_wait(
    int64_t bytes, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  const int64_t limit = bytes <= kSmallRequestBytes ? capacity_ : capacity_ - small_reserve_;
  if (reserved_ + bytes <= limit) {
    reserved_ += bytes;
    peak_ = std::max(peak_, reserved_);
    return Lease(shared_from_this(), bytes);
  }
  waiters_.push_back(std::move(wake));
  return std::nullopt;
}

void RequestMemoryPool::release(int64_t bytes) {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    reserved_ -= bytes;
    waiters.swap(waiters_);
  }
  // Every waiter asks again; those that still do not fit wait again. Called outside the
  // lock: a waiter may reserve at once.
  for (auto& wake : waiters) wake();
}

int64_t RequestMemoryPool::reserved() const {
  std::lock_guard lock(mutex_);
  return reserved_;
}

int64_t RequestMemoryPool::peak_reserved() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

}  // namespace runnel::broker

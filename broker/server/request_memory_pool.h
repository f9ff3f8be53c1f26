#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace runnel::broker {

// The broker-wide bound on the bytes of requests being read or in flight (Kafka's
// queued.max.request.bytes), shared by every connection of every listener.
//
// A connection reserves a request's announced size once its 4-byte size prefix has arrived,
// and keeps the reservation until the handler has answered the request. Reserving is
// bookkeeping, not allocation: the frame's buffer grows only with the bytes that arrive (see
// FrameAssembler), so the bound holds for memory actually used, while a reservation that is
// granted can always be filled (no two half-read requests wait on each other for memory).
// When a reservation does not fit, the connection stops reading (backpressure) and is woken
// when memory is released.
//
// Small requests keep a share of their own: requests above `small_request_bytes` may fill the
// pool only up to capacity - small_request_reserve, so that a few connections announcing
// huge requests and sending them slowly cannot stall Metadata, heartbeats and commits; those
// connections are in turn closed by request.read.timeout.ms.
class RequestMemoryPool : public std::enable_shared_from_this<RequestMemoryPool> {
 public:
  static constexpr int64_t kSmallRequestBytes = 64 * 1024;
  static constexpr int64_t kMaxSmallRequestReserve = 16 * 1024 * 1024;

  // The reserve for small requests is min(16 MiB, capacity - max_request_bytes), so that the
  // largest request allowed always fits in what large requests may use.
  static std::shared_ptr<RequestMemoryPool> create(int64_t capacity_bytes,
                                                   int64_t max_request_bytes);

  // Bytes reserved for one request; released when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { release(); }
    int64_t bytes() const { return bytes_; }
    void release();

   private:
    friend class RequestMemoryPool;
    Lease(std::shared_ptr<RequestMemoryPool> pool, int64_t bytes)
        : pool_(std::move(pool)), bytes_(bytes) {}
    std::shared_ptr<RequestMemoryPool> pool_;
    int64_t bytes_ = 0;
  };

  // A lease for `bytes`, or nullopt after arranging for `wake` to be called (once, on some
  // thread) when memory has been released; the caller then asks again.
  std::optional<Lease> reserve_or_wait(int64_t bytes, std::function<void()> wake);

  int64_t capacity() const { return capacity_; }
  int64_t small_request_reserve() const { return small_reserve_; }
  int64_t reserved() const;
  // The most that was ever reserved at once (tests and diagnostics).
  int64_t peak_reserved() const;

 private:
  RequestMemoryPool(int64_t capacity, int64_t small_reserve)
      : capacity_(capacity), small_reserve_(small_reserve) {}
  void release(int64_t bytes);

  const int64_t capacity_;
  const int64_t small_reserve_;
  mutable std::mutex mutex_;
  int64_t reserved_ = 0;
  int64_t peak_ = 0;
  std::vector<std::function<void()>> waiters_;
};

}  // namespace runnel::broker

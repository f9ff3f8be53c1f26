#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "state/internal/operation_counters.h"
#include "state/operation_stats.h"
#include "state/window_store.h"

namespace runnel::state {

// A snapshot of a MeteredWindowStore's counters. Fetches time the creation of the iterator.
struct WindowStoreMetrics {
  OperationStats put;
  OperationStats remove;
  OperationStats fetch;        // fetch of one window, and of one key over a time range
  OperationStats fetch_range;  // fetch over a key range
  OperationStats fetch_all;
  OperationStats flush;
  OperationStats restore;
  std::uint64_t restored_records = 0;
  std::uint64_t expired_puts_dropped = 0;
};

// A WindowStore decorator that counts calls, errors and latency per operation. Store
// operations belong to the owning task's thread; metrics() may be called from any thread.
class MeteredWindowStore final : public WindowStore {
 public:
  explicit MeteredWindowStore(std::unique_ptr<WindowStore> inner) : inner_(std::move(inner)) {}

  WindowStoreMetrics metrics() const;

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const WindowStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override { return inner_->observed_stream_time(); }
  std::uint64_t expired_puts_dropped() const override { return inner_->expired_puts_dropped(); }
  Status put(BytesView key, BytesView value, Timestamp window_start) override;
  Status remove(BytesView key, Timestamp window_start) override;
  Result<std::optional<Bytes>> fetch(BytesView key, Timestamp window_start) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key, Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key_from, BytesView key_to,
                                                     Timestamp time_from,
                                                     Timestamp time_to) override;
  Result<std::unique_ptr<WindowStoreIterator>> fetch_all(Timestamp time_from,
                                                         Timestamp time_to) override;
  Status flush() override;
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  std::unique_ptr<WindowStore> inner_;
  internal::OperationCounters put_, remove_, fetch_, fetch_range_, fetch_all_, flush_, restore_;
  std::atomic<std::uint64_t> restored_records_{0};
  // Mirrors inner_->expired_puts_dropped() after each put, for readers on other threads.
  std::atomic<std::uint64_t> expired_puts_dropped_{0};
};

}  // namespace runnel::state

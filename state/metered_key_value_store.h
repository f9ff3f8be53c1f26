#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "state/internal/operation_counters.h"
#include "state/key_value_store.h"
#include "state/operation_stats.h"

namespace runnel::state {

// A snapshot of a MeteredKeyValueStore's counters. Scans (range, reverse_range, prefix_scan,
// all) time the creation of the iterator, not its consumption.
struct KeyValueStoreMetrics {
  OperationStats get;
  OperationStats put;
  OperationStats put_all;
  OperationStats put_if_absent;
  OperationStats delete_key;
  OperationStats range;  // range and reverse_range
  OperationStats prefix_scan;
  OperationStats all;
  OperationStats flush;
  OperationStats restore;
  std::uint64_t restored_records = 0;
};

// A KeyValueStore decorator that counts calls, errors and latency (steady clock) per
// operation, the outermost layer of a store (Kafka Streams' MeteredKeyValueStore).
//
// Thread safety: the store operations belong to the owning task's thread like any store's;
// metrics() may be called from any thread (a metrics reporter) at any time, because the
// counters are atomics. A snapshot is not atomic across counters.
class MeteredKeyValueStore final : public KeyValueStore {
 public:
  explicit MeteredKeyValueStore(std::unique_ptr<KeyValueStore> inner);

  KeyValueStoreMetrics metrics() const;

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  Result<std::optional<Bytes>> get(BytesView key) override;
  Status put(BytesView key, BytesView value) override;
  Status put_all(std::span<const KeyValue> entries) override;
  Result<std::optional<Bytes>> put_if_absent(BytesView key, BytesView value) override;
  Result<std::optional<Bytes>> delete_key(BytesView key) override;
  Result<std::unique_ptr<KeyValueIterator>> range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from, BytesView to) override;
  Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) override;
  Result<std::unique_ptr<KeyValueIterator>> all() override;
  Result<std::uint64_t> approximate_num_entries() override {
    return inner_->approximate_num_entries();
  }
  Status flush() override;
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  std::unique_ptr<KeyValueStore> inner_;
  internal::OperationCounters get_, put_, put_all_, put_if_absent_, delete_, range_, prefix_scan_,
      all_, flush_, restore_;
  std::atomic<std::uint64_t> restored_records_{0};
};

}  // namespace runnel::state

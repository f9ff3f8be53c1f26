#pragma once

#include <memory>
#include <string>

#include "state/changelog_collector.h"
#include "state/window_store.h"

namespace runnel::state {

// A WindowStore decorator that sends every put and remove to the changelog, keyed by the
// window store key (window_key_schema.h: key | window start | seqnum), as Kafka Streams'
// ChangeLoggingWindowBytesStore does; a remove is a tombstone. For a store that retains
// duplicates, the decorator numbers puts itself so that duplicates stay distinct in the
// compacted changelog. restore_batch() bypasses the changelog. Not thread-safe.
class ChangeLoggingWindowStore final : public WindowStore {
 public:
  // `collector` is borrowed and must outlive the store.
  ChangeLoggingWindowStore(std::unique_ptr<WindowStore> inner, TopicPartition changelog,
                           ChangelogCollector& collector, TimestampSupplier timestamp);

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const WindowStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override { return inner_->observed_stream_time(); }
  std::uint64_t expired_puts_dropped() const override { return inner_->expired_puts_dropped(); }
  Status put(BytesView key, BytesView value, Timestamp window_start) override;
  Status remove(BytesView key, Timestamp window_start) override;
  Result<std::optional<Bytes>> fetch(BytesView key, Timestamp window_start) override {
    return inner_->fetch(key, window_start);
  }
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key, Timestamp time_from,
                                                     Timestamp time_to) override {
    return inner_->fetch(key, time_from, time_to);
  }
  Result<std::unique_ptr<WindowStoreIterator>> fetch(BytesView key_from, BytesView key_to,
                                                     Timestamp time_from,
                                                     Timestamp time_to) override {
    return inner_->fetch(key_from, key_to, time_from, time_to);
  }
  Result<std::unique_ptr<WindowStoreIterator>> fetch_all(Timestamp time_from,
                                                         Timestamp time_to) override {
    return inner_->fetch_all(time_from, time_to);
  }
  Status flush() override { return inner_->flush(); }
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override {
    return inner_->restore_batch(records);
  }

 private:
  Status log(BytesView store_key, NullableBytesView value);

  std::unique_ptr<WindowStore> inner_;
  const TopicPartition changelog_;
  ChangelogCollector& collector_;
  TimestampSupplier timestamp_;
  std::uint32_t seqnum_ = 0;
};

}  // namespace runnel::state

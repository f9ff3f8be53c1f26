#pragma once

#include <memory>
#include <string>

#include "state/changelog_collector.h"
#include "state/key_value_store.h"

namespace runnel::state {

// A KeyValueStore decorator that sends every successful write of the inner store to the
// store's changelog partition through a ChangelogCollector: a put as (key, value), a delete as
// (key, null). Reads pass through. restore_batch() writes the inner store only (restoring
// reads the changelog; it must not append to it).
//
// Writes go to the inner store first and to the changelog second, so a record is never logged
// for a write that failed. put_if_absent logs only when it wrote; delete_key logs a tombstone
// even for an absent key (Kafka Streams does too: compaction needs no special case).
//
// Not thread-safe: owned by one task, like the store it wraps.
class ChangeLoggingKeyValueStore final : public KeyValueStore {
 public:
  // `collector` is borrowed and must outlive the store.
  ChangeLoggingKeyValueStore(std::unique_ptr<KeyValueStore> inner, TopicPartition changelog,
                             ChangelogCollector& collector, TimestampSupplier timestamp);

  const TopicPartition& changelog() const { return changelog_; }

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  Result<std::optional<Bytes>> get(BytesView key) override { return inner_->get(key); }
  Status put(BytesView key, BytesView value) override;
  Status put_all(std::span<const KeyValue> entries) override;
  Result<std::optional<Bytes>> put_if_absent(BytesView key, BytesView value) override;
  Result<std::optional<Bytes>> delete_key(BytesView key) override;
  Result<std::unique_ptr<KeyValueIterator>> range(BytesView from, BytesView to) override {
    return inner_->range(from, to);
  }
  Result<std::unique_ptr<KeyValueIterator>> reverse_range(BytesView from, BytesView to) override {
    return inner_->reverse_range(from, to);
  }
  Result<std::unique_ptr<KeyValueIterator>> prefix_scan(BytesView prefix) override {
    return inner_->prefix_scan(prefix);
  }
  Result<std::unique_ptr<KeyValueIterator>> all() override { return inner_->all(); }
  Result<std::uint64_t> approximate_num_entries() override {
    return inner_->approximate_num_entries();
  }
  Status flush() override { return inner_->flush(); }
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override {
    return inner_->restore_batch(records);
  }

 private:
  Status log(BytesView key, NullableBytesView value);

  std::unique_ptr<KeyValueStore> inner_;
  const TopicPartition changelog_;
  ChangelogCollector& collector_;
  TimestampSupplier timestamp_;
};

}  // namespace runnel::state

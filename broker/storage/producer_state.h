#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "broker/storage/append_error.h"
#include "broker/storage/record_batch.h"

namespace runnel::broker {

// One partition's idempotent-producer state: per producer id, its epoch and the sequence and
// offset ranges of the last kCachedBatches batches it appended (what Kafka keeps), so that a
// retried batch whose first attempt was written is recognised and not written again, and a
// batch after a gap is refused.
//
// A producer's sequence numbers count records per partition from 0, wrapping from INT32_MAX
// to 0. A batch with producer id -1 is not idempotent and is never checked.
//
// Transactions (KIP-98): a producer's first transactional batch in the partition opens its
// transaction here, at that batch's base offset; the coordinator's marker ends it. The
// oldest open transaction's first offset is the partition's last stable offset. Batches the
// broker writes itself (AppendOrigin::kCoordinator, sequence -1) are checked for their epoch
// only.
//
// Not thread-safe: the owning Log guards it with its mutex.
class ProducerStateTable {
 public:
  static constexpr size_t kCachedBatches = 5;

  struct Verdict {
    AppendError error = AppendError::kNone;
    // All batches are retries of batches already in the log: answer with these offsets and
    // write nothing.
    bool duplicate = false;
    int64_t duplicate_base_offset = -1;
    int64_t duplicate_last_offset = -1;
  };

  // Checks a producer request's batches (in order) against the state, without changing it.
  // A first batch from an unknown producer id is accepted at any sequence (its earlier
  // batches may be gone with old segments, as in Kafka); an older epoch is
  // INVALID_PRODUCER_EPOCH; a sequence that does not follow the last one appended is
  // OUT_OF_ORDER_SEQUENCE_NUMBER; a request mixing retried and new batches is refused
  // as out of order too (clients send one batch per partition per request).
  // With `unsequenced_allowed` (the broker's own batches), a batch with sequence -1 skips
  // the sequence checks.
  Verdict check(const std::vector<RecordBatchHeader>& batches,
                bool unsequenced_allowed = false) const;

  // Records a batch written to the log (its header with offsets assigned). A control batch
  // ends the producer's open transaction, as end_transaction() does.
  void record(const RecordBatchHeader& batch);

  // Whether a marker at `epoch` may end `producer_id`'s transaction: not when the partition
  // has seen a newer epoch of that producer (the marker's writer was fenced).
  bool marker_epoch_valid(int64_t producer_id, int16_t epoch) const;
  // Ends `producer_id`'s open transaction (a marker at `epoch` was written): returns the
  // transaction's first offset, nullopt when it had none open here. A newer epoch replaces
  // the producer's (its sequences start again at 0).
  std::optional<int64_t> end_transaction(int64_t producer_id, int16_t epoch);

  // The first offset of the oldest open transaction, nullopt when none is open.
  std::optional<int64_t> first_unstable_offset() const;
  // Open transactions: producer id -> first offset.
  const std::map<int64_t, int64_t>& open_transactions() const { return open_transactions_; }

  size_t producer_count() const { return producers_.size(); }

  // One producer as DescribeProducers (KIP-664) reports it.
  struct ActiveProducer {
    int64_t producer_id = -1;
    int16_t epoch = 0;
    int32_t last_sequence = -1;             // -1: no sequenced batch remembered
    int64_t last_timestamp = -1;            // max timestamp of its last batch here; -1: none
    int64_t transaction_start_offset = -1;  // first offset of its open transaction; -1: none
  };
  // Every producer the partition remembers, by producer id.
  std::vector<ActiveProducer> active_producers() const;

 private:
  struct BatchRange {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t first_offset;
    int64_t last_offset;
  };
  struct Producer {
    int16_t epoch = 0;
    std::deque<BatchRange> batches;  // oldest first, at most kCachedBatches
    int64_t last_timestamp = -1;     // of its last batch recorded
  };

  std::unordered_map<int64_t, Producer> producers_;
  // producer id -> first offset of its open transaction in this partition.
  std::map<int64_t, int64_t> open_transactions_;
};

}  // namespace runnel::broker

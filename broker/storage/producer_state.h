#pragma once

#include <cstdint>
#include <deque>
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
// to 0. A batch with producer id -1 is not idempotent and is never checked. Transactions
// will extend the per-producer entry (open transaction's first offset, coordinator epoch).
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
  Verdict check(const std::vector<RecordBatchHeader>& batches) const;

  // Records a batch written to the log (its header with offsets assigned).
  void record(const RecordBatchHeader& batch);

  size_t producer_count() const { return producers_.size(); }

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
  };

  std::unordered_map<int64_t, Producer> producers_;
};

}  // namespace runnel::broker

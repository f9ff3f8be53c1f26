#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "broker/storage/record_batch.h"
#include "core/bytes.h"
#include "core/headers.h"

namespace runnel::broker {

// Builds one uncompressed record batch (magic v2) the way a producer does: records with
// nullable keys and values, timestamps and headers, varint-encoded, base offset 0 (the broker
// assigns offsets), CRC32C filled in. Used by tests, by the broker for the batches it writes
// itself, and by the runtime.
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(int64_t base_timestamp_ms) : base_timestamp_(base_timestamp_ms) {}

  RecordBatchBuilder& add(const NullableBytes& key, const NullableBytes& value,
                          int64_t timestamp_ms, const Headers& headers);

  // Marks the batch as written by producer `producer_id` at `epoch`, its first record at
  // sequence `base_sequence` (-1: none, for batches the broker writes itself), and as part of
  // a transaction when `transactional`.
  RecordBatchBuilder& set_producer(int64_t producer_id, int16_t epoch, int32_t base_sequence,
                                   bool transactional);

  size_t record_count() const { return static_cast<size_t>(count_); }

  // Makes the batch transactional for the producer (id, epoch), with base sequence -1: how the
  // broker's own coordinators write a transaction's records (TxnOffsetCommit offsets into
  // __consumer_offsets), which the log takes without a sequence check (AppendOrigin).
  RecordBatchBuilder& set_transactional(int64_t producer_id, int16_t producer_epoch);

  // The finished batch. The builder may not be used afterwards.
  Bytes build();

 private:
  friend Bytes build_transaction_marker(int64_t producer_id, int16_t producer_epoch,
                                        const TransactionMarker& marker, int64_t timestamp_ms);

  int64_t base_timestamp_;
  int64_t max_timestamp_ = -1;
  int32_t count_ = 0;
  Bytes records_;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  int32_t base_sequence_ = -1;
  int16_t attributes_ = 0;
};

// A transaction marker as stored: a control batch of one record (key: version 0 and the
// control type; value: version 0 and the coordinator epoch) carrying the producer's id and
// epoch, base offset 0 (assigned when appended).
Bytes build_transaction_marker(int64_t producer_id, int16_t producer_epoch,
                               const TransactionMarker& marker, int64_t timestamp_ms);

// One record decoded from an uncompressed batch.
struct DecodedRecord {
  int64_t offset;
  int64_t timestamp_ms;
  NullableBytes key;
  NullableBytes value;
  Headers headers;
};

// Decodes the records of an uncompressed batch (tests, the future compactor, debugging).
// Compressed batches get an unsupported_error: the broker never decompresses.
Result<std::vector<DecodedRecord>> decode_uncompressed_batch(BytesView batch);

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/storage/append_error.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// The fixed 61-byte header of a record batch, magic v2 (implementation guide, "Record
// Batch"). Everything after it (the records) is opaque to the broker: it may be compressed,
// and it is stored and served byte-for-byte.
struct RecordBatchHeader {
  static constexpr size_t kSize = 61;
  // Byte positions of the fields the broker reads or rewrites.
  static constexpr size_t kBaseOffsetAt = 0;
  static constexpr size_t kBatchLengthAt = 8;
  static constexpr size_t kMagicAt = 16;
  static constexpr size_t kCrcAt = 17;
  static constexpr size_t kAttributesAt = 21;  // The CRC covers [kAttributesAt, end).
  static constexpr size_t kLastOffsetDeltaAt = 23;
  static constexpr size_t kMaxTimestampAt = 35;
  // What comes before batchLength's count of bytes.
  static constexpr size_t kLogOverhead = 12;

  static constexpr int16_t kCompressionMask = 0x07;
  static constexpr int16_t kLogAppendTimeFlag = 0x08;
  static constexpr int16_t kTransactionalFlag = 0x10;
  static constexpr int16_t kControlFlag = 0x20;

  int64_t base_offset = 0;
  int32_t batch_length = 0;  // bytes after this field
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  size_t total_size() const { return kLogOverhead + static_cast<size_t>(batch_length); }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  bool is_control() const { return (attributes & kControlFlag) != 0; }
  bool is_transactional() const { return (attributes & kTransactionalFlag) != 0; }

  // Reads a header from the first kSize bytes of `bytes` (no validation beyond the size).
  static RecordBatchHeader parse(BytesView bytes);
};

// One batch found in a produce request's records.
struct BatchInBlob {
  size_t position;  // within the blob
  RecordBatchHeader header;
};

// The result of checking a produce request's records before anything is written.
struct BatchValidation {
  AppendError error = AppendError::kNone;
  std::string message;
  std::vector<BatchInBlob> batches;
};

// Checks every batch of a producer's records: complete lengths, magic 2, CRC32C, a known
// codec, no control batches, consistent counts, size within `max_message_bytes`. Never
// decompresses.
BatchValidation validate_produced_batches(BytesView records, int32_t max_message_bytes);

// Whether any batch of a producer's `records` is compressed with `codec` (Codec, compression.h,
// as its attribute bits). Reads only the headers, without validating: a malformed blob is
// left to validate_produced_batches.
bool any_batch_compressed_with(BytesView records, int16_t codec);

// Checks the stored batch at the start of `bytes` (log recovery): complete, magic 2, CRC.
// Returns its header, or a corruption_error saying what is wrong.
Result<RecordBatchHeader> check_stored_batch(BytesView bytes);

// The first record of the stored batch `batch` (whole, header included) whose timestamp is
// >= `timestamp`: (its offset, its timestamp). What ListOffsets by timestamp answers, as
// Kafka does, to the record rather than the batch. nullopt when the batch is compressed
// (the broker does not decompress; the caller answers with the batch's base offset) or
// when no record qualifies. Walks the records' framing with bounds checks: a malformed
// batch gives nullopt, never a read out of bounds.
std::optional<std::pair<int64_t, int64_t>> first_record_at_or_after(BytesView batch,
                                                                    int64_t timestamp);

// What a transaction marker says: the control record's key type (KIP-98).
enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

// The one record of a control batch that ends a producer's transaction in a partition.
struct TransactionMarker {
  ControlType type = ControlType::kAbort;
  int32_t coordinator_epoch = 0;
};

// The marker held by the stored control batch `batch` (whole, header included): nullopt when
// the batch is not a control batch, is compressed, or its record is not a marker (malformed
// or of an unknown control type).
std::optional<TransactionMarker> parse_transaction_marker(BytesView batch);

// CRC32C of a batch's covered bytes, [kAttributesAt, end).
uint32_t record_batch_crc(BytesView batch);

}  // namespace runnel::broker

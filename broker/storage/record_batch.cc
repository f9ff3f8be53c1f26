#include "broker/storage/record_batch.h"

#include <fmt/format.h>

#include "broker/storage/crc32c.h"
#include "core/big_endian.h"

namespace runnel::broker {

RecordBatchHeader RecordBatchHeader::parse(BytesView bytes) {
  const uint8_t* p = bytes.data();
  RecordBatchHeader h;
  h.base_offset = load_big_endian<int64_t>(p + 0);
  h.batch_length = load_big_endian<int32_t>(p + 8);
  h.partition_leader_epoch = load_big_endian<int32_t>(p + 12);
  h.magic = static_cast<int8_t>(p[16]);
  h.crc = load_big_endian<uint32_t>(p + 17);
  h.attributes = load_big_endian<int16_t>(p + 21);
  h.last_offset_delta = load_big_endian<int32_t>(p + 23);
  h.base_timestamp = load_big_endian<int64_t>(p + 27);
  h.max_timestamp = load_big_endian<int64_t>(p + 35);
  h.producer_id = load_big_endian<int64_t>(p + 43);
  h.producer_epoch = load_big_endian<int16_t>(p + 51);
  h.base_sequence = load_big_endian<int32_t>(p + 53);
  h.record_count = load_big_endian<int32_t>(p + 57);
  return h;
}

namespace {

// A zigzag varint (Kafka's varint and varlong) at `*at` within [`*at`, `end`); advances.
std::optional<int64_t> read_zigzag(const uint8_t*& at, const uint8_t* end) {
  uint64_t raw = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at == end) return std::nullopt;
    const uint8_t byte = *at++;
    raw |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      return static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
    }
  }
  return std::nullopt;
}

}  // namespace

bool any_batch_compressed_with(BytesView records, int16_t codec) {
  size_t at = 0;
  while (records.size() - at >= RecordBatchHeader::kAttributesAt + 2) {
    const int32_t batch_length =
        load_big_endian<int32_t>(records.data() + at + RecordBatchHeader::kBatchLengthAt);
    const int16_t attributes =
        load_big_endian<int16_t>(records.data() + at + RecordBatchHeader::kAttributesAt);
    if ((attributes & RecordBatchHeader::kCompressionMask) == codec) return true;
    if (batch_length <= 0) return false;
    at += RecordBatchHeader::kLogOverhead + static_cast<size_t>(batch_length);
    if (at > records.size()) return false;
  }
  return false;
}

std::optional<std::pair<int64_t, int64_t>> first_record_at_or_after(BytesView batch,
                                                                    int64_t timestamp) {
  if (batch.size() < RecordBatchHeader::kSize) return std::nullopt;
  const RecordBatchHeader header = RecordBatchHeader::parse(batch);
  if ((header.attributes & RecordBatchHeader::kCompressionMask) != 0) return std::nullopt;
  if (header.total_size() > batch.size()) return std::nullopt;
  if ((header.attributes & RecordBatchHeader::kLogAppendTimeFlag) != 0) {
    // Every record carries the batch's append time.
    if (header.max_timestamp < timestamp) return std::nullopt;
    return std::make_pair(header.base_offset, header.max_timestamp);
  }
  const uint8_t* at = batch.data() + RecordBatchHeader::kSize;
  const uint8_t* const end = batch.data() + header.total_size();
  for (int32_t i = 0; i < header.record_count && at < end; ++i) {
    const std::optional<int64_t> length = read_zigzag(at, end);
    if (!length || *length < 1 || *length > end - at) return std::nullopt;
    const uint8_t* const next = at + *length;
    ++at;  // attributes
    const std::optional<int64_t> timestamp_delta = read_zigzag(at, next);
    const std::optional<int64_t> offset_delta = read_zigzag(at, next);
    if (!timestamp_delta || !offset_delta) return std::nullopt;
    const int64_t record_timestamp = header.base_timestamp + *timestamp_delta;
    if (record_timestamp >= timestamp) {
      return std::make_pair(header.base_offset + *offset_delta, record_timestamp);
    }
    at = next;
  }
  return std::nullopt;
}

std::optional<TransactionMarker> parse_transaction_marker(BytesView batch) {
  if (batch.size() < RecordBatchHeader::kSize) return std::nullopt;
  const RecordBatchHeader header = RecordBatchHeader::parse(batch);
  if (!header.is_control() || (header.attributes & RecordBatchHeader::kCompressionMask) != 0 ||
      header.total_size() > batch.size() || header.record_count < 1) {
    return std::nullopt;
  }
  const uint8_t* at = batch.data() + RecordBatchHeader::kSize;
  const uint8_t* const end = batch.data() + header.total_size();
  const std::optional<int64_t> length = read_zigzag(at, end);
  if (!length || *length < 1 || *length > end - at) return std::nullopt;
  const uint8_t* const record_end = at + *length;
  ++at;  // attributes
  if (!read_zigzag(at, record_end) || !read_zigzag(at, record_end)) return std::nullopt;
  const std::optional<int64_t> key_length = read_zigzag(at, record_end);
  if (!key_length || *key_length < 4 || *key_length > record_end - at) return std::nullopt;
  const int16_t type = load_big_endian<int16_t>(at + 2);
  at += *key_length;
  if (type != static_cast<int16_t>(ControlType::kAbort) &&
      type != static_cast<int16_t>(ControlType::kCommit)) {
    return std::nullopt;
  }
  TransactionMarker marker;
  marker.type = static_cast<ControlType>(type);
  const std::optional<int64_t> value_length = read_zigzag(at, record_end);
  if (value_length && *value_length >= 6 && *value_length <= record_end - at) {
    marker.coordinator_epoch = load_big_endian<int32_t>(at + 2);
  }
  return marker;
}

uint32_t record_batch_crc(BytesView batch) {
  return crc32c(batch.subview(RecordBatchHeader::kAttributesAt));
}

namespace {

BatchValidation refuse(AppendError error, std::string message) {
  return BatchValidation{.error = error, .message = std::move(message), .batches = {}};
}

}  // namespace

BatchValidation validate_produced_batches(BytesView records, int32_t max_message_bytes) {
  BatchValidation result;
  size_t position = 0;
  int index = 0;
  if (records.empty()) return refuse(AppendError::kInvalidRecord, "no record batch in request");
  while (position < records.size()) {
    const size_t left = records.size() - position;
    if (left <= RecordBatchHeader::kMagicAt) {
      return refuse(
          AppendError::kCorruptMessage,
          fmt::format("batch {}: {} trailing byte(s), too short for a batch", index, left));
    }
    const uint8_t* at = records.data() + position;
    const int8_t magic = static_cast<int8_t>(at[RecordBatchHeader::kMagicAt]);
    if (magic != 2) {
      return refuse(AppendError::kUnsupportedForMessageFormat,
                    fmt::format("batch {}: message format v{} is not accepted; runneld stores "
                                "record batches (magic 2) only",
                                index, magic));
    }
    if (left < RecordBatchHeader::kSize) {
      return refuse(AppendError::kCorruptMessage,
                    fmt::format("batch {}: {} byte(s), shorter than a batch header", index, left));
    }
    const RecordBatchHeader header = RecordBatchHeader::parse(BytesView(at, left));
    if (header.batch_length <
            static_cast<int32_t>(RecordBatchHeader::kSize - RecordBatchHeader::kLogOverhead) ||
        header.total_size() > left) {
      return refuse(AppendError::kCorruptMessage,
                    fmt::format("batch {}: batch length {} does not fit the {} byte(s) sent", index,
                                header.batch_length, left));
    }
    const BytesView batch(at, header.total_size());
    if (record_batch_crc(batch) != header.crc) {
      return refuse(AppendError::kCorruptMessage,
                    fmt::format("batch {}: CRC32C mismatch (stored {:#010x}, computed {:#010x})",
                                index, header.crc, record_batch_crc(batch)));
    }
    if ((header.attributes & RecordBatchHeader::kCompressionMask) > 4) {
      return refuse(AppendError::kCorruptMessage,
                    fmt::format("batch {}: unknown compression codec {}", index,
                                header.attributes & RecordBatchHeader::kCompressionMask));
    }
    if (header.is_control()) {
      return refuse(AppendError::kInvalidRecord,
                    fmt::format("batch {}: control batches are written by the broker, not "
                                "by producers",
                                index));
    }
    if (header.record_count <= 0 || header.last_offset_delta != header.record_count - 1) {
      return refuse(AppendError::kInvalidRecord,
                    fmt::format("batch {}: {} record(s) but last offset delta {}", index,
                                header.record_count, header.last_offset_delta));
    }
    if (header.total_size() > static_cast<size_t>(max_message_bytes)) {
      return refuse(AppendError::kMessageTooLarge,
                    fmt::format("batch {}: {} bytes, above max.message.bytes {}", index,
                                header.total_size(), max_message_bytes));
    }
    result.batches.push_back(BatchInBlob{.position = position, .header = header});
    position += header.total_size();
    ++index;
  }
  return result;
}

Result<RecordBatchHeader> check_stored_batch(BytesView bytes) {
  if (bytes.size() < RecordBatchHeader::kSize) {
    return corruption_error(
        fmt::format("{} byte(s) left, shorter than a batch header", bytes.size()));
  }
  const RecordBatchHeader header = RecordBatchHeader::parse(bytes);
  if (header.magic != 2) return corruption_error(fmt::format("magic {}", header.magic));
  if (header.batch_length <
          static_cast<int32_t>(RecordBatchHeader::kSize - RecordBatchHeader::kLogOverhead) ||
      header.total_size() > bytes.size()) {
    return corruption_error(
        fmt::format("batch length {} with {} byte(s) left", header.batch_length, bytes.size()));
  }
  if (record_batch_crc(bytes.subview(0, header.total_size())) != header.crc) {
    return corruption_error("CRC32C mismatch");
  }
  if (header.last_offset_delta < 0) {
    return corruption_error(fmt::format("last offset delta {}", header.last_offset_delta));
  }
  return header;
}

}  // namespace runnel::broker

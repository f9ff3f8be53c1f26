#include "broker/storage/record_batch_builder.h"

#include <fmt/format.h>

#include "core/big_endian.h"

namespace runnel::broker {
namespace {

void put_varlong(Bytes& out, int64_t value) {
  uint64_t raw = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  uint8_t buffer[10];
  size_t n = 0;
  while (raw >= 0x80) {
    buffer[n++] = static_cast<uint8_t>(raw | 0x80);
    raw >>= 7;
  }
  buffer[n++] = static_cast<uint8_t>(raw);
  out.append(BytesView(buffer, n));
}

void put_nullable(Bytes& out, const NullableBytes& bytes) {
  if (!bytes) {
    put_varlong(out, -1);
    return;
  }
  put_varlong(out, static_cast<int64_t>(bytes->size()));
  out.append(bytes->view());
}

// Reads from a batch's records section; every read is bounds-checked.
class VarintReader {
 public:
  explicit VarintReader(BytesView bytes) : bytes_(bytes) {}
  bool done() const { return position_ >= bytes_.size(); }

  Result<int64_t> varlong() {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (position_ >= bytes_.size()) return corruption_error("record truncated in a varint");
      const uint8_t byte = bytes_[position_++];
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return static_cast<int64_t>((result >> 1) ^ (~(result & 1) + 1));
    }
    return corruption_error("varint longer than 10 bytes");
  }

  Result<NullableBytes> nullable_bytes() {
    RUNNEL_ASSIGN_OR_RETURN(int64_t length, varlong());
    if (length < 0) return NullableBytes();
    if (static_cast<uint64_t>(length) > bytes_.size() - position_) {
      return corruption_error(fmt::format("field of {} bytes past the record's end", length));
    }
    Bytes value(bytes_.subview(position_, static_cast<size_t>(length)));
    position_ += static_cast<size_t>(length);
    return NullableBytes(std::move(value));
  }

  Status skip_byte() {
    if (position_ >= bytes_.size()) return corruption_error("record truncated");
    ++position_;
    return ok_status();
  }

 private:
  BytesView bytes_;
  size_t position_ = 0;
};

}  // namespace

RecordBatchBuilder& RecordBatchBuilder::add(const NullableBytes& key, const NullableBytes& value,
                                            int64_t timestamp_ms, const Headers& headers) {
  Bytes body;
  body.append(BytesView(std::string_view("\0", 1)));  // attributes: unused, 0
  put_varlong(body, timestamp_ms - base_timestamp_);
  put_varlong(body, count_);
  put_nullable(body, key);
  put_nullable(body, value);
  put_varlong(body, static_cast<int64_t>(headers.size()));
  for (const Header& header : headers) {
    put_varlong(body, static_cast<int64_t>(header.key.size()));
    body.append(BytesView(header.key));
    put_nullable(body, header.value);
  }
  put_varlong(records_, static_cast<int64_t>(body.size()));
  records_.append(body.view());
  max_timestamp_ = std::max(max_timestamp_, timestamp_ms);
  ++count_;
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::set_producer(int64_t producer_id, int16_t epoch,
                                                     int32_t base_sequence, bool transactional) {
  producer_id_ = producer_id;
  producer_epoch_ = epoch;
  base_sequence_ = base_sequence;
  attributes_ = transactional ? RecordBatchHeader::kTransactionalFlag : int16_t{0};
  return *this;
}

RecordBatchBuilder& RecordBatchBuilder::set_transactional(int64_t producer_id,
                                                          int16_t producer_epoch) {
  set_producer(producer_id, producer_epoch, -1, /*transactional=*/true);
  return *this;
}

Bytes RecordBatchBuilder::build() {
  Bytes batch;
  batch.resize(RecordBatchHeader::kSize);
  uint8_t* p = batch.data();
  const int32_t batch_length = static_cast<int32_t>(
      RecordBatchHeader::kSize - RecordBatchHeader::kLogOverhead + records_.size());
  store_big_endian<int64_t>(p + 0, 0);
  store_big_endian<int32_t>(p + 8, batch_length);
  store_big_endian<int32_t>(p + 12, -1);           // partition leader epoch
  p[16] = 2;                                       // magic
  store_big_endian<int16_t>(p + 21, attributes_);  // no compression, CreateTime
  store_big_endian<int32_t>(p + 23, count_ - 1);
  store_big_endian<int64_t>(p + 27, base_timestamp_);
  store_big_endian<int64_t>(p + 35, count_ > 0 ? max_timestamp_ : base_timestamp_);
  store_big_endian<int64_t>(p + 43, producer_id_);
  store_big_endian<int16_t>(p + 51, producer_epoch_);
  store_big_endian<int32_t>(p + 53, base_sequence_);
  store_big_endian<int32_t>(p + 57, count_);
  batch.append(records_.view());
  store_big_endian<uint32_t>(batch.data() + RecordBatchHeader::kCrcAt,
                             record_batch_crc(batch.view()));
  return batch;
}

Bytes build_transaction_marker(int64_t producer_id, int16_t producer_epoch,
                               const TransactionMarker& marker, int64_t timestamp_ms) {
  uint8_t key[4];
  store_big_endian<int16_t>(key, 0);  // version
  store_big_endian<int16_t>(key + 2, static_cast<int16_t>(marker.type));
  uint8_t value[6];
  store_big_endian<int16_t>(value, 0);  // version
  store_big_endian<int32_t>(value + 2, marker.coordinator_epoch);
  RecordBatchBuilder builder(timestamp_ms);
  builder.set_producer(producer_id, producer_epoch, -1, /*transactional=*/true);
  builder.attributes_ |= RecordBatchHeader::kControlFlag;
  builder.add(NullableBytes(Bytes(BytesView(key, sizeof key))),
              NullableBytes(Bytes(BytesView(value, sizeof value))), timestamp_ms, Headers());
  return builder.build();
}

Result<std::vector<DecodedRecord>> decode_uncompressed_batch(BytesView batch) {
  RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, check_stored_batch(batch));
  if ((header.attributes & RecordBatchHeader::kCompressionMask) != 0) {
    return unsupported_error("decoding a compressed batch");
  }
  VarintReader reader(
      batch.subview(RecordBatchHeader::kSize, header.total_size() - RecordBatchHeader::kSize));
  std::vector<DecodedRecord> records;
  for (int32_t i = 0; i < header.record_count; ++i) {
    RUNNEL_ASSIGN_OR_RETURN(int64_t length, reader.varlong());
    (void)length;
    RUNNEL_RETURN_IF_ERROR(reader.skip_byte());  // attributes
    RUNNEL_ASSIGN_OR_RETURN(int64_t timestamp_delta, reader.varlong());
    RUNNEL_ASSIGN_OR_RETURN(int64_t offset_delta, reader.varlong());
    DecodedRecord record;
    record.offset = header.base_offset + offset_delta;
    record.timestamp_ms = header.base_timestamp + timestamp_delta;
    RUNNEL_ASSIGN_OR_RETURN(record.key, reader.nullable_bytes());
    RUNNEL_ASSIGN_OR_RETURN(record.value, reader.nullable_bytes());
    RUNNEL_ASSIGN_OR_RETURN(int64_t header_count, reader.varlong());
    if (header_count < 0) return corruption_error("negative header count");
    for (int64_t h = 0; h < header_count; ++h) {
      RUNNEL_ASSIGN_OR_RETURN(NullableBytes key, reader.nullable_bytes());
      if (!key) return corruption_error("null header key");
      RUNNEL_ASSIGN_OR_RETURN(NullableBytes value, reader.nullable_bytes());
      record.headers.add(key->to_string(), std::move(value));
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace runnel::broker

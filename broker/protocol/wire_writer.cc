#include "broker/protocol/wire_writer.h"

#include <bit>

#include "core/big_endian.h"

namespace runnel::broker {

template <typename T>
void WireWriter::write_fixed(T value) {
  const size_t at = bytes_.size();
  bytes_.resize(at + sizeof(T));
  store_big_endian<T>(bytes_.data() + at, value);
}

void WireWriter::write_int8(int8_t value) { write_fixed<int8_t>(value); }
void WireWriter::write_int16(int16_t value) { write_fixed<int16_t>(value); }
void WireWriter::write_uint16(uint16_t value) { write_fixed<uint16_t>(value); }
void WireWriter::write_int32(int32_t value) { write_fixed<int32_t>(value); }
void WireWriter::write_int64(int64_t value) { write_fixed<int64_t>(value); }
void WireWriter::write_float64(double value) {
  write_fixed<int64_t>(std::bit_cast<int64_t>(value));
}

void WireWriter::write_uuid(const Uuid& value) {
  bytes_.append(BytesView(value.data(), value.size()));
}

void WireWriter::write_uvarint(uint32_t value) {
  uint8_t buffer[5];
  size_t n = 0;
  while (value >= 0x80) {
    buffer[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  buffer[n++] = static_cast<uint8_t>(value);
  bytes_.append(BytesView(buffer, n));
}

void WireWriter::write_varint(int32_t value) {
  write_uvarint((static_cast<uint32_t>(value) << 1) ^ static_cast<uint32_t>(value >> 31));
}

void WireWriter::write_varlong(int64_t value) {
  uint64_t raw = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  uint8_t buffer[10];
  size_t n = 0;
  while (raw >= 0x80) {
    buffer[n++] = static_cast<uint8_t>(raw | 0x80);
    raw >>= 7;
  }
  buffer[n++] = static_cast<uint8_t>(raw);
  bytes_.append(BytesView(buffer, n));
}

void WireWriter::write_length(int64_t length, bool compact, bool wide) {
  if (compact) {
    write_uvarint(static_cast<uint32_t>(length + 1));
  } else if (wide) {
    write_int32(static_cast<int32_t>(length));
  } else {
    write_int16(static_cast<int16_t>(length));
  }
}

void WireWriter::write_string(std::string_view value, bool compact) {
  write_length(static_cast<int64_t>(value.size()), compact, false);
  bytes_.append(BytesView(value));
}

void WireWriter::write_nullable_string(const std::optional<std::string>& value, bool compact) {
  if (!value) {
    write_length(-1, compact, false);
    return;
  }
  write_string(*value, compact);
}

void WireWriter::write_bytes(const Bytes& value, bool compact) {
  write_length(static_cast<int64_t>(value.size()), compact, true);
  bytes_.append(value.view());
}

void WireWriter::write_nullable_bytes(const std::optional<Bytes>& value, bool compact) {
  if (!value) {
    write_length(-1, compact, true);
    return;
  }
  write_bytes(*value, compact);
}

void WireWriter::write_records(const std::optional<BytesView>& value, bool compact) {
  if (!value) {
    write_length(-1, compact, true);
    return;
  }
  write_length(static_cast<int64_t>(value->size()), compact, true);
  bytes_.append(*value);
}

void WireWriter::write_array_length(int32_t count, bool compact) {
  if (compact) {
    write_uvarint(static_cast<uint32_t>(count + 1));
  } else {
    write_int32(count);
  }
}

void WireWriter::patch_int32(size_t position, int32_t value) {
  store_big_endian<int32_t>(bytes_.data() + position, value);
}

}  // namespace runnel::broker

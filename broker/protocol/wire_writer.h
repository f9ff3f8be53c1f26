#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/protocol/wire_reader.h"
#include "core/bytes.h"

namespace runnel::broker {

// Writes the Kafka protocol's primitive types into a growing buffer, the mirror of
// WireReader. `compact` selects the flexible-version encodings.
class WireWriter {
 public:
  WireWriter() = default;

  size_t size() const { return bytes_.size(); }
  Bytes& bytes() { return bytes_; }
  Bytes take() { return std::move(bytes_); }

  void write_int8(int8_t value);
  void write_int16(int16_t value);
  void write_uint16(uint16_t value);
  void write_int32(int32_t value);
  void write_int64(int64_t value);
  void write_float64(double value);
  void write_bool(bool value) { write_int8(value ? 1 : 0); }
  void write_uuid(const Uuid& value);
  void write_uvarint(uint32_t value);
  void write_varint(int32_t value);
  void write_varlong(int64_t value);

  void write_string(std::string_view value, bool compact);
  void write_nullable_string(const std::optional<std::string>& value, bool compact);
  void write_bytes(const Bytes& value, bool compact);
  void write_nullable_bytes(const std::optional<Bytes>& value, bool compact);
  void write_records(const std::optional<BytesView>& value, bool compact);
  // -1 writes a null array.
  void write_array_length(int32_t count, bool compact);
  void write_raw(BytesView bytes) { bytes_.append(bytes); }

  // Overwrites four bytes at `position` (a length written before its contents were known).
  void patch_int32(size_t position, int32_t value);

 private:
  void write_length(int64_t length, bool compact, bool wide);
  template <typename T>
  void write_fixed(T value);

  Bytes bytes_;
};

}  // namespace runnel::broker

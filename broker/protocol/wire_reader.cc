#include "broker/protocol/wire_reader.h"

#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "core/big_endian.h"

namespace runnel::broker {

Status WireReader::error(std::string_view what) const {
  return corruption_error(
      fmt::format("kafka protocol: {} at byte {} of {}", what, position_, bytes_.size()));
}

Status WireReader::need(size_t count, std::string_view what) const {
  if (count > remaining()) {
    return error(fmt::format("{} needs {} byte(s), {} left", what, count, remaining()));
  }
  return ok_status();
}

Status WireReader::read_int8(int8_t& value) {
  RUNNEL_RETURN_IF_ERROR(need(1, "int8"));
  value = static_cast<int8_t>(bytes_[position_++]);
  return ok_status();
}

Status WireReader::read_int16(int16_t& value) {
  RUNNEL_RETURN_IF_ERROR(need(2, "int16"));
  value = load_big_endian<int16_t>(bytes_.data() + position_);
  position_ += 2;
  return ok_status();
}

Status WireReader::read_uint16(uint16_t& value) {
  RUNNEL_RETURN_IF_ERROR(need(2, "uint16"));
  value = load_big_endian<uint16_t>(bytes_.data() + position_);
  position_ += 2;
  return ok_status();
}

Status WireReader::read_int32(int32_t& value) {
  RUNNEL_RETURN_IF_ERROR(need(4, "int32"));
  value = load_big_endian<int32_t>(bytes_.data() + position_);
  position_ += 4;
  return ok_status();
}

Status WireReader::read_int64(int64_t& value) {
  RUNNEL_RETURN_IF_ERROR(need(8, "int64"));
  value = load_big_endian<int64_t>(bytes_.data() + position_);
  position_ += 8;
  return ok_status();
}

Status WireReader::read_float64(double& value) {
  int64_t bits = 0;
  RUNNEL_RETURN_IF_ERROR(read_int64(bits));
  value = std::bit_cast<double>(bits);
  return ok_status();
}

Status WireReader::read_bool(bool& value) {
  int8_t byte = 0;
  RUNNEL_RETURN_IF_ERROR(read_int8(byte));
  value = byte != 0;
  return ok_status();
}

Status WireReader::read_uuid(Uuid& value) {
  RUNNEL_RETURN_IF_ERROR(need(16, "uuid"));
  std::memcpy(value.data(), bytes_.data() + position_, 16);
  position_ += 16;
  return ok_status();
}

Status WireReader::read_uvarint(uint32_t& value) {
  uint32_t result = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    RUNNEL_RETURN_IF_ERROR(need(1, "varint"));
    const uint8_t byte = bytes_[position_++];
    result |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      value = result;
      return ok_status();
    }
  }
  return error("varint longer than 5 bytes");
}

Status WireReader::read_varint(int32_t& value) {
  uint32_t raw = 0;
  RUNNEL_RETURN_IF_ERROR(read_uvarint(raw));
  value = static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
  return ok_status();
}

Status WireReader::read_varlong(int64_t& value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    RUNNEL_RETURN_IF_ERROR(need(1, "varlong"));
    const uint8_t byte = bytes_[position_++];
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      value = static_cast<int64_t>((result >> 1) ^ (~(result & 1) + 1));
      return ok_status();
    }
  }
  return error("varlong longer than 10 bytes");
}

Status WireReader::read_length(int64_t& length, bool compact, bool wide, std::string_view what) {
  if (compact) {
    uint32_t raw = 0;
    RUNNEL_RETURN_IF_ERROR(read_uvarint(raw));
    length = static_cast<int64_t>(raw) - 1;
  } else if (wide) {
    int32_t raw = 0;
    RUNNEL_RETURN_IF_ERROR(read_int32(raw));
    length = raw;
  } else {
    int16_t raw = 0;
    RUNNEL_RETURN_IF_ERROR(read_int16(raw));
    length = raw;
  }
  if (length < -1) return error(fmt::format("{} has a negative length {}", what, length));
  if (length > static_cast<int64_t>(remaining())) {
    return error(fmt::format("{} of {} byte(s) but only {} left", what, length, remaining()));
  }
  return ok_status();
}

Status WireReader::read_string(std::string& value, bool compact) {
  std::optional<std::string> nullable;
  RUNNEL_RETURN_IF_ERROR(read_nullable_string(nullable, compact));
  if (!nullable) return error("null string in a non-nullable field");
  value = std::move(*nullable);
  return ok_status();
}

Status WireReader::read_nullable_string(std::optional<std::string>& value, bool compact) {
  int64_t length = 0;
  RUNNEL_RETURN_IF_ERROR(read_length(length, compact, false, "string"));
  if (length < 0) {
    value.reset();
    return ok_status();
  }
  value.emplace(reinterpret_cast<const char*>(bytes_.data() + position_),
                static_cast<size_t>(length));
  position_ += static_cast<size_t>(length);
  return ok_status();
}

Status WireReader::read_bytes(Bytes& value, bool compact) {
  std::optional<Bytes> nullable;
  RUNNEL_RETURN_IF_ERROR(read_nullable_bytes(nullable, compact));
  if (!nullable) return error("null bytes in a non-nullable field");
  value = std::move(*nullable);
  return ok_status();
}

Status WireReader::read_nullable_bytes(std::optional<Bytes>& value, bool compact) {
  int64_t length = 0;
  RUNNEL_RETURN_IF_ERROR(read_length(length, compact, true, "bytes"));
  if (length < 0) {
    value.reset();
    return ok_status();
  }
  value.emplace(bytes_.subview(position_, static_cast<size_t>(length)));
  position_ += static_cast<size_t>(length);
  return ok_status();
}

Status WireReader::read_records(std::optional<BytesView>& value, bool compact) {
  int64_t length = 0;
  RUNNEL_RETURN_IF_ERROR(read_length(length, compact, true, "records"));
  if (length < 0) {
    value.reset();
    return ok_status();
  }
  value = bytes_.subview(position_, static_cast<size_t>(length));
  position_ += static_cast<size_t>(length);
  return ok_status();
}

Status WireReader::read_array_length(int32_t& count, bool compact, std::string_view field) {
  int64_t length = 0;
  if (compact) {
    uint32_t raw = 0;
    RUNNEL_RETURN_IF_ERROR(read_uvarint(raw));
    length = static_cast<int64_t>(raw) - 1;
  } else {
    int32_t raw = 0;
    RUNNEL_RETURN_IF_ERROR(read_int32(raw));
    length = raw;
  }
  if (length < -1) return error(fmt::format("array {} has a negative count {}", field, length));
  if (length > static_cast<int64_t>(remaining())) {
    return error(fmt::format("array {} claims {} element(s) but only {} byte(s) are left", field,
                             length, remaining()));
  }
  count = static_cast<int32_t>(length);
  return ok_status();
}

Status WireReader::skip(size_t count) {
  RUNNEL_RETURN_IF_ERROR(need(count, "tagged field"));
  position_ += count;
  return ok_status();
}

Status WireReader::sub_reader(size_t count, WireReader& sub) {
  RUNNEL_RETURN_IF_ERROR(need(count, "tagged field"));
  sub = WireReader(bytes_.subview(position_, count));
  position_ += count;
  return ok_status();
}

}  // namespace runnel::broker

#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace runnel::broker {

using Uuid = std::array<uint8_t, 16>;

// Reads the Kafka protocol's primitive types from untrusted bytes (protocol guide,
// "Protocol Primitive Types"). Every read is bounds-checked and fails with a corruption_error
// naming what could not be read and where; nothing is allocated from a length that has not
// been checked against the bytes remaining, so an absurd array count or string length in a
// small request fails at once instead of reserving gigabytes.
//
// `compact` selects the flexible-version encodings: lengths as unsigned varints holding
// length + 1 (0 = null).
class WireReader {
 public:
  explicit WireReader(BytesView bytes) : bytes_(bytes) {}

  size_t position() const { return position_; }
  size_t remaining() const { return bytes_.size() - position_; }

  Status read_int8(int8_t& value);
  Status read_int16(int16_t& value);
  Status read_uint16(uint16_t& value);
  Status read_int32(int32_t& value);
  Status read_int64(int64_t& value);
  Status read_float64(double& value);
  Status read_bool(bool& value);
  Status read_uuid(Uuid& value);
  Status read_uvarint(uint32_t& value);
  Status read_varint(int32_t& value);
  Status read_varlong(int64_t& value);

  Status read_string(std::string& value, bool compact);
  Status read_nullable_string(std::optional<std::string>& value, bool compact);
  Status read_bytes(Bytes& value, bool compact);
  Status read_nullable_bytes(std::optional<Bytes>& value, bool compact);
  // A record batch blob, as a view into the reader's bytes (no copy); null stays nullopt.
  Status read_records(std::optional<BytesView>& value, bool compact);
  // An array's element count; -1 for a null array. Fails when the count exceeds the bytes
  // remaining (every element takes at least one byte). `field` names it in the error.
  Status read_array_length(int32_t& count, bool compact, std::string_view field);

  // Reserves room for up to `count` elements of `elements`, but never more memory than the
  // bytes still unread: a claimed count is untrusted, and an element may be far larger in
  // memory than the one byte it can take on the wire. Elements beyond the reservation are
  // paid for by the bytes that actually decode.
  template <typename Vector>
  void reserve_for(Vector& elements, int32_t count) const {
    const size_t affordable = remaining() / sizeof(typename Vector::value_type);
    elements.reserve(std::min(static_cast<size_t>(count), affordable));
  }

  Status skip(size_t count);
  // A reader over the next `count` bytes, which this reader then skips.
  Status sub_reader(size_t count, WireReader& sub);

  // A corruption_error naming `what` and the current position.
  Status error(std::string_view what) const;

 private:
  Status need(size_t count, std::string_view what) const;
  // A length prefix: int16/int32 (classic) or uvarint-1 (compact); -1 = null.
  Status read_length(int64_t& length, bool compact, bool wide, std::string_view what);

  BytesView bytes_;
  size_t position_ = 0;
};

}  // namespace runnel::broker

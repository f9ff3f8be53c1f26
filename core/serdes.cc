#include "core/serdes.h"

#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "core/big_endian.h"

namespace runnel {
namespace {

template <std::integral T>
void append_big_endian(T value, Bytes& out) {
  const std::size_t at = out.size();
  out.resize(at + sizeof(T));
  store_big_endian(out.data() + at, value);
}

template <std::integral T>
Result<T> read_exactly_big_endian(std::string_view serde_name, BytesView data) {
  if (data.size() != sizeof(T)) return serde_size_error(serde_name, sizeof(T), data.size());
  return load_big_endian<T>(data.data());
}

}  // namespace

Status BytesSerde::serialize_to(const Bytes& value, Bytes& out) const {
  out.append(value);
  return ok_status();
}

Result<Bytes> BytesSerde::deserialize(BytesView data) const { return Bytes(data); }

Status StringSerde::serialize_to(const std::string& value, Bytes& out) const {
  out.append(BytesView(value));
  return ok_status();
}

Result<std::string> StringSerde::deserialize(BytesView data) const {
  return std::string(data.as_string_view());
}

Status Int32Serde::serialize_to(const std::int32_t& value, Bytes& out) const {
  append_big_endian(value, out);
  return ok_status();
}

Result<std::int32_t> Int32Serde::deserialize(BytesView data) const {
  return read_exactly_big_endian<std::int32_t>(name(), data);
}

Status Int64Serde::serialize_to(const std::int64_t& value, Bytes& out) const {
  append_big_endian(value, out);
  return ok_status();
}

Result<std::int64_t> Int64Serde::deserialize(BytesView data) const {
  return read_exactly_big_endian<std::int64_t>(name(), data);
}

Status DoubleSerde::serialize_to(const double& value, Bytes& out) const {
  static_assert(std::numeric_limits<double>::is_iec559, "DoubleSerde needs IEEE 754 doubles");
  constexpr std::uint64_t kCanonicalNan = 0x7ff8000000000000ULL;
  const std::uint64_t bits =
      std::isnan(value) ? kCanonicalNan : std::bit_cast<std::uint64_t>(value);
  append_big_endian(bits, out);
  return ok_status();
}

Result<double> DoubleSerde::deserialize(BytesView data) const {
  RUNNEL_ASSIGN_OR_RETURN(std::uint64_t bits, read_exactly_big_endian<std::uint64_t>(name(), data));
  return std::bit_cast<double>(bits);
}

Status VoidSerde::serialize_to(const Void&, Bytes&) const {
  return invalid_argument_error("void serde: a Void has no byte form; it serializes only to null");
}

Result<Void> VoidSerde::deserialize(BytesView data) const {
  return corruption_error("void serde: expected null, got " + std::to_string(data.size()) +
                          " bytes");
}

Result<NullableBytes> VoidSerde::serialize_nullable(const std::optional<Void>&) const {
  return NullableBytes();
}

Result<std::optional<Void>> VoidSerde::deserialize_nullable(NullableBytesView data) const {
  if (data) return deserialize(*data).status();
  return std::optional<Void>();
}

}  // namespace runnel

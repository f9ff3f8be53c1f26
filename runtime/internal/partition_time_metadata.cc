#include "runtime/internal/partition_time_metadata.h"

#include <cstdint>

#include "core/base64.h"
#include "core/big_endian.h"

namespace runnel::internal {

namespace {

constexpr std::uint8_t kWrittenVersion = 1;
constexpr std::uint8_t kNewestReadVersion = 2;
constexpr std::size_t kEncodedBytes = 1 + sizeof(std::int64_t);

}  // namespace

std::string encode_partition_time(Timestamp partition_time) {
  std::uint8_t binary[kEncodedBytes];
  binary[0] = kWrittenVersion;
  store_big_endian<std::int64_t>(binary + 1, partition_time);
  return base64_encode(BytesView(binary, kEncodedBytes));
}

std::optional<Timestamp> decode_partition_time(std::string_view metadata) {
  if (metadata.empty()) return std::nullopt;
  const std::optional<Bytes> binary = base64_decode(metadata);
  if (!binary || binary->size() < kEncodedBytes) return std::nullopt;
  const std::uint8_t version = binary->data()[0];
  if (version < kWrittenVersion || version > kNewestReadVersion) return std::nullopt;
  // Version 1 is exactly the time; version 2 may carry processor metadata after it.
  if (version == kWrittenVersion && binary->size() != kEncodedBytes) return std::nullopt;
  const Timestamp time = load_big_endian<std::int64_t>(binary->data() + 1);
  if (time < 0) return std::nullopt;
  return time;
}

}  // namespace runnel::internal

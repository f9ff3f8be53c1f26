#include "runtime/internal/default_partitioner.h"

namespace runnel::internal {

std::int32_t murmur2(BytesView data) {
  const std::uint32_t length = static_cast<std::uint32_t>(data.size());
  const std::uint32_t seed = 0x9747b28c;
  const std::uint32_t m = 0x5bd1e995;
  const int r = 24;
  std::uint32_t h = seed ^ length;
  const std::uint32_t length4 = length / 4;
  for (std::uint32_t i = 0; i < length4; i++) {
    const std::uint32_t i4 = i * 4;
    std::uint32_t k = (data[i4 + 0] & 0xffu) | ((data[i4 + 1] & 0xffu) << 8) |
                      ((data[i4 + 2] & 0xffu) << 16) | ((data[i4 + 3] & 0xffu) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::uint32_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(data[tail + 2] & 0xff) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(data[tail + 1] & 0xff) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<std::uint32_t>(data[tail] & 0xff);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t default_partition(BytesView key, std::int32_t partitions) {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

}  // namespace runnel::internal

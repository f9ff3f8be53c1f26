#pragma once

#include <cstddef>
#include <cstdint>

#include "core/big_endian.h"
#include "core/bytes.h"

// The cache key of a record cache in front of a segmented store (window and session stores):
// the segment's id, 8 bytes big-endian, then the underlying store's key. Ordering cache keys
// bytewise orders them by segment first, as the segmented store iterates.
namespace runnel::state::segmented_cache_key {

inline constexpr std::size_t kSegmentPrefixSize = 8;

// The prefix alone: the smallest cache key of `segment`.
inline Bytes segment_prefix(std::int64_t segment) {
  Bytes out;
  out.resize(kSegmentPrefixSize);
  store_big_endian<std::int64_t>(out.data(), segment);
  return out;
}

inline std::int64_t segment_of(BytesView cache_key) {
  return load_big_endian<std::int64_t>(cache_key.data());
}

// The underlying store's key: a view into `cache_key`.
inline BytesView store_key_of(BytesView cache_key) {
  return cache_key.subview(kSegmentPrefixSize, cache_key.size() - kSegmentPrefixSize);
}

}  // namespace runnel::state::segmented_cache_key

#pragma once

#include "core/bytes.h"

namespace runnel::state::internal {

// Orders Bytes and BytesView alike, lexicographically by unsigned byte (RocksDB's bytewise
// order); transparent so that maps keyed by Bytes are searched with views without copying.
struct BytesLess {
  using is_transparent = void;
  bool operator()(BytesView a, BytesView b) const noexcept { return a < b; }
};

// Whether `key` starts with `prefix`.
inline bool has_prefix(BytesView key, BytesView prefix) noexcept {
  return key.size() >= prefix.size() && key.subview(0, prefix.size()) == prefix;
}

}  // namespace runnel::state::internal

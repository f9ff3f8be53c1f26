#include "operators/internal/fk_join_wire.h"

// Inlined into this file only, so that nothing else links or sees xxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace runnel::internal {

ValueHash hash_value(BytesView serialized) {
  const XXH128_hash_t h = XXH3_128bits(serialized.data(), serialized.size());
  ValueHash out;
  store_big_endian(out.data(), static_cast<std::uint64_t>(h.high64));
  store_big_endian(out.data() + 8, static_cast<std::uint64_t>(h.low64));
  return out;
}

}  // namespace runnel::internal

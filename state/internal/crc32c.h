#pragma once

#include <cstdint>

#include "core/bytes.h"

namespace runnel::state::internal {

// CRC-32C (Castagnoli), the checksum of Kafka record batches; here it guards checkpoint files.
// Table-driven: checkpoint files are small and written once per commit.
std::uint32_t crc32c(BytesView data);

}  // namespace runnel::state::internal

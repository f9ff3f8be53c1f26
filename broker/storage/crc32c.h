#pragma once

#include <cstdint>

#include "core/bytes.h"

namespace runnel::broker {

// CRC-32C (Castagnoli), the checksum of Kafka record batches (magic v2): computed over the
// batch from the attributes field to its end.
std::uint32_t crc32c(BytesView data);

// Continues a CRC-32C over more bytes: crc32c_extend(crc32c(a), b) == crc32c(a + b).
std::uint32_t crc32c_extend(std::uint32_t crc, BytesView data);

// Both functions above use the CPU's CRC32 instruction (SSE4.2, detected at run time) when it
// has one, and Boost.CRC's table otherwise; the results are identical. These always use the
// table (tests compare the two paths; the benchmark measures both).
bool crc32c_hardware_available();
std::uint32_t crc32c_portable(BytesView data);
std::uint32_t crc32c_extend_portable(std::uint32_t crc, BytesView data);

}  // namespace runnel::broker

#include "broker/storage/crc32c.h"

#include <boost/crc.hpp>

namespace runnel::broker {
namespace {

// Boost.CRC's table-driven CRC with the Castagnoli polynomial, reflected in and out, with
// the initial value and final XOR of 0xffffffff that make it CRC-32C.
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

}  // namespace

std::uint32_t crc32c(BytesView data) { return crc32c_extend(0, data); }

std::uint32_t crc32c_extend(std::uint32_t crc, BytesView data) {
  // To resume from a finished CRC, undo the final XOR; Boost reflects the initial remainder
  // it is given for a reflected CRC, so hand it the bit-reversed register.
  std::uint32_t reg = crc ^ 0xFFFFFFFFu;
  std::uint32_t unreflected = 0;
  for (int bit = 0; bit < 32; ++bit) unreflected |= ((reg >> bit) & 1u) << (31 - bit);
  Crc32cEngine engine(unreflected);
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

}  // namespace runnel::broker

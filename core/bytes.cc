#include "core/bytes.h"

#include <algorithm>

namespace runnel {

std::strong_ordering operator<=>(BytesView a, BytesView b) noexcept {
  const std::size_t common = std::min(a.size(), b.size());
  const int cmp = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  if (cmp != 0) return cmp < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.size() <=> b.size();
}

std::string to_hex(BytesView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, BytesView bytes) {
  constexpr std::size_t kShown = 64;
  if (bytes.size() <= kShown) return os << '[' << to_hex(bytes) << ']';
  return os << '[' << to_hex(bytes.subview(0, kShown)) << "... " << bytes.size() << " bytes]";
}

std::ostream& operator<<(std::ostream& os, const Bytes& bytes) { return os << bytes.view(); }

}  // namespace runnel

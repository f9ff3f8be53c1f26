#include "runtime/internal/partition_time_metadata.h"

#include <algorithm>
#include <cstdint>

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/binary_from_base64.hpp>
#include <boost/archive/iterators/transform_width.hpp>

#include "core/big_endian.h"

namespace runnel::internal {

namespace {

constexpr char kWrittenVersion = 1;
constexpr char kNewestReadVersion = 2;
constexpr std::size_t kEncodedBytes = 1 + sizeof(std::int64_t);

std::string base64_encode(std::string_view binary) {
  using namespace boost::archive::iterators;
  using Encoder = base64_from_binary<transform_width<std::string_view::const_iterator, 6, 8>>;
  std::string text(Encoder(binary.begin()), Encoder(binary.end()));
  text.append((3 - binary.size() % 3) % 3, '=');
  return text;
}

// Nullopt on a character outside the base64 alphabet or a length that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  const std::string_view body = text.substr(0, text.size() - padding);
  const bool alphabet_only = std::all_of(body.begin(), body.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
  if (!alphabet_only) return std::nullopt;
  using namespace boost::archive::iterators;
  using Decoder = transform_width<binary_from_base64<std::string_view::const_iterator>, 8, 6>;
  std::string binary(Decoder(body.begin()), Decoder(body.end()));
  // The decoder turns the last partial sextets into a byte of zero bits too.
  binary.resize(body.size() * 6 / 8);
  return binary;
}

}  // namespace

std::string encode_partition_time(Timestamp partition_time) {
  std::string binary(kEncodedBytes, '\0');
  binary[0] = kWrittenVersion;
  store_big_endian<std::int64_t>(reinterpret_cast<std::uint8_t*>(binary.data() + 1),
                                 partition_time);
  return base64_encode(binary);
}

std::optional<Timestamp> decode_partition_time(std::string_view metadata) {
  if (metadata.empty()) return std::nullopt;
  const std::optional<std::string> binary = base64_decode(metadata);
  if (!binary || binary->size() < kEncodedBytes) return std::nullopt;
  const char version = (*binary)[0];
  if (version < kWrittenVersion || version > kNewestReadVersion) return std::nullopt;
  // Version 1 is exactly the time; version 2 may carry processor metadata after it.
  if (version == kWrittenVersion && binary->size() != kEncodedBytes) return std::nullopt;
  const Timestamp time =
      load_big_endian<std::int64_t>(reinterpret_cast<const std::uint8_t*>(binary->data() + 1));
  if (time < 0) return std::nullopt;
  return time;
}

}  // namespace runnel::internal

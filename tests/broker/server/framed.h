#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/big_endian.h"

namespace runnel::broker {

// `body` behind the 4-byte big-endian size that frames every Kafka request and response.
inline std::string framed(std::string_view body) {
  std::string out(4, '\0');
  store_big_endian<int32_t>(reinterpret_cast<uint8_t*>(out.data()),
                            static_cast<int32_t>(body.size()));
  out.append(body);
  return out;
}

}  // namespace runnel::broker

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace runnel {

// Standard base64 with padding (RFC 4648 section 4): SCRAM's salts and proofs, Kafka Streams'
// commit metadata.
std::string base64_encode(BytesView bytes);
// nullopt when `text` is not canonical padded base64.
std::optional<Bytes> base64_decode(std::string_view text);

}  // namespace runnel

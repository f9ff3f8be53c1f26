#pragma once

#include <cstdint>

namespace runnel {

// A record timestamp: milliseconds since the Unix epoch, as Kafka stores them.
using Timestamp = std::int64_t;

// Kafka's "no timestamp" (-1), e.g. for records produced by pre-0.10 clients.
inline constexpr Timestamp kNoTimestamp = -1;

}  // namespace runnel

#include "broker/handlers/supported_apis.h"

#include <array>

#include "broker/protocol/api_key.h"

namespace runnel::broker {
namespace {

constexpr int16_t key(ApiKey api) { return static_cast<int16_t>(api); }

// Why these ranges (from the clients' sources, see shared/kafka-protocol/README.md):
// - Produce 3 and Fetch 4 are the first versions with message format v2 (librdkafka requires
//   both); Produce 7 / Fetch 10 are needed for zstd; Fetch 11 makes kafka-python assume a
//   Kafka 2.3 broker, which selects Produce v7 and Fetch v4.
// - ListOffsets 1 enables offsets-by-timestamp in librdkafka; v2 adds isolation level.
// - Metadata 4 adds allow_auto_topic_creation; higher versions add nothing clients need here.
// - ApiVersions 3 is what librdkafka asks for first (flexible body, header v2).
constexpr std::array kSupportedApis = {
    ApiVersionRange{key(ApiKey::kProduce), 3, 7},
    ApiVersionRange{key(ApiKey::kFetch), 4, 11},
    ApiVersionRange{key(ApiKey::kListOffsets), 0, 2},
    ApiVersionRange{key(ApiKey::kMetadata), 0, 4},
    ApiVersionRange{key(ApiKey::kApiVersions), 0, 3},
    ApiVersionRange{key(ApiKey::kCreateTopics), 0, 4},
    ApiVersionRange{key(ApiKey::kDeleteTopics), 0, 3},
    ApiVersionRange{key(ApiKey::kDescribeConfigs), 0, 2},
    ApiVersionRange{key(ApiKey::kCreatePartitions), 0, 0},
};

}  // namespace

std::span<const ApiVersionRange> supported_apis() { return kSupportedApis; }

std::optional<ApiVersionRange> supported_range(int16_t api_key) {
  for (const ApiVersionRange& range : kSupportedApis) {
    if (range.api_key == api_key) return range;
  }
  return std::nullopt;
}

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace runnel::broker {

// One API runneld serves and the versions it serves, exactly as advertised in ApiVersions.
struct ApiVersionRange {
  int16_t api_key;
  int16_t min_version;
  int16_t max_version;

  bool contains(int16_t version) const { return version >= min_version && version <= max_version; }
};

// Every API runneld serves, by api key, in the order of the handler list (ServedApis in
// handlers.h, which also says why each range stops where it does). The ranges are chosen so
// that librdkafka 2.0.2 (and confluent-kafka and kcat on top of it) and kafka-python 2.0.2
// enable every feature they have for these APIs, without flexible versions except ApiVersions
// v3 (which librdkafka sends first). See /docs/PROTOCOL.md for the per-client reasoning.
std::span<const ApiVersionRange> supported_apis();

// The served range of `api_key`, or nullopt when runneld does not serve that API.
std::optional<ApiVersionRange> supported_range(int16_t api_key);

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/protocol/generated/api_versions_response.h"

namespace runnel::broker {

// ApiVersions: the served APIs and versions (supported_apis()). A client asking at a version
// above the highest served gets UNSUPPORTED_VERSION with the same list, which the caller
// encodes in the v0 layout every client can read; librdkafka then retries at v0 rather than
// falling back to ancient protocol features.
ApiVersionsResponse handle_api_versions(int16_t version);

}  // namespace runnel::broker

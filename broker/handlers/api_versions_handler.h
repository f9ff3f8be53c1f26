#pragma once

#include <cstdint>

#include "broker/handlers/handler.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/generated/api_versions_response.h"

namespace runnel::broker {

// ApiVersions: the served APIs and versions (supported_apis()). A client asking at a version
// above the highest served gets UNSUPPORTED_VERSION with the same list, which the caller
// encodes in the v0 layout every client can read; librdkafka then retries at v0 rather than
// falling back to ancient protocol features.
ApiVersionsResponse handle_api_versions(int16_t version);

// ApiVersions as runneld serves it (why these versions: handlers.h). The dispatcher answers a
// version above these itself, before decoding the body (see RequestDispatcher).
struct ApiVersionsHandler : HandlerTraits<ApiVersionsRequest, 0, 4> {
  static void handle(const HandlerCall& call, ApiVersionsRequest request, const Responder& respond);
};

}  // namespace runnel::broker

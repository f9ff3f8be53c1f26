#include "broker/handlers/api_versions_handler.h"

#include "broker/handlers/supported_apis.h"
#include "broker/protocol/error_code.h"

namespace runnel::broker {

ApiVersionsResponse handle_api_versions(int16_t version) {
  ApiVersionsResponse response;
  const bool served = supported_range(ApiVersionsResponse::kApiKey)->contains(version);
  response.error_code =
      static_cast<int16_t>(served ? ErrorCode::kNone : ErrorCode::kUnsupportedVersion);
  for (const ApiVersionRange& range : supported_apis()) {
    ApiVersionsResponse::ApiVersion api;
    api.api_key = range.api_key;
    api.min_version = range.min_version;
    api.max_version = range.max_version;
    response.api_keys.push_back(api);
  }
  return response;
}

void ApiVersionsHandler::handle(const HandlerCall& call, ApiVersionsRequest /*request*/,
                                const Responder& respond) {
  respond.send(handle_api_versions(call.version()));
}

}  // namespace runnel::broker

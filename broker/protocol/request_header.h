#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "core/status.h"

namespace runnel::broker {

// The header in front of every request (RequestHeader.json).
struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// Header versions: requests use v2 (tagged fields after the client id) at the API's flexible
// versions and v1 otherwise; responses use v1 (tagged fields) at flexible versions and v0
// otherwise, except ApiVersions, whose response header is always v0 so that a client that
// does not yet know the broker's versions can read it. An API key the schemas do not define
// gets request header v1 / response header v0.
int16_t request_header_version(int16_t api_key, int16_t api_version);
int16_t response_header_version(int16_t api_key, int16_t api_version);

// Reads the header, choosing its version from the api key and version it starts with. The
// client id is always a classic (int16-length) nullable string, even in header v2.
Status decode_request_header(WireReader& reader, RequestHeader& header);

// Writes a response header of `header_version` (0: correlation id; 1: plus empty tagged fields).
void encode_response_header(WireWriter& writer, int32_t correlation_id, int16_t header_version);

// The client's side, for tools that speak the protocol themselves: writes `header` in the
// version its api key and version call for, and reads a response header of `header_version`
// (tagged fields skipped).
void encode_request_header(WireWriter& writer, const RequestHeader& header);
Status decode_response_header(WireReader& reader, int16_t header_version, int32_t& correlation_id);

}  // namespace runnel::broker

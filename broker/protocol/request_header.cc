#include "broker/protocol/request_header.h"

#include "broker/protocol/api_key.h"

namespace runnel::broker {
namespace {

bool is_flexible(int16_t api_key, int16_t api_version) {
  const auto versions = api_schema_versions(api_key);
  return versions && versions->first_flexible_version >= 0 &&
         api_version >= versions->first_flexible_version;
}

}  // namespace

int16_t request_header_version(int16_t api_key, int16_t api_version) {
  return is_flexible(api_key, api_version) ? 2 : 1;
}

int16_t response_header_version(int16_t api_key, int16_t api_version) {
  if (api_key == static_cast<int16_t>(ApiKey::kApiVersions)) return 0;
  return is_flexible(api_key, api_version) ? 1 : 0;
}

namespace {

Status skip_tagged_fields(WireReader& reader) {
  uint32_t tag_count = 0;
  RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(tag_count));
  for (uint32_t i = 0; i < tag_count; ++i) {
    uint32_t tag = 0;
    uint32_t size = 0;
    RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(tag));
    RUNNEL_RETURN_IF_ERROR(reader.read_uvarint(size));
    RUNNEL_RETURN_IF_ERROR(reader.skip(size));
  }
  return ok_status();
}

}  // namespace

Status decode_request_header(WireReader& reader, RequestHeader& header) {
  RUNNEL_RETURN_IF_ERROR(reader.read_int16(header.api_key));
  RUNNEL_RETURN_IF_ERROR(reader.read_int16(header.api_version));
  RUNNEL_RETURN_IF_ERROR(reader.read_int32(header.correlation_id));
  RUNNEL_RETURN_IF_ERROR(reader.read_nullable_string(header.client_id, false));
  if (request_header_version(header.api_key, header.api_version) >= 2) {
    RUNNEL_RETURN_IF_ERROR(skip_tagged_fields(reader));
  }
  return ok_status();
}

void encode_response_header(WireWriter& writer, int32_t correlation_id, int16_t header_version) {
  writer.write_int32(correlation_id);
  if (header_version >= 1) writer.write_uvarint(0);
}

void encode_request_header(WireWriter& writer, const RequestHeader& header) {
  writer.write_int16(header.api_key);
  writer.write_int16(header.api_version);
  writer.write_int32(header.correlation_id);
  writer.write_nullable_string(header.client_id, /*compact=*/false);
  if (request_header_version(header.api_key, header.api_version) >= 2) writer.write_uvarint(0);
}

Status decode_response_header(WireReader& reader, int16_t header_version, int32_t& correlation_id) {
  RUNNEL_RETURN_IF_ERROR(reader.read_int32(correlation_id));
  if (header_version >= 1) RUNNEL_RETURN_IF_ERROR(skip_tagged_fields(reader));
  return ok_status();
}

}  // namespace runnel::broker

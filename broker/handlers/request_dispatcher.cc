#include "broker/handlers/request_dispatcher.h"

#include <optional>
#include <utility>

#include "broker/handlers/api_versions_handler.h"
#include "broker/handlers/create_partitions_handler.h"
#include "broker/handlers/create_topics_handler.h"
#include "broker/handlers/delete_topics_handler.h"
#include "broker/handlers/describe_configs_handler.h"
#include "broker/handlers/fetch_handler.h"
#include "broker/handlers/list_offsets_handler.h"
#include "broker/handlers/metadata_handler.h"
#include "broker/handlers/produce_handler.h"
#include "broker/handlers/supported_apis.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

HandlerOutcome close_connection() {
  return HandlerOutcome{.response = std::nullopt, .close_connection = true};
}

template <typename Response>
HandlerOutcome respond(const RequestHeader& header, const Response& response,
                       int16_t body_version) {
  WireWriter writer;
  encode_response_header(writer, header.correlation_id,
                         response_header_version(header.api_key, header.api_version));
  response.encode(writer, body_version);
  return HandlerOutcome{.response = writer.take(), .close_connection = false};
}

template <typename Request>
std::optional<Request> decode_body(WireReader& reader, const RequestHeader& header,
                                   const RequestContext& request_context) {
  Request request;
  if (Status decoded = request.decode(reader, header.api_version); !decoded.ok()) {
    log::warn("closing connection from {}: malformed {} v{} request (correlation id {}): {}",
              request_context.peer, api_name(header.api_key), header.api_version,
              header.correlation_id, decoded.to_string());
    return std::nullopt;
  }
  return request;
}

HandlerOutcome answer_api_versions(const RequestHeader& header, WireReader& reader,
                                   const RequestContext& request_context) {
  ApiVersionsResponse response = handle_api_versions(header.api_version);
  if (response.error_code != 0) {
    // The client's version is too new for us: answer in the v0 layout, which every version
    // of every client can read, and let it retry lower.
    WireWriter writer;
    encode_response_header(writer, header.correlation_id, 0);
    response.encode(writer, 0);
    return HandlerOutcome{.response = writer.take(), .close_connection = false};
  }
  if (!decode_body<ApiVersionsRequest>(reader, header, request_context)) return close_connection();
  return respond(header, response, header.api_version);
}

}  // namespace

void RequestDispatcher::handle(const RequestContext& request_context, BytesView frame,
                               ResponseCallback done) {
  WireReader reader(frame);
  RequestHeader header;
  if (Status decoded = decode_request_header(reader, header); !decoded.ok()) {
    log::warn("closing connection from {}: malformed request header: {}", request_context.peer,
              decoded.to_string());
    done(close_connection());
    return;
  }
  const int16_t version = header.api_version;
  if (header.api_key == static_cast<int16_t>(ApiKey::kApiVersions)) {
    done(answer_api_versions(header, reader, request_context));
    return;
  }
  const auto range = supported_range(header.api_key);
  if (!range || !range->contains(version)) {
    log::warn("closing connection from {}: {} (api key {}) v{} is not served", request_context.peer,
              api_name(header.api_key), header.api_key, version);
    done(close_connection());
    return;
  }
  switch (static_cast<ApiKey>(header.api_key)) {
    case ApiKey::kProduce: {
      auto request = decode_body<ProduceRequest>(reader, header, request_context);
      if (!request) break;
      auto response = handle_produce(context_, *request, version);
      done(response ? respond(header, *response, version) : HandlerOutcome{});
      return;
    }
    case ApiKey::kFetch: {
      auto request = decode_body<FetchRequest>(reader, header, request_context);
      if (!request) break;
      handle_fetch(context_, std::move(*request), version, request_context.executor,
                   [header, done](FetchResult result) {
                     done(respond(header, result.response, header.api_version));
                   });
      return;
    }
    case ApiKey::kListOffsets: {
      auto request = decode_body<ListOffsetsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_list_offsets(context_, *request, version), version));
      return;
    }
    case ApiKey::kMetadata: {
      auto request = decode_body<MetadataRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_metadata(context_, *request, version), version));
      return;
    }
    case ApiKey::kCreateTopics: {
      auto request = decode_body<CreateTopicsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_create_topics(context_, *request, version), version));
      return;
    }
    case ApiKey::kDeleteTopics: {
      auto request = decode_body<DeleteTopicsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_delete_topics(context_, *request, version), version));
      return;
    }
    case ApiKey::kDescribeConfigs: {
      auto request = decode_body<DescribeConfigsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_describe_configs(context_, *request, version), version));
      return;
    }
    case ApiKey::kCreatePartitions: {
      auto request = decode_body<CreatePartitionsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_create_partitions(context_, *request, version), version));
      return;
    }
    default:
      log::error("closing connection from {}: {} is listed as served but has no handler",
                 request_context.peer, api_name(header.api_key));
      break;
  }
  done(close_connection());
}

}  // namespace runnel::broker

#pragma once

// Requests with the fewest fields a client sends, built by the generated encoder, for tests and
// tools that walk the handler list (every_served_version_test, make_fuzz_seeds).

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "broker/handlers/handlers.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_writer.h"
#include "core/bytes.h"

namespace runnel::broker::test_requests {

// The topic the requests that name one (Fetch, ListOffsets) name.
inline constexpr char kMinimalRequestTopic[] = "walked";

// The request frame a client sends after the size prefix: header (v1, or v2 where the API and
// version are flexible) then body.
template <typename Request>
Bytes frame_of(const Request& request, int16_t version, int32_t correlation_id,
               const std::string& client_id = "runnel-test") {
  WireWriter writer;
  writer.write_int16(Request::kApiKey);
  writer.write_int16(version);
  writer.write_int32(correlation_id);
  writer.write_int16(static_cast<int16_t>(client_id.size()));
  writer.bytes().append(BytesView(client_id));
  if (request_header_version(Request::kApiKey, version) >= 2) writer.write_uvarint(0);
  request.encode(writer, version);
  return writer.take();
}

// The schema's defaults, except where they would not make a request a client sends (acks=0
// wants no answer; ApiVersions v3+ needs a software name) or would make the broker wait for a
// timer (a long-polling Fetch), or would not be valid in every version (a null topic list).
// Fetch, ListOffsets, Metadata and OffsetFetch name partition 0 of kMinimalRequestTopic, so
// that their answers carry a topic.
template <typename Request>
Request minimal_request() {
  Request request;
  if constexpr (std::is_same_v<Request, ProduceRequest>) {
    request.acks = -1;
    request.timeout_ms = 1000;
  } else if constexpr (std::is_same_v<Request, FetchRequest>) {
    request.replica_id = -1;
    request.max_wait_ms = 0;
    request.max_bytes = 1 << 20;
    FetchRequest::FetchTopic topic;
    topic.topic = kMinimalRequestTopic;
    topic.partitions.emplace_back().partition_max_bytes = 1 << 20;
    request.topics.push_back(std::move(topic));
  } else if constexpr (std::is_same_v<Request, ListOffsetsRequest>) {
    request.replica_id = -1;
    ListOffsetsRequest::ListOffsetsTopic topic;
    topic.name = kMinimalRequestTopic;
    topic.partitions.emplace_back().timestamp = -1;
    request.topics.push_back(std::move(topic));
  } else if constexpr (std::is_same_v<Request, MetadataRequest>) {
    // A null topic list is "all topics" only from v1: name the topic, valid in every version.
    request.topics.emplace().emplace_back().name = kMinimalRequestTopic;
  } else if constexpr (std::is_same_v<Request, OffsetFetchRequest>) {
    // Null topics ("all") only from v2; v8+ name the groups instead.
    request.group_id = "walker";
    OffsetFetchRequest::OffsetFetchRequestTopic topic;
    topic.name = kMinimalRequestTopic;
    topic.partition_indexes = {0};
    request.topics.emplace().push_back(std::move(topic));
    request.groups.emplace_back().group_id = "walker";
  } else if constexpr (std::is_same_v<Request, ApiVersionsRequest>) {
    request.client_software_name = "runnel-test";
    request.client_software_version = "1.0";
  }
  return request;
}

}  // namespace runnel::broker::test_requests

// Byte vectors worked out by hand from the Kafka protocol guide, so that the codec is checked
// against the wire format itself rather than only against its own decoder.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/api_key.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/generated/api_versions_response.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"

namespace runnel::broker {
namespace {

using V = std::vector<uint8_t>;

V written(WireWriter& writer) {
  return V(writer.bytes().data(), writer.bytes().data() + writer.size());
}

template <typename Message>
V encoded(const Message& message, int16_t version) {
  WireWriter writer;
  message.encode(writer, version);
  return written(writer);
}

TEST(KnownBytes, DecodesAnApiVersionsV0RequestHeaderWithAClassicClientId) {
  const V bytes = {0x00, 0x12,              // api key 18
                   0x00, 0x00,              // version 0
                   0x00, 0x00, 0x00, 0x01,  // correlation id 1
                   0x00, 0x01, 'c'};        // client id "c", int16 length
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  RequestHeader header;
  ASSERT_TRUE(decode_request_header(reader, header).ok());
  EXPECT_EQ(header.api_key, 18);
  EXPECT_EQ(header.api_version, 0);
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(header.client_id, std::optional<std::string>("c"));
  EXPECT_EQ(reader.remaining(), 0u);  // header v1: no tagged fields

  ApiVersionsRequest body;
  ASSERT_TRUE(body.decode(reader, header.api_version).ok());  // v0 has no body
  EXPECT_EQ(encoded(ApiVersionsRequest{}, 0), V{});
}

TEST(KnownBytes, DecodesAnApiVersionsV3RequestWithHeaderV2AndCompactStringsInTheBody) {
  const V bytes = {0x00, 0x12,                   // api key 18
                   0x00, 0x03,                   // version 3
                   0x00, 0x00, 0x00, 0x07,       // correlation id 7
                   0x00, 0x01, 'c',              // client id stays a classic string in v2
                   0x00,                         // header tagged fields: none
                   0x05, 'k',  'c',  'a',  't',  // ClientSoftwareName "kcat": length+1
                   0x04, '1',  '.',  '7',        // ClientSoftwareVersion "1.7"
                   0x00};                        // body tagged fields: none
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  RequestHeader header;
  ASSERT_TRUE(decode_request_header(reader, header).ok());
  EXPECT_EQ(header.api_key, 18);
  EXPECT_EQ(header.api_version, 3);
  EXPECT_EQ(header.correlation_id, 7);
  EXPECT_EQ(header.client_id, std::optional<std::string>("c"));
  EXPECT_EQ(reader.position(), 12u);

  ApiVersionsRequest body;
  ASSERT_TRUE(body.decode(reader, 3).ok());
  EXPECT_EQ(body.client_software_name, "kcat");
  EXPECT_EQ(body.client_software_version, "1.7");
  EXPECT_EQ(reader.remaining(), 0u);
  EXPECT_EQ(encoded(body, 3), V(bytes.begin() + 12, bytes.end()));
}

TEST(KnownBytes, SkipsTaggedFieldsInARequestHeaderV2) {
  const V bytes = {0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,  // null client id
                   0x02,                                                        // two tagged fields
                   0x00, 0x02, 0xaa, 0xbb,                                      // tag 0, 2 bytes
                   0x05, 0x00,                                                  // tag 5, empty
                   0x01, 0x01, 0x00};  // the body: "" "" and no tags
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  RequestHeader header;
  ASSERT_TRUE(decode_request_header(reader, header).ok());
  EXPECT_EQ(header.client_id, std::nullopt);
  EXPECT_EQ(reader.position(), 17u);
  ApiVersionsRequest body;
  ASSERT_TRUE(body.decode(reader, 3).ok());
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(KnownBytes, RefusesARequestHeaderWhoseTaggedFieldRunsPastTheEnd) {
  const V bytes = {0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00,
                   0x01, 0xff, 0xff, 0x01, 0x00, 0x09, 0xaa};  // tag 0 claims 9 bytes, 1 follows
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  RequestHeader header;
  const Status status = decode_request_header(reader, header);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
}

TEST(KnownBytes, ReadsTheClientIdOfAVersionTheBrokerDoesNotKnowWithHeaderV1) {
  // An unknown API key gets header v1: a trailing 0x00 is left for the body, not eaten.
  const V bytes = {0x03, 0xe7, 0x00, 0x63, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  RequestHeader header;
  ASSERT_TRUE(decode_request_header(reader, header).ok());
  EXPECT_EQ(header.api_key, 999);
  EXPECT_EQ(header.client_id, std::optional<std::string>(""));
  EXPECT_EQ(reader.remaining(), 1u);
}

TEST(KnownBytes, TellsANullMetadataV1TopicArrayFromAnEmptyOne) {
  const V null_topics = {0xff, 0xff, 0xff, 0xff};
  const V empty_topics = {0x00, 0x00, 0x00, 0x00};

  MetadataRequest all;
  WireReader null_reader(BytesView(null_topics.data(), null_topics.size()));
  ASSERT_TRUE(all.decode(null_reader, 1).ok());
  EXPECT_FALSE(all.topics.has_value());  // null: every topic
  EXPECT_EQ(null_reader.remaining(), 0u);

  MetadataRequest none;
  WireReader empty_reader(BytesView(empty_topics.data(), empty_topics.size()));
  ASSERT_TRUE(none.decode(empty_reader, 1).ok());
  ASSERT_TRUE(none.topics.has_value());  // empty: no topic
  EXPECT_TRUE(none.topics->empty());

  EXPECT_EQ(encoded(all, 1), null_topics);
  EXPECT_EQ(encoded(none, 1), empty_topics);
}

TEST(KnownBytes, RefusesANullMetadataTopicArrayAtV0WhereItIsNotNullable) {
  const V null_topics = {0xff, 0xff, 0xff, 0xff};
  MetadataRequest request;
  WireReader reader(BytesView(null_topics.data(), null_topics.size()));
  const Status status = request.decode(reader, 0);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("Topics: null array"), std::string_view::npos)
      << status.to_string();
}

TEST(KnownBytes, EncodesAMetadataV1RequestForOneNamedTopic) {
  MetadataRequest request;
  request.topics.emplace();
  request.topics->emplace_back();
  request.topics->back().name = "t1";
  EXPECT_EQ(encoded(request, 1), (V{0, 0, 0, 1, 0x00, 0x02, 't', '1'}));
}

TEST(KnownBytes, EncodesACompactMetadataV9RequestWithNullAndEmptyTopics) {
  MetadataRequest all;
  all.allow_auto_topic_creation = false;
  // topics: compact null (0); allow auto creation; include cluster ops; include topic ops;
  // no tagged fields.
  EXPECT_EQ(encoded(all, 9), (V{0x00, 0x00, 0x00, 0x00, 0x00}));
  MetadataRequest none;
  none.topics.emplace();
  EXPECT_EQ(encoded(none, 9), (V{0x01, 0x01, 0x00, 0x00, 0x00}));
}

TEST(KnownBytes, WritesResponseHeaderV0AsTheCorrelationIdAlone) {
  WireWriter writer;
  encode_response_header(writer, 7, 0);
  EXPECT_EQ(written(writer), (V{0x00, 0x00, 0x00, 0x07}));
}

TEST(KnownBytes, WritesResponseHeaderV1WithAnEmptyTaggedFieldSection) {
  WireWriter writer;
  encode_response_header(writer, 0x01020304, 1);
  EXPECT_EQ(written(writer), (V{0x01, 0x02, 0x03, 0x04, 0x00}));
}

TEST(KnownBytes, ChoosesHeaderVersionsFromTheApiAndVersion) {
  const auto api_versions = static_cast<int16_t>(ApiKey::kApiVersions);
  const auto metadata = static_cast<int16_t>(ApiKey::kMetadata);
  const auto produce = static_cast<int16_t>(ApiKey::kProduce);
  EXPECT_EQ(request_header_version(api_versions, 2), 1);
  EXPECT_EQ(request_header_version(api_versions, 3), 2);
  // ApiVersions answers with header v0 even at its flexible versions.
  EXPECT_EQ(response_header_version(api_versions, 3), 0);
  EXPECT_EQ(response_header_version(api_versions, 0), 0);
  EXPECT_EQ(request_header_version(metadata, 8), 1);
  EXPECT_EQ(request_header_version(metadata, 9), 2);
  EXPECT_EQ(response_header_version(metadata, 8), 0);
  EXPECT_EQ(response_header_version(metadata, 9), 1);
  EXPECT_EQ(request_header_version(produce, 8), 1);
  EXPECT_EQ(request_header_version(produce, 9), 2);
  EXPECT_EQ(response_header_version(produce, 9), 1);
  EXPECT_EQ(request_header_version(999, 5), 1);
  EXPECT_EQ(response_header_version(999, 5), 0);
}

TEST(KnownBytes, EncodesAnApiVersionsV0ResponseWithClassicArrays) {
  ApiVersionsResponse response;
  response.api_keys.push_back({18, 0, 4});
  response.throttle_time_ms = 9;                              // not in v0: left out
  EXPECT_EQ(encoded(response, 0), (V{0x00, 0x00,              // error code
                                     0x00, 0x00, 0x00, 0x01,  // one api key
                                     0x00, 0x12, 0x00, 0x00, 0x00, 0x04}));
}

TEST(KnownBytes, EncodesAnApiVersionsV3ResponseWithCompactArraysAndATaggedEpoch) {
  ApiVersionsResponse response;
  response.error_code = 35;
  response.api_keys.push_back({18, 0, 4});
  response.throttle_time_ms = 1;
  response.finalized_features_epoch = 5;  // tag 1; the other tagged fields hold defaults
  const V expected = {0x00, 0x23,         // error code 35
                      0x02,               // one api key, compact
                      0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,  // key, min, max, no tags
                      0x00, 0x00, 0x00, 0x01,                    // throttle
                      0x01,                                      // one tagged field
                      0x01, 0x08, 0,    0,    0,    0,    0,
                      0,    0,    0x05};  // tag 1, 8 bytes: epoch 5
  EXPECT_EQ(encoded(response, 3), expected);

  ApiVersionsResponse decoded;
  WireReader reader(BytesView(expected.data(), expected.size()));
  ASSERT_TRUE(decoded.decode(reader, 3).ok());
  EXPECT_TRUE(decoded == response);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(KnownBytes, SkipsUnknownTaggedFieldsInAMessageBody) {
  const V bytes = {0x05, 'k',  'c', 'a', 't', 0x04, '1', '.', '7',
                   0x01,                      // one tagged field
                   0x63, 0x03, 1,   2,   3};  // tag 99, 3 bytes nobody knows
  ApiVersionsRequest body;
  WireReader reader(BytesView(bytes.data(), bytes.size()));
  ASSERT_TRUE(body.decode(reader, 3).ok());
  EXPECT_EQ(body.client_software_name, "kcat");
  EXPECT_EQ(reader.remaining(), 0u);
}

}  // namespace
}  // namespace runnel::broker

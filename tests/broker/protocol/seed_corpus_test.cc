// The fuzzer's seed corpus (tests/fuzz/corpus/) must stay made of valid requests, or fuzzing
// starts from inputs the decoder refuses at the first field and explores little.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/generated/create_partitions_request.h"
#include "broker/protocol/generated/create_topics_request.h"
#include "broker/protocol/generated/delete_groups_request.h"
#include "broker/protocol/generated/delete_topics_request.h"
#include "broker/protocol/generated/describe_configs_request.h"
#include "broker/protocol/generated/describe_groups_request.h"
#include "broker/protocol/generated/fetch_request.h"
#include "broker/protocol/generated/find_coordinator_request.h"
#include "broker/protocol/generated/heartbeat_request.h"
#include "broker/protocol/generated/init_producer_id_request.h"
#include "broker/protocol/generated/join_group_request.h"
#include "broker/protocol/generated/leave_group_request.h"
#include "broker/protocol/generated/list_groups_request.h"
#include "broker/protocol/generated/list_offsets_request.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/offset_commit_request.h"
#include "broker/protocol/generated/offset_delete_request.h"
#include "broker/protocol/generated/offset_fetch_request.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/generated/sync_group_request.h"
#include "broker/protocol/request_header.h"

namespace runnel::broker {
namespace {

template <typename Request>
Status decode_all(WireReader& reader, int16_t version) {
  if (version < Request::kMinVersion || version > Request::kMaxVersion) {
    return invalid_argument_error("version out of range");
  }
  Request request;
  RUNNEL_RETURN_IF_ERROR(request.decode(reader, version));
  if (reader.remaining() != 0) return invalid_argument_error("bytes left over");
  return ok_status();
}

Status decode_request(WireReader& reader, const RequestHeader& header) {
  switch (header.api_key) {
    case ProduceRequest::kApiKey:
      return decode_all<ProduceRequest>(reader, header.api_version);
    case FetchRequest::kApiKey:
      return decode_all<FetchRequest>(reader, header.api_version);
    case ListOffsetsRequest::kApiKey:
      return decode_all<ListOffsetsRequest>(reader, header.api_version);
    case MetadataRequest::kApiKey:
      return decode_all<MetadataRequest>(reader, header.api_version);
    case ApiVersionsRequest::kApiKey:
      return decode_all<ApiVersionsRequest>(reader, header.api_version);
    case CreateTopicsRequest::kApiKey:
      return decode_all<CreateTopicsRequest>(reader, header.api_version);
    case DeleteTopicsRequest::kApiKey:
      return decode_all<DeleteTopicsRequest>(reader, header.api_version);
    case DescribeConfigsRequest::kApiKey:
      return decode_all<DescribeConfigsRequest>(reader, header.api_version);
    case CreatePartitionsRequest::kApiKey:
      return decode_all<CreatePartitionsRequest>(reader, header.api_version);
    case FindCoordinatorRequest::kApiKey:
      return decode_all<FindCoordinatorRequest>(reader, header.api_version);
    case JoinGroupRequest::kApiKey:
      return decode_all<JoinGroupRequest>(reader, header.api_version);
    case SyncGroupRequest::kApiKey:
      return decode_all<SyncGroupRequest>(reader, header.api_version);
    case HeartbeatRequest::kApiKey:
      return decode_all<HeartbeatRequest>(reader, header.api_version);
    case LeaveGroupRequest::kApiKey:
      return decode_all<LeaveGroupRequest>(reader, header.api_version);
    case ListGroupsRequest::kApiKey:
      return decode_all<ListGroupsRequest>(reader, header.api_version);
    case DescribeGroupsRequest::kApiKey:
      return decode_all<DescribeGroupsRequest>(reader, header.api_version);
    case DeleteGroupsRequest::kApiKey:
      return decode_all<DeleteGroupsRequest>(reader, header.api_version);
    case OffsetCommitRequest::kApiKey:
      return decode_all<OffsetCommitRequest>(reader, header.api_version);
    case OffsetFetchRequest::kApiKey:
      return decode_all<OffsetFetchRequest>(reader, header.api_version);
    case OffsetDeleteRequest::kApiKey:
      return decode_all<OffsetDeleteRequest>(reader, header.api_version);
    case InitProducerIdRequest::kApiKey:
      return decode_all<InitProducerIdRequest>(reader, header.api_version);
    default:
      return invalid_argument_error("not an API runneld serves");
  }
}

TEST(FuzzSeedCorpus, EverySeedIsAWholeValidRequestOfAServedApi) {
  const std::filesystem::path dir = RUNNEL_FUZZ_CORPUS_DIR;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    WireReader reader(BytesView(bytes.data(), bytes.size()));
    RequestHeader header;
    ASSERT_TRUE(decode_request_header(reader, header).ok()) << entry.path();
    const Status status = decode_request(reader, header);
    EXPECT_TRUE(status.ok()) << entry.path() << ": " << status.to_string();
    ++seeds;
  }
  EXPECT_GE(seeds, 21);  // at least one per served API
}

}  // namespace
}  // namespace runnel::broker

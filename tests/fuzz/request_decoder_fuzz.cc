// libFuzzer target: arbitrary bytes as a request frame's contents (what runneld hands its
// dispatcher after the size prefix). The header is decoded, then the body of every API the
// broker serves at the header's version, when that version is valid for the message.
//
// Beyond "never crashes, never reads out of bounds, never allocates absurdly", a body that
// decodes must re-encode to bytes that decode to an equal message, consuming every byte:
// the codec must not accept what it cannot faithfully write back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "broker/protocol/generated/add_offsets_to_txn_request.h"
#include "broker/protocol/generated/add_partitions_to_txn_request.h"
#include "broker/protocol/generated/alter_user_scram_credentials_request.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/generated/create_acls_request.h"
#include "broker/protocol/generated/create_partitions_request.h"
#include "broker/protocol/generated/create_topics_request.h"
#include "broker/protocol/generated/delete_acls_request.h"
#include "broker/protocol/generated/delete_groups_request.h"
#include "broker/protocol/generated/delete_topics_request.h"
#include "broker/protocol/generated/describe_acls_request.h"
#include "broker/protocol/generated/describe_configs_request.h"
#include "broker/protocol/generated/describe_groups_request.h"
#include "broker/protocol/generated/describe_transactions_request.h"
#include "broker/protocol/generated/describe_user_scram_credentials_request.h"
#include "broker/protocol/generated/end_txn_request.h"
#include "broker/protocol/generated/fetch_request.h"
#include "broker/protocol/generated/find_coordinator_request.h"
#include "broker/protocol/generated/heartbeat_request.h"
#include "broker/protocol/generated/init_producer_id_request.h"
#include "broker/protocol/generated/join_group_request.h"
#include "broker/protocol/generated/leave_group_request.h"
#include "broker/protocol/generated/list_groups_request.h"
#include "broker/protocol/generated/list_offsets_request.h"
#include "broker/protocol/generated/list_transactions_request.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/offset_commit_request.h"
#include "broker/protocol/generated/offset_delete_request.h"
#include "broker/protocol/generated/offset_fetch_request.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/generated/sasl_authenticate_request.h"
#include "broker/protocol/generated/sasl_handshake_request.h"
#include "broker/protocol/generated/sync_group_request.h"
#include "broker/protocol/generated/txn_offset_commit_request.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"

namespace runnel::broker {
namespace {

[[noreturn]] void fail(const char* what, int16_t api_key, int16_t version) {
  std::fprintf(stderr, "request_decoder_fuzz: %s (api key %d, version %d)\n", what, api_key,
               version);
  std::abort();
}

template <typename Request>
void decode_body(BytesView body, int16_t version) {
  if (version < Request::kMinVersion || version > Request::kMaxVersion) return;
  Request request;
  WireReader reader(body);
  if (!request.decode(reader, version).ok()) return;

  WireWriter writer;
  request.encode(writer, version);
  const Bytes bytes = writer.take();
  Request again;
  WireReader again_reader(bytes.view());
  const Status status = again.decode(again_reader, version);
  if (!status.ok())
    fail("a decoded request does not decode once re-encoded", Request::kApiKey, version);
  if (again_reader.remaining() != 0) {
    fail("a re-encoded request has bytes its decoder leaves over", Request::kApiKey, version);
  }
  if (!(again == request))
    fail("a re-encoded request decodes differently", Request::kApiKey, version);
}

}  // namespace
}  // namespace runnel::broker

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace runnel::broker;
  WireReader reader(runnel::BytesView(data, size));
  RequestHeader header;
  if (!decode_request_header(reader, header).ok()) return 0;
  // The body in a buffer of its own exact size, so that any read past it is caught.
  const runnel::Bytes body(runnel::BytesView(data + reader.position(), reader.remaining()));
  const int16_t version = header.api_version;
  switch (header.api_key) {
    case ProduceRequest::kApiKey:
      decode_body<ProduceRequest>(body.view(), version);
      break;
    case FetchRequest::kApiKey:
      decode_body<FetchRequest>(body.view(), version);
      break;
    case ListOffsetsRequest::kApiKey:
      decode_body<ListOffsetsRequest>(body.view(), version);
      break;
    case MetadataRequest::kApiKey:
      decode_body<MetadataRequest>(body.view(), version);
      break;
    case ApiVersionsRequest::kApiKey:
      decode_body<ApiVersionsRequest>(body.view(), version);
      break;
    case CreateTopicsRequest::kApiKey:
      decode_body<CreateTopicsRequest>(body.view(), version);
      break;
    case DeleteTopicsRequest::kApiKey:
      decode_body<DeleteTopicsRequest>(body.view(), version);
      break;
    case DescribeConfigsRequest::kApiKey:
      decode_body<DescribeConfigsRequest>(body.view(), version);
      break;
    case CreatePartitionsRequest::kApiKey:
      decode_body<CreatePartitionsRequest>(body.view(), version);
      break;
    case FindCoordinatorRequest::kApiKey:
      decode_body<FindCoordinatorRequest>(body.view(), version);
      break;
    case SaslHandshakeRequest::kApiKey:
      decode_body<SaslHandshakeRequest>(body.view(), version);
      break;
    case SaslAuthenticateRequest::kApiKey:
      decode_body<SaslAuthenticateRequest>(body.view(), version);
      break;
    case DescribeUserScramCredentialsRequest::kApiKey:
      decode_body<DescribeUserScramCredentialsRequest>(body.view(), version);
      break;
    case AlterUserScramCredentialsRequest::kApiKey:
      decode_body<AlterUserScramCredentialsRequest>(body.view(), version);
      break;
    case JoinGroupRequest::kApiKey:
      decode_body<JoinGroupRequest>(body.view(), version);
      break;
    case SyncGroupRequest::kApiKey:
      decode_body<SyncGroupRequest>(body.view(), version);
      break;
    case HeartbeatRequest::kApiKey:
      decode_body<HeartbeatRequest>(body.view(), version);
      break;
    case LeaveGroupRequest::kApiKey:
      decode_body<LeaveGroupRequest>(body.view(), version);
      break;
    case ListGroupsRequest::kApiKey:
      decode_body<ListGroupsRequest>(body.view(), version);
      break;
    case DescribeGroupsRequest::kApiKey:
      decode_body<DescribeGroupsRequest>(body.view(), version);
      break;
    case DeleteGroupsRequest::kApiKey:
      decode_body<DeleteGroupsRequest>(body.view(), version);
      break;
    case OffsetCommitRequest::kApiKey:
      decode_body<OffsetCommitRequest>(body.view(), version);
      break;
    case OffsetFetchRequest::kApiKey:
      decode_body<OffsetFetchRequest>(body.view(), version);
      break;
    case OffsetDeleteRequest::kApiKey:
      decode_body<OffsetDeleteRequest>(body.view(), version);
      break;
    case InitProducerIdRequest::kApiKey:
      decode_body<InitProducerIdRequest>(body.view(), version);
      break;
    case AddPartitionsToTxnRequest::kApiKey:
      decode_body<AddPartitionsToTxnRequest>(body.view(), version);
      break;
    case AddOffsetsToTxnRequest::kApiKey:
      decode_body<AddOffsetsToTxnRequest>(body.view(), version);
      break;
    case EndTxnRequest::kApiKey:
      decode_body<EndTxnRequest>(body.view(), version);
      break;
    case TxnOffsetCommitRequest::kApiKey:
      decode_body<TxnOffsetCommitRequest>(body.view(), version);
      break;
    case DescribeTransactionsRequest::kApiKey:
      decode_body<DescribeTransactionsRequest>(body.view(), version);
      break;
    case ListTransactionsRequest::kApiKey:
      decode_body<ListTransactionsRequest>(body.view(), version);
      break;
    case DescribeAclsRequest::kApiKey:
      decode_body<DescribeAclsRequest>(body.view(), version);
      break;
    case CreateAclsRequest::kApiKey:
      decode_body<CreateAclsRequest>(body.view(), version);
      break;
    case DeleteAclsRequest::kApiKey:
      decode_body<DeleteAclsRequest>(body.view(), version);
      break;
    default:
      break;
  }
  return 0;
}

#include "broker/handlers/request_dispatcher.h"

#include <optional>
#include <utility>

#include "broker/handlers/add_offsets_to_txn_handler.h"
#include "broker/handlers/add_partitions_to_txn_handler.h"
#include "broker/handlers/api_versions_handler.h"
#include "broker/handlers/create_acls_handler.h"
#include "broker/handlers/create_partitions_handler.h"
#include "broker/handlers/create_topics_handler.h"
#include "broker/handlers/delete_acls_handler.h"
#include "broker/handlers/delete_groups_handler.h"
#include "broker/handlers/delete_topics_handler.h"
#include "broker/handlers/describe_acls_handler.h"
#include "broker/handlers/describe_configs_handler.h"
#include "broker/handlers/describe_groups_handler.h"
#include "broker/handlers/describe_transactions_handler.h"
#include "broker/handlers/end_txn_handler.h"
#include "broker/handlers/fetch_handler.h"
#include "broker/handlers/find_coordinator_handler.h"
#include "broker/handlers/heartbeat_handler.h"
#include "broker/handlers/init_producer_id_handler.h"
#include "broker/handlers/join_group_handler.h"
#include "broker/handlers/leave_group_handler.h"
#include "broker/handlers/list_groups_handler.h"
#include "broker/handlers/list_offsets_handler.h"
#include "broker/handlers/list_transactions_handler.h"
#include "broker/handlers/metadata_handler.h"
#include "broker/handlers/offset_commit_handler.h"
#include "broker/handlers/offset_delete_handler.h"
#include "broker/handlers/offset_fetch_handler.h"
#include "broker/handlers/produce_handler.h"
#include "broker/handlers/sasl_handlers.h"
#include "broker/handlers/supported_apis.h"
#include "broker/handlers/sync_group_handler.h"
#include "broker/handlers/txn_offset_commit_handler.h"
#include "broker/handlers/user_scram_credentials_handlers.h"
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

// Kafka reports a member's host as "/" + its address, without the port.
std::string client_host(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

// Decodes and answers an API whose handler answers at once: Response handler(context, access,
// request, version).
template <typename Request, typename Handler>
bool answer_now(BrokerContext& context, const Access& access, const RequestHeader& header,
                WireReader& reader, const RequestContext& request_context,
                const ResponseCallback& done, Handler handler) {
  auto request = decode_body<Request>(reader, header, request_context);
  if (!request) return false;
  done(respond(header, handler(context, access, *request, header.api_version), header.api_version));
  return true;
}

// What a connection that has not authenticated on a SASL listener may ask: Kafka's
// SaslServerAuthenticator serves these and closes the connection on anything else.
bool served_before_authentication(int16_t api_key) {
  return api_key == static_cast<int16_t>(ApiKey::kApiVersions) ||
         api_key == static_cast<int16_t>(ApiKey::kSaslHandshake) ||
         api_key == static_cast<int16_t>(ApiKey::kSaslAuthenticate);
}

}  // namespace

void RequestDispatcher::handle(const RequestContext& request_context, BytesView frame,
                               ResponseCallback done) {
  // A context made outside a server (tests, tools) may carry no session: an anonymous
  // PLAINTEXT one.
  const std::shared_ptr<ConnectionSession> session_holder =
      request_context.session ? request_context.session : std::make_shared<ConnectionSession>();
  ConnectionSession& session = *session_holder;
  if (SaslExchange* exchange = raw_sasl_exchange(session)) {
    // After a v0 SaslHandshake the frames are bare SASL tokens, not requests.
    auto challenge = handle_raw_sasl_token(session, *exchange, frame, request_context.peer);
    if (!challenge) {
      done(close_connection());
      return;
    }
    done(HandlerOutcome{.response = std::move(*challenge), .close_connection = false});
    return;
  }
  WireReader reader(frame);
  RequestHeader header;
  if (Status decoded = decode_request_header(reader, header); !decoded.ok()) {
    log::warn("closing connection from {}: malformed request header: {}", request_context.peer,
              decoded.to_string());
    done(close_connection());
    return;
  }
  const int16_t version = header.api_version;
  if (session.requires_authentication() && !session.authenticated() &&
      !served_before_authentication(header.api_key)) {
    // Kafka's words, which is what people search for: usually a client without SASL.
    log::warn(
        "closing connection from {}: unexpected Kafka request of type {} during SASL handshake "
        "on listener {} (is the client configured for SASL?)",
        request_context.peer, api_name(header.api_key), session.listener_name());
    done(close_connection());
    return;
  }
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
  // Who is asking: every handler's authorization checks are for this principal and host.
  const Access access = Access::of(context_.authorizer, request_context);
  switch (static_cast<ApiKey>(header.api_key)) {
    case ApiKey::kProduce: {
      auto request = decode_body<ProduceRequest>(reader, header, request_context);
      if (!request) break;
      auto response = handle_produce(context_, access, *request, version);
      done(response ? respond(header, *response, version) : HandlerOutcome{});
      return;
    }
    case ApiKey::kFetch: {
      auto request = decode_body<FetchRequest>(reader, header, request_context);
      if (!request) break;
      handle_fetch(context_, access, std::move(*request), version, request_context.executor,
                   [header, done](FetchResult result) {
                     done(respond(header, result.response, header.api_version));
                   });
      return;
    }
    case ApiKey::kListOffsets: {
      auto request = decode_body<ListOffsetsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_list_offsets(context_, access, *request, version), version));
      return;
    }
    case ApiKey::kMetadata: {
      auto request = decode_body<MetadataRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header,
                   handle_metadata(context_, access, *request, version, session.listener_name()),
                   version));
      return;
    }
    case ApiKey::kCreateTopics: {
      auto request = decode_body<CreateTopicsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_create_topics(context_, access, *request, version), version));
      return;
    }
    case ApiKey::kDeleteTopics: {
      auto request = decode_body<DeleteTopicsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_delete_topics(context_, access, *request, version), version));
      return;
    }
    case ApiKey::kDescribeConfigs: {
      auto request = decode_body<DescribeConfigsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_describe_configs(context_, access, *request, version), version));
      return;
    }
    case ApiKey::kCreatePartitions: {
      auto request = decode_body<CreatePartitionsRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(header, handle_create_partitions(context_, access, *request, version), version));
      return;
    }
    case ApiKey::kFindCoordinator: {
      auto request = decode_body<FindCoordinatorRequest>(reader, header, request_context);
      if (!request) break;
      done(respond(
          header,
          handle_find_coordinator(context_, access, *request, version, session.listener_name()),
          version));
      return;
    }
    case ApiKey::kSaslHandshake: {
      auto request = decode_body<SaslHandshakeRequest>(reader, header, request_context);
      if (!request) break;
      auto outcome = handle_sasl_handshake(context_, session, *request, version);
      HandlerOutcome answer = respond(header, outcome.response, version);
      answer.close_connection = outcome.close_connection;
      done(std::move(answer));
      return;
    }
    case ApiKey::kSaslAuthenticate: {
      auto request = decode_body<SaslAuthenticateRequest>(reader, header, request_context);
      if (!request) break;
      auto outcome =
          handle_sasl_authenticate(context_, session, *request, version, request_context.peer);
      HandlerOutcome answer = respond(header, outcome.response, version);
      answer.close_connection = outcome.close_connection;
      done(std::move(answer));
      return;
    }
    case ApiKey::kDescribeUserScramCredentials:
      if (!answer_now<DescribeUserScramCredentialsRequest>(context_, access, header, reader,
                                                           request_context, done,
                                                           handle_describe_user_scram_credentials))
        break;
      return;
    case ApiKey::kAlterUserScramCredentials:
      if (!answer_now<AlterUserScramCredentialsRequest>(context_, access, header, reader,
                                                        request_context, done,
                                                        handle_alter_user_scram_credentials))
        break;
      return;
    case ApiKey::kJoinGroup: {
      auto request = decode_body<JoinGroupRequest>(reader, header, request_context);
      if (!request) break;
      // Answered when the rebalance's join phase ends, from whichever thread ends it.
      handle_join_group(context_, access, std::move(*request), version,
                        header.client_id.value_or(""), client_host(request_context.peer),
                        [header, done](JoinGroupResponse response) {
                          done(respond(header, response, header.api_version));
                        });
      return;
    }
    case ApiKey::kSyncGroup: {
      auto request = decode_body<SyncGroupRequest>(reader, header, request_context);
      if (!request) break;
      // A follower's answer waits for the leader's assignment.
      handle_sync_group(context_, access, std::move(*request), version,
                        [header, done](SyncGroupResponse response) {
                          done(respond(header, response, header.api_version));
                        });
      return;
    }
    case ApiKey::kHeartbeat:
      if (!answer_now<HeartbeatRequest>(context_, access, header, reader, request_context, done,
                                        handle_heartbeat))
        break;
      return;
    case ApiKey::kInitProducerId:
      if (!answer_now<InitProducerIdRequest>(context_, access, header, reader, request_context,
                                             done, handle_init_producer_id))
        break;
      return;
    case ApiKey::kLeaveGroup:
      if (!answer_now<LeaveGroupRequest>(context_, access, header, reader, request_context, done,
                                         handle_leave_group))
        break;
      return;
    case ApiKey::kListGroups:
      if (!answer_now<ListGroupsRequest>(context_, access, header, reader, request_context, done,
                                         handle_list_groups))
        break;
      return;
    case ApiKey::kDescribeGroups:
      if (!answer_now<DescribeGroupsRequest>(context_, access, header, reader, request_context,
                                             done, handle_describe_groups))
        break;
      return;
    case ApiKey::kDeleteGroups:
      if (!answer_now<DeleteGroupsRequest>(context_, access, header, reader, request_context, done,
                                           handle_delete_groups))
        break;
      return;
    case ApiKey::kOffsetCommit:
      if (!answer_now<OffsetCommitRequest>(context_, access, header, reader, request_context, done,
                                           handle_offset_commit))
        break;
      return;
    case ApiKey::kOffsetFetch:
      if (!answer_now<OffsetFetchRequest>(context_, access, header, reader, request_context, done,
                                          handle_offset_fetch))
        break;
      return;
    case ApiKey::kOffsetDelete:
      if (!answer_now<OffsetDeleteRequest>(context_, access, header, reader, request_context, done,
                                           handle_offset_delete))
        break;
      return;
    case ApiKey::kAddPartitionsToTxn:
      if (!answer_now<AddPartitionsToTxnRequest>(context_, access, header, reader, request_context,
                                                 done, handle_add_partitions_to_txn))
        break;
      return;
    case ApiKey::kAddOffsetsToTxn:
      if (!answer_now<AddOffsetsToTxnRequest>(context_, access, header, reader, request_context,
                                              done, handle_add_offsets_to_txn))
        break;
      return;
    case ApiKey::kEndTxn:
      if (!answer_now<EndTxnRequest>(context_, access, header, reader, request_context, done,
                                     handle_end_txn))
        break;
      return;
    case ApiKey::kTxnOffsetCommit:
      if (!answer_now<TxnOffsetCommitRequest>(context_, access, header, reader, request_context,
                                              done, handle_txn_offset_commit))
        break;
      return;
    case ApiKey::kDescribeTransactions:
      if (!answer_now<DescribeTransactionsRequest>(context_, access, header, reader,
                                                   request_context, done,
                                                   handle_describe_transactions))
        break;
      return;
    case ApiKey::kListTransactions:
      if (!answer_now<ListTransactionsRequest>(context_, access, header, reader, request_context,
                                               done, handle_list_transactions))
        break;
      return;
    case ApiKey::kDescribeAcls:
      if (!answer_now<DescribeAclsRequest>(context_, access, header, reader, request_context, done,
                                           handle_describe_acls))
        break;
      return;
    case ApiKey::kCreateAcls:
      if (!answer_now<CreateAclsRequest>(context_, access, header, reader, request_context, done,
                                         handle_create_acls))
        break;
      return;
    case ApiKey::kDeleteAcls:
      if (!answer_now<DeleteAclsRequest>(context_, access, header, reader, request_context, done,
                                         handle_delete_acls))
        break;
      return;
    default:
      log::error("closing connection from {}: {} is listed as served but has no handler",
                 request_context.peer, api_name(header.api_key));
      break;
  }
  done(close_connection());
}

}  // namespace runnel::broker

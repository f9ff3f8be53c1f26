#include "broker/handlers/find_coordinator_handler.h"

#include <optional>
#include <string>
#include <utility>

#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

}  // namespace

namespace {

// Where the coordinator of one key is, as v0-3 answer it at the top level and v4+ per key.
struct CoordinatorAnswer {
  int16_t error_code = 0;
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;
};

CoordinatorAnswer find_one(BrokerContext& context, const Access& access, int8_t key_type,
                           const std::string& key, const std::string& listener_name) {
  if (key_type != kGroupKey && key_type != kTransactionKey) {
    return CoordinatorAnswer{.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest)};
  }
  const bool transaction = key_type == kTransactionKey;
  const bool allowed = transaction ? access.transactional_id(AclOperation::kDescribe, key)
                                   : access.group(AclOperation::kDescribe, key);
  if (!allowed) {
    return CoordinatorAnswer{.error_code = static_cast<int16_t>(
                                 transaction ? ErrorCode::kTransactionalIdAuthorizationFailed
                                             : ErrorCode::kGroupAuthorizationFailed)};
  }
  const AdvertisedEndpoint endpoint = context.identity.advertised(listener_name);
  return CoordinatorAnswer{.error_code = static_cast<int16_t>(ErrorCode::kNone),
                           .node_id = context.identity.node_id,
                           .host = endpoint.host,
                           .port = endpoint.port};
}

}  // namespace

FindCoordinatorResponse handle_find_coordinator(BrokerContext& context, const Access& access,
                                                const FindCoordinatorRequest& request,
                                                int16_t version, const std::string& listener_name) {
  // Every key, a group (key type 0) or a transactional id (1), maps to this broker, whose
  // transaction coordinator serves every transactional id. v0 has no key type: it is a group.
  const int8_t key_type = version >= 1 ? request.key_type : kGroupKey;
  FindCoordinatorResponse response;
  if (version >= 4) {
    // KIP-699: the keys come batched and each gets its own answer.
    for (const std::string& key : request.coordinator_keys) {
      CoordinatorAnswer answer = find_one(context, access, key_type, key, listener_name);
      response.coordinators.push_back(
          FindCoordinatorResponse::Coordinator{.key = key,
                                               .node_id = answer.node_id,
                                               .host = std::move(answer.host),
                                               .port = answer.port,
                                               .error_code = answer.error_code,
                                               .error_message = std::nullopt});
    }
    return response;
  }
  CoordinatorAnswer answer = find_one(context, access, key_type, request.key, listener_name);
  response.error_code = answer.error_code;
  response.node_id = answer.node_id;
  response.host = std::move(answer.host);
  response.port = answer.port;
  return response;
}

void FindCoordinatorHandler::handle(const HandlerCall& call, FindCoordinatorRequest request,
                                    const Responder& respond) {
  respond.send(handle_find_coordinator(call.context, call.access, request, call.version(),
                                       call.session.listener_name()));
}

}  // namespace runnel::broker

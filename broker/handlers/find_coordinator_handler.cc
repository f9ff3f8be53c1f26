#include "broker/handlers/find_coordinator_handler.h"

#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

}  // namespace

FindCoordinatorResponse handle_find_coordinator(BrokerContext& context, const Access& access,
                                                const FindCoordinatorRequest& request,
                                                int16_t version, const std::string& listener_name) {
  // Every key, a group (key type 0) or a transactional id (1), maps to this broker, whose
  // transaction coordinator serves every transactional id. v0-2 differ only in fields the
  // codec handles.
  FindCoordinatorResponse response;
  if (version >= 1 && request.key_type != kGroupKey && request.key_type != kTransactionKey) {
    response.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
    response.node_id = -1;
    response.port = -1;
    return response;
  }
  // v0 has no key type: it is a group.
  const bool transaction = version >= 1 && request.key_type == kTransactionKey;
  const bool allowed = transaction ? access.transactional_id(AclOperation::kDescribe, request.key)
                                   : access.group(AclOperation::kDescribe, request.key);
  if (!allowed) {
    response.error_code =
        static_cast<int16_t>(transaction ? ErrorCode::kTransactionalIdAuthorizationFailed
                                         : ErrorCode::kGroupAuthorizationFailed);
    response.node_id = -1;
    response.port = -1;
    return response;
  }
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  response.node_id = context.identity.node_id;
  const AdvertisedEndpoint endpoint = context.identity.advertised(listener_name);
  response.host = endpoint.host;
  response.port = endpoint.port;
  return response;
}

void FindCoordinatorHandler::handle(const HandlerCall& call, FindCoordinatorRequest request,
                                    const Responder& respond) {
  respond.send(handle_find_coordinator(call.context, call.access, request, call.version(),
                                       call.session.listener_name()));
}

}  // namespace runnel::broker

#include "broker/handlers/find_coordinator_handler.h"

#include "broker/protocol/error_code.h"

namespace runnel::broker {

FindCoordinatorResponse handle_find_coordinator(BrokerContext& context,
                                                const FindCoordinatorRequest& request,
                                                int16_t version) {
  (void)request;  // Every key (group or transactional id) maps to this broker.
  (void)version;  // v0-2 differ only in fields the codec handles.
  FindCoordinatorResponse response;
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  response.node_id = context.identity.node_id;
  response.host = context.identity.host;
  response.port = context.identity.port;
  return response;
}

}  // namespace runnel::broker

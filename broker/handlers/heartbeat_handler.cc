#include "broker/handlers/heartbeat_handler.h"

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

HeartbeatResponse handle_heartbeat(BrokerContext& context, const Access& access,
                                   const HeartbeatRequest& request, int16_t version) {
  (void)version;  // v0-4 differ only in fields the codec handles.
  HeartbeatResponse response;
  if (!access.group(AclOperation::kRead, request.group_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    return response;
  }
  response.error_code = static_cast<int16_t>(context.groups.heartbeat(
      request.group_id, request.generation_id, request.member_id, request.group_instance_id));
  return response;
}

}  // namespace runnel::broker

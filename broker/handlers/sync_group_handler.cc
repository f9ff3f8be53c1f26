#include "broker/handlers/sync_group_handler.h"

#include <utility>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

void handle_sync_group(BrokerContext& context, const Access& access, SyncGroupRequest request,
                       int16_t version, std::function<void(SyncGroupResponse)> done) {
  (void)version;  // v0-3 differ only in fields the codec handles (v3: group_instance_id).
  if (!access.group(AclOperation::kRead, request.group_id)) {
    SyncGroupResponse refused;
    refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    done(std::move(refused));
    return;
  }
  SyncGroupParams params;
  params.group_id = std::move(request.group_id);
  params.generation_id = request.generation_id;
  params.member_id = std::move(request.member_id);
  params.group_instance_id = std::move(request.group_instance_id);
  for (auto& assignment : request.assignments) {
    params.assignments.emplace_back(std::move(assignment.member_id),
                                    std::move(assignment.assignment));
  }
  context.groups.sync_group(std::move(params), [done = std::move(done)](SyncGroupResult result) {
    SyncGroupResponse response;
    response.error_code = static_cast<int16_t>(result.error);
    response.protocol_type = std::move(result.protocol_type);
    response.protocol_name = std::move(result.protocol_name);
    response.assignment = std::move(result.assignment);
    done(std::move(response));
  });
}

void SyncGroupHandler::handle(const HandlerCall& call, SyncGroupRequest request,
                              const Responder& respond) {
  handle_sync_group(call.context, call.access, std::move(request), call.version(),
                    [respond](SyncGroupResponse response) { respond.send(response); });
}

}  // namespace runnel::broker

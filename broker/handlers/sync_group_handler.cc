#include "broker/handlers/sync_group_handler.h"

#include <optional>
#include <string>
#include <utility>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {
namespace {

// KIP-559: a SyncGroup v5+ that names a protocol type or name other than the group's is
// refused with INCONSISTENT_GROUP_PROTOCOL; an unnamed one, or a group that has none yet, is
// not checked.
bool protocol_inconsistent(BrokerContext& context, const SyncGroupRequest& request) {
  const GroupDescription group = context.groups.describe_group(request.group_id);
  if (group.error != ErrorCode::kNone || group.state == GroupState::kDead) return false;
  const auto differs = [](const std::optional<std::string>& asked, const std::string& actual) {
    return asked.has_value() && !actual.empty() && *asked != actual;
  };
  return differs(request.protocol_type, group.protocol_type) ||
         differs(request.protocol_name, group.protocol_name);
}

}  // namespace

void handle_sync_group(BrokerContext& context, const Access& access, SyncGroupRequest request,
                       int16_t version, std::function<void(SyncGroupResponse)> done) {
  // v0-4 differ only in fields the codec handles (v3: group_instance_id); v5 names the
  // protocol type and name the member expects, checked as Kafka does.
  if (!access.group(AclOperation::kRead, request.group_id)) {
    SyncGroupResponse refused;
    refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    done(std::move(refused));
    return;
  }
  if (version >= 5 && protocol_inconsistent(context, request)) {
    SyncGroupResponse refused;
    refused.error_code = static_cast<int16_t>(ErrorCode::kInconsistentGroupProtocol);
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

#include "broker/handlers/leave_group_handler.h"

#include <vector>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

LeaveGroupResponse handle_leave_group(BrokerContext& context, const Access& access,
                                      const LeaveGroupRequest& request, int16_t version) {
  if (!access.group(AclOperation::kRead, request.group_id)) {
    LeaveGroupResponse refused;
    refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    return refused;
  }
  std::vector<MemberIdentity> leaving;
  if (version >= 3) {
    for (const auto& member : request.members) {
      leaving.push_back(MemberIdentity{member.member_id, member.group_instance_id});
    }
  } else {
    leaving.push_back(MemberIdentity{request.member_id, std::nullopt});
  }
  LeaveGroupResult result = context.groups.leave_group(request.group_id, leaving);
  LeaveGroupResponse response;
  response.error_code = static_cast<int16_t>(result.error);
  if (version >= 3) {
    for (size_t i = 0; i < leaving.size() && i < result.members.size(); ++i) {
      LeaveGroupResponse::MemberResponse member;
      member.member_id = leaving[i].member_id;
      member.group_instance_id = leaving[i].group_instance_id;
      member.error_code = static_cast<int16_t>(result.members[i]);
      response.members.push_back(std::move(member));
    }
  } else if (response.error_code == 0 && !result.members.empty()) {
    // One member, so its error is the request's.
    response.error_code = static_cast<int16_t>(result.members.front());
  }
  return response;
}

}  // namespace runnel::broker

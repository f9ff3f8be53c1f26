#include "broker/handlers/describe_groups_handler.h"

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

DescribeGroupsResponse handle_describe_groups(BrokerContext& context, const Access& access,
                                              const DescribeGroupsRequest& request,
                                              int16_t version) {
  (void)version;  // v0-5 differ only in fields the codec handles.
  DescribeGroupsResponse response;
  for (const std::string& group_id : request.groups) {
    if (!access.group(AclOperation::kDescribe, group_id)) {
      DescribeGroupsResponse::DescribedGroup refused;
      refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
      refused.group_id = group_id;
      response.groups.push_back(std::move(refused));
      continue;
    }
    GroupDescription description = context.groups.describe_group(group_id);
    DescribeGroupsResponse::DescribedGroup group;
    group.error_code = static_cast<int16_t>(description.error);
    group.group_id = group_id;
    group.group_state = std::string(group_state_name(description.state));
    group.protocol_type = description.protocol_type;
    group.protocol_data = description.protocol_name;
    for (auto& member : description.members) {
      DescribeGroupsResponse::DescribedGroup::DescribedGroupMember described;
      described.member_id = std::move(member.member_id);
      described.group_instance_id = std::move(member.group_instance_id);
      described.client_id = std::move(member.client_id);
      described.client_host = std::move(member.client_host);
      described.member_metadata = std::move(member.metadata);
      described.member_assignment = std::move(member.assignment);
      group.members.push_back(std::move(described));
    }
    response.groups.push_back(std::move(group));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/delete_groups_handler.h"

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

DeleteGroupsResponse handle_delete_groups(BrokerContext& context, const Access& access,
                                          const DeleteGroupsRequest& request, int16_t version) {
  (void)version;  // v0-2 have the same fields.
  DeleteGroupsResponse response;
  for (const std::string& group_id : request.groups_names) {
    DeleteGroupsResponse::DeletableGroupResult result;
    result.group_id = group_id;
    result.error_code = access.group(AclOperation::kDelete, group_id)
                            ? static_cast<int16_t>(context.groups.delete_group(group_id))
                            : static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    response.results.push_back(std::move(result));
  }
  return response;
}

}  // namespace runnel::broker

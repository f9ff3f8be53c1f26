#include "broker/handlers/list_groups_handler.h"

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

ListGroupsResponse handle_list_groups(BrokerContext& context, const Access& access,
                                      const ListGroupsRequest& request, int16_t version) {
  (void)request;  // v0-2 have no filters.
  (void)version;
  ListGroupsResponse response;
  // DESCRIBE on the cluster sees every group; otherwise only the groups it may describe.
  const bool sees_all = access.cluster(AclOperation::kDescribe);
  for (const GroupListing& listing : context.groups.list_groups()) {
    if (!sees_all && !access.group(AclOperation::kDescribe, listing.group_id)) continue;
    ListGroupsResponse::ListedGroup group;
    group.group_id = listing.group_id;
    group.protocol_type = listing.protocol_type;
    group.group_state = std::string(group_state_name(listing.state));
    response.groups.push_back(std::move(group));
  }
  return response;
}

}  // namespace runnel::broker

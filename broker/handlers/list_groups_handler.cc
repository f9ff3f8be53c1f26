#include "broker/handlers/list_groups_handler.h"

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

ListGroupsResponse handle_list_groups(BrokerContext& context, const ListGroupsRequest& request,
                                      int16_t version) {
  (void)request;  // v0-2 have no filters.
  (void)version;
  ListGroupsResponse response;
  for (const GroupListing& listing : context.groups.list_groups()) {
    ListGroupsResponse::ListedGroup group;
    group.group_id = listing.group_id;
    group.protocol_type = listing.protocol_type;
    group.group_state = std::string(group_state_name(listing.state));
    response.groups.push_back(std::move(group));
  }
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/list_groups_handler.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <boost/algorithm/string/predicate.hpp>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {
namespace {

// Every group runneld keeps is a classic group (KIP-848's consumer groups are not served).
constexpr std::string_view kClassicGroupType = "classic";

// An empty filter lets everything through; names compare case-insensitively, as Kafka's
// group coordinator parses them.
bool passes(const std::vector<std::string>& filter, std::string_view name) {
  return filter.empty() || std::any_of(filter.begin(), filter.end(), [&](const std::string& f) {
           return boost::algorithm::iequals(f, name);
         });
}

}  // namespace

ListGroupsResponse handle_list_groups(BrokerContext& context, const Access& access,
                                      const ListGroupsRequest& request, int16_t version) {
  // v4 filters by state (KIP-518), v5 by type (KIP-848); the codec leaves older versions'
  // filters empty.
  (void)version;
  ListGroupsResponse response;
  // DESCRIBE on the cluster sees every group; otherwise only the groups it may describe.
  const bool sees_all = access.cluster(AclOperation::kDescribe);
  for (const GroupListing& listing : context.groups.list_groups()) {
    if (!sees_all && !access.group(AclOperation::kDescribe, listing.group_id)) continue;
    const std::string_view state = group_state_name(listing.state);
    if (!passes(request.states_filter, state) || !passes(request.types_filter, kClassicGroupType)) {
      continue;
    }
    ListGroupsResponse::ListedGroup group;
    group.group_id = listing.group_id;
    group.protocol_type = listing.protocol_type;
    group.group_state = std::string(state);
    group.group_type = std::string(kClassicGroupType);
    response.groups.push_back(std::move(group));
  }
  return response;
}

}  // namespace runnel::broker

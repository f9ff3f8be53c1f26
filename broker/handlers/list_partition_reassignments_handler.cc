#include "broker/handlers/list_partition_reassignments_handler.h"

#include "broker/protocol/error_code.h"

namespace runnel::broker {

ListPartitionReassignmentsResponse handle_list_partition_reassignments(
    BrokerContext& /*context*/, const Access& access,
    const ListPartitionReassignmentsRequest& /*request*/, int16_t /*version*/) {
  ListPartitionReassignmentsResponse response;
  if (!access.cluster(AclOperation::kDescribe)) {
    response.error_code = code(ErrorCode::kClusterAuthorizationFailed);
    response.error_message = "DESCRIBE on the cluster is required to list reassignments";
    return response;
  }
  response.error_code = code(ErrorCode::kNone);
  return response;
}

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/list_partition_reassignments_request.h"
#include "broker/protocol/generated/list_partition_reassignments_response.h"

namespace runnel::broker {

// ListPartitionReassignments (KIP-455): the reassignments in progress. Every partition of
// runneld has one replica, on this broker, and nothing can move it, so none ever is: the answer
// is an empty list, for any topics asked about (Kafka leaves out partitions with none, and
// unknown topics too). Needs DESCRIBE on the cluster, as in Kafka: otherwise
// CLUSTER_AUTHORIZATION_FAILED.
ListPartitionReassignmentsResponse handle_list_partition_reassignments(
    BrokerContext& context, const Access& access, const ListPartitionReassignmentsRequest& request,
    int16_t version);

// ListPartitionReassignments as runneld serves it (v0, the only version).
using ListPartitionReassignmentsHandler =
    ImmediateHandler<ListPartitionReassignmentsRequest, 0, 0, handle_list_partition_reassignments>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_cluster_request.h"
#include "broker/protocol/generated/describe_cluster_response.h"

namespace runnel::broker {

// DescribeCluster (v0, KIP-700): the cluster id, this broker as the controller and the one
// broker, with the address of the listener the request came in on. As in Kafka it needs no
// permission; the cluster's authorized operations (a bit per AclOperation) are given only
// when asked for, and are 0 for a principal without DESCRIBE on the cluster.
DescribeClusterResponse handle_describe_cluster(BrokerContext& context, const Access& access,
                                                const DescribeClusterRequest& request,
                                                int16_t version, const std::string& listener_name);

// DescribeCluster as runneld serves it (why v0 only: handlers.h).
struct DescribeClusterHandler : HandlerTraits<DescribeClusterRequest, 0, 0> {
  static void handle(const HandlerCall& call, DescribeClusterRequest request,
                     const Responder& respond);
};

}  // namespace runnel::broker

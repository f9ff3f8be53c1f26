#include "broker/handlers/describe_cluster_handler.h"

#include <limits>

#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

// The operations Kafka defines on the cluster resource (Acl.scala, supportedOperations).
constexpr AclOperation kClusterOperations[] = {
    AclOperation::kCreate,       AclOperation::kClusterAction,   AclOperation::kDescribeConfigs,
    AclOperation::kAlterConfigs, AclOperation::kIdempotentWrite, AclOperation::kAlter,
    AclOperation::kDescribe};

}  // namespace

DescribeClusterResponse handle_describe_cluster(BrokerContext& context, const Access& access,
                                                const DescribeClusterRequest& request,
                                                int16_t version, const std::string& listener_name) {
  (void)version;  // v0 only.
  DescribeClusterResponse response;
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  response.cluster_id = context.identity.cluster_id;
  response.controller_id = context.identity.node_id;
  const AdvertisedEndpoint endpoint = context.identity.advertised(listener_name);
  response.brokers.push_back({.broker_id = context.identity.node_id,
                              .host = endpoint.host,
                              .port = endpoint.port,
                              .rack = std::nullopt});
  response.cluster_authorized_operations = std::numeric_limits<int32_t>::min();
  if (request.include_cluster_authorized_operations) {
    int32_t operations = 0;
    if (access.cluster(AclOperation::kDescribe)) {
      for (AclOperation operation : kClusterOperations) {
        if (access.cluster(operation)) operations |= 1 << static_cast<int>(operation);
      }
    }
    response.cluster_authorized_operations = operations;
  }
  return response;
}

void DescribeClusterHandler::handle(const HandlerCall& call, DescribeClusterRequest request,
                                    const Responder& respond) {
  respond.send(handle_describe_cluster(call.context, call.access, request, call.version(),
                                       call.session.listener_name()));
}

}  // namespace runnel::broker

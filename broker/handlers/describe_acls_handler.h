#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_acls_request.h"
#include "broker/protocol/generated/describe_acls_response.h"

namespace runnel::broker {

// DescribeAcls: the ACLs the filter selects, grouped by resource pattern. Needs DESCRIBE on
// the cluster (CLUSTER_AUTHORIZATION_FAILED); with authorization off, SECURITY_DISABLED.
DescribeAclsResponse handle_describe_acls(BrokerContext& context, const Access& access,
                                          const DescribeAclsRequest& request, int16_t version);

// DescribeAcls as runneld serves it (why these versions: handlers.h).
using DescribeAclsHandler = ImmediateHandler<DescribeAclsRequest, 0, 3, handle_describe_acls>;

// The request's filter (shared with DeleteAcls, whose filters have the same fields).
AclBindingFilter acl_filter(int8_t resource_type, const std::optional<std::string>& resource_name,
                            int8_t pattern_type, const std::optional<std::string>& principal,
                            const std::optional<std::string>& host, int8_t operation,
                            int8_t permission);

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/create_acls_request.h"
#include "broker/protocol/generated/create_acls_response.h"

namespace runnel::broker {

// CreateAcls: adds each ACL (persisted before the answer), one result per creation in request
// order. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED); an invalid ACL gets
// INVALID_REQUEST with the reason; with authorization off, SECURITY_DISABLED.
CreateAclsResponse handle_create_acls(BrokerContext& context, const Access& access,
                                      const CreateAclsRequest& request, int16_t version);

// CreateAcls as runneld serves it (why these versions: handlers.h).
using CreateAclsHandler = ImmediateHandler<CreateAclsRequest, 0, 3, handle_create_acls>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/delete_acls_request.h"
#include "broker/protocol/generated/delete_acls_response.h"

namespace runnel::broker {

// DeleteAcls: removes the ACLs each filter selects (persisted before the answer) and names
// them in that filter's result. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED); with
// authorization off, SECURITY_DISABLED.
DeleteAclsResponse handle_delete_acls(BrokerContext& context, const Access& access,
                                      const DeleteAclsRequest& request, int16_t version);

// DeleteAcls as runneld serves it (why these versions: handlers.h).
using DeleteAclsHandler = ImmediateHandler<DeleteAclsRequest, 0, 3, handle_delete_acls>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/alter_configs_request.h"
#include "broker/protocol/generated/alter_configs_response.h"
#include "broker/protocol/generated/incremental_alter_configs_request.h"
#include "broker/protocol/generated/incremental_alter_configs_response.h"

namespace runnel::broker {

// AlterConfigs (v0-2): replaces a topic's config overrides with the ones given (a config not
// named returns to its default), as Kafka does. The new config is persisted (topics.meta)
// and takes effect at once; DescribeConfigs then reports the overrides as
// DYNAMIC_TOPIC_CONFIG. Per resource: TOPIC_AUTHORIZATION_FAILED without ALTER_CONFIGS on the
// topic, UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG (an unknown name or a bad value, with a
// message), INVALID_REQUEST for broker resources (runneld's broker configs are its flags).
// validate_only checks and changes nothing.
AlterConfigsResponse handle_alter_configs(BrokerContext& context, const Access& access,
                                          const AlterConfigsRequest& request, int16_t version);

// IncrementalAlterConfigs (v0-1, KIP-339): SET (0) or DELETE (1) single configs of a topic,
// leaving the others; APPEND (2) and SUBTRACT (3) on list configs (cleanup.policy). Otherwise
// as AlterConfigs; a config named twice in one resource is INVALID_REQUEST.
IncrementalAlterConfigsResponse handle_incremental_alter_configs(
    BrokerContext& context, const Access& access, const IncrementalAlterConfigsRequest& request,
    int16_t version);

// AlterConfigs and IncrementalAlterConfigs as runneld serves them (why: handlers.h).
using AlterConfigsHandler = ImmediateHandler<AlterConfigsRequest, 0, 2, handle_alter_configs>;
using IncrementalAlterConfigsHandler =
    ImmediateHandler<IncrementalAlterConfigsRequest, 0, 1, handle_incremental_alter_configs>;

}  // namespace runnel::broker

#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_configs_request.h"
#include "broker/protocol/generated/describe_configs_response.h"

namespace runnel::broker {

// DescribeConfigs for topics (every topic config Kafka names, with its value and whether it
// is the broker default or set on the topic) and for this broker (the settings runneld was
// started with, under Kafka's broker config names; read-only, as runneld serves no
// AlterConfigs). `configuration_keys` narrows the list; synonyms (v1+) list the entry's own
// source. An unknown topic gets UNKNOWN_TOPIC_OR_PARTITION; another broker id or resource
// type gets INVALID_REQUEST.
DescribeConfigsResponse handle_describe_configs(BrokerContext& context, const Access& access,
                                                const DescribeConfigsRequest& request,
                                                int16_t version);

// DescribeConfigs as runneld serves it (why these versions: handlers.h).
using DescribeConfigsHandler =
    ImmediateHandler<DescribeConfigsRequest, 0, 2, handle_describe_configs>;

}  // namespace runnel::broker

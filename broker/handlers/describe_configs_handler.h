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
// started with, under Kafka's broker config names; read-only: they are runneld's flags).
// `configuration_keys` narrows the list. Synonyms (v1+): a topic config lists, as Kafka does,
// the topic's override, the broker setting behind it and Kafka's default, the one in effect
// first (topic_config_sources.h); a broker config lists its own source. An unknown topic gets
// UNKNOWN_TOPIC_OR_PARTITION; another broker id or resource type gets INVALID_REQUEST. v3+ give
// each config's type (Kafka's) and no documentation.
DescribeConfigsResponse handle_describe_configs(BrokerContext& context, const Access& access,
                                                const DescribeConfigsRequest& request,
                                                int16_t version);

// DescribeConfigs as runneld serves it (why these versions: handlers.h).
using DescribeConfigsHandler =
    ImmediateHandler<DescribeConfigsRequest, 0, 4, handle_describe_configs>;

}  // namespace runnel::broker

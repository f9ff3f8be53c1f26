#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_producers_request.h"
#include "broker/protocol/generated/describe_producers_response.h"

namespace runnel::broker {

// DescribeProducers (KIP-664, kafka-transactions.sh describe-producers): per partition, the
// idempotent and transactional producers its log remembers, with epoch, last sequence, last
// batch's timestamp and the first offset of the open transaction (-1: none). The coordinator
// epoch is not kept per producer and is reported as -1. Needs READ on the topic
// (TOPIC_AUTHORIZATION_FAILED); an unknown partition gets UNKNOWN_TOPIC_OR_PARTITION.
DescribeProducersResponse handle_describe_producers(BrokerContext& context, const Access& access,
                                                    const DescribeProducersRequest& request,
                                                    int16_t version);

// DescribeProducers as runneld serves it (why these versions: handlers.h).
using DescribeProducersHandler =
    ImmediateHandler<DescribeProducersRequest, 0, 0, handle_describe_producers>;

}  // namespace runnel::broker

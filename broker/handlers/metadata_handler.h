#pragma once

#include <cstdint>
#include <string>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/metadata_response.h"

namespace runnel::broker {

// Metadata: this broker as the only broker, leader and controller of every partition.
// A requested topic that does not exist is created with the broker's default partition count
// when auto-creation is on (and, from v4, the client allows it); otherwise it is answered with
// UNKNOWN_TOPIC_OR_PARTITION. A null topic list (v1+; empty in v0) means every topic.
// v7+ give leader epoch 0 (one leader, forever); v8+ the caller's authorized operations on
// the cluster and on each topic when asked (KIP-430).
// Brokers are listed with the advertised address of `listener_name`, the listener the request
// came in on.
MetadataResponse handle_metadata(BrokerContext& context, const Access& access,
                                 const MetadataRequest& request, int16_t version,
                                 const std::string& listener_name);

// Metadata as runneld serves it (why these versions: handlers.h), with the addresses of the
// listener the request came in on.
struct MetadataHandler : HandlerTraits<MetadataRequest, 0, 9> {
  static void handle(const HandlerCall& call, MetadataRequest request, const Responder& respond);
};

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <optional>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/generated/produce_response.h"

namespace runnel::broker {

// Produce: validates and appends each partition's record batches as received (see
// Log::append), then wakes waiting fetches.
//
// acks: 0 sends no response at all (std::nullopt), as Kafka does; 1 answers once the batches
// are in the log (written to the page cache); -1 (all) is the same as 1 on a single node: the
// leader is the whole in-sync replica set. Neither waits for fsync unless the topic's
// flush.messages/flush.ms say so (docs/DURABILITY.md). Any other value gets
// INVALID_REQUIRED_ACKS and writes nothing.
std::optional<ProduceResponse> handle_produce(BrokerContext& context, const Access& access,
                                              const ProduceRequest& request, int16_t version);

// Produce as runneld serves it (why these versions: handlers.h). acks=0 sends nothing.
struct ProduceHandler : HandlerTraits<ProduceRequest, 3, 10> {
  static void handle(const HandlerCall& call, ProduceRequest request, const Responder& respond);
};

}  // namespace runnel::broker

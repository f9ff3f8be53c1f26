#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/delete_records_request.h"
#include "broker/protocol/generated/delete_records_response.h"

namespace runnel::broker {

// DeleteRecords (v0-2): moves each partition's log start offset up to the offset asked for
// (-1: the high watermark), as Kafka does; the records below it can no longer be fetched or
// listed, whole segments below it are deleted, and the new start survives a restart. Each
// partition answers its new low watermark, or TOPIC_AUTHORIZATION_FAILED (DELETE on the
// topic), UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE (an offset past the high watermark
// or below -1), INVALID_TOPIC_EXCEPTION (a broker-internal topic) or KAFKA_STORAGE_ERROR.
DeleteRecordsResponse handle_delete_records(BrokerContext& context, const Access& access,
                                            const DeleteRecordsRequest& request, int16_t version);

// DeleteRecords as runneld serves it (why these versions: handlers.h).
using DeleteRecordsHandler = ImmediateHandler<DeleteRecordsRequest, 0, 2, handle_delete_records>;

}  // namespace runnel::broker

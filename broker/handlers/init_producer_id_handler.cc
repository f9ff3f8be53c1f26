#include "broker/handlers/init_producer_id_handler.h"

#include "broker/coordinator/producer_id_manager.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {

InitProducerIdResponse handle_init_producer_id(BrokerContext& context,
                                               const InitProducerIdRequest& request,
                                               int16_t version) {
  (void)version;  // v0 and v1 have the same fields.
  InitProducerIdResponse response;
  if (request.transactional_id.has_value()) {
    response.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
    return response;
  }
  Result<int64_t> id = context.producer_ids.next_id();
  if (!id.ok()) {
    log::error("InitProducerId: {}", id.status().to_string());
    response.error_code = static_cast<int16_t>(ErrorCode::kCoordinatorNotAvailable);
    return response;
  }
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  response.producer_id = *id;
  response.producer_epoch = 0;
  return response;
}

}  // namespace runnel::broker

#include "broker/handlers/init_producer_id_handler.h"

#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {

InitProducerIdResponse handle_init_producer_id(BrokerContext& context, const Access& access,
                                               const InitProducerIdRequest& request,
                                               int16_t version) {
  InitProducerIdResponse response;
  response.producer_id = -1;
  response.producer_epoch = -1;
  if (request.transactional_id.has_value() &&
      !access.transactional_id(AclOperation::kWrite, *request.transactional_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdAuthorizationFailed);
    return response;
  }
  if (!request.transactional_id.has_value() && !access.idempotent_write()) {
    response.error_code = static_cast<int16_t>(ErrorCode::kClusterAuthorizationFailed);
    return response;
  }
  if (request.transactional_id.has_value()) {
    const InitProducerIdResult result = context.transactions.init_producer_id(
        *request.transactional_id, request.transaction_timeout_ms,
        version >= 3 ? request.producer_id : -1, version >= 3 ? request.producer_epoch : -1);
    response.error_code = static_cast<int16_t>(for_client(result.error, version >= 4));
    response.producer_id = result.producer_id;
    response.producer_epoch = result.producer_epoch;
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

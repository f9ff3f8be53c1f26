#include "broker/handlers/end_txn_handler.h"

#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"

namespace runnel::broker {

EndTxnResponse handle_end_txn(BrokerContext& context, const Access& access,
                              const EndTxnRequest& request, int16_t version) {
  EndTxnResponse response;
  if (!access.transactional_id(AclOperation::kWrite, request.transactional_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdAuthorizationFailed);
    return response;
  }
  response.error_code = static_cast<int16_t>(
      for_client(context.transactions.end_transaction(request.transactional_id, request.producer_id,
                                                      request.producer_epoch, request.committed),
                 version >= 2));
  return response;
}

}  // namespace runnel::broker

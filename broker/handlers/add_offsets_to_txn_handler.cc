#include "broker/handlers/add_offsets_to_txn_handler.h"

#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/transaction_errors.h"

namespace runnel::broker {

AddOffsetsToTxnResponse handle_add_offsets_to_txn(BrokerContext& context, const Access& access,
                                                  const AddOffsetsToTxnRequest& request,
                                                  int16_t version) {
  AddOffsetsToTxnResponse response;
  if (!access.transactional_id(AclOperation::kWrite, request.transactional_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdAuthorizationFailed);
    return response;
  }
  if (!access.group(AclOperation::kRead, request.group_id)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    return response;
  }
  response.error_code = static_cast<int16_t>(
      for_client(context.transactions.add_offsets(request.transactional_id, request.producer_id,
                                                  request.producer_epoch, request.group_id),
                 version >= 2));
  return response;
}

}  // namespace runnel::broker

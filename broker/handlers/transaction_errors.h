#pragma once

#include "broker/protocol/error_code.h"

namespace runnel::broker {

// PRODUCER_FENCED is new in KIP-588 (InitProducerId v4, AddPartitionsToTxn, AddOffsetsToTxn and
// EndTxn v2); older clients are told INVALID_PRODUCER_EPOCH, which they treat as fencing.
inline ErrorCode for_client(ErrorCode error, bool knows_producer_fenced) {
  if (error == ErrorCode::kProducerFenced && !knows_producer_fenced) {
    return ErrorCode::kInvalidProducerEpoch;
  }
  return error;
}

}  // namespace runnel::broker

#pragma once

#include <vector>

#include "examples/fraud_detection/fraud.pb.h"
#include "examples/transactions/transaction.pb.h"

namespace runnel::examples::fraud {

// The three rules of fraud_rules.h written plainly, over transactions in event-time order:
// the model the streaming detector's alerts are checked against. One alert per velocity
// window when its count first exceeds the limit, per spiking transaction, and per pair of
// impossible sightings (raised by the later one). Holder fields are left empty.
std::vector<Alert> reference_alerts(const std::vector<Transaction>& transactions);

}  // namespace runnel::examples::fraud

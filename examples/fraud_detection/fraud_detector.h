#pragma once

#include <string>

#include "operators/topology.h"
#include "runtime/streams_config.h"

namespace runnel::examples::fraud {

// The topics the detector reads and writes.
struct FraudTopics {
  std::string transactions = "transactions";  // card_id -> Transaction, event-time stamped
  std::string card_holders = "card-holders";  // card_id -> CardHolder (a table)
  std::string alerts = "alerts";              // card_id -> Alert
};

// The fraud detector as a Runnel topology, the three rules of fraud_rules.h:
//  - velocity: a hopping-window aggregate per card (store "velocity-windows"); the
//    transaction that takes a window past kVelocityLimit raises the alert;
//  - amount spike: a KTable of each card's running count and sum (store "card-stats");
//    each transaction is joined with it and compared with the mean of the earlier ones;
//  - impossible travel: a self stream-stream join of the transactions within
//    kTravelWindowMs; each pair that no one can travel is raised once, by its later side.
// Alerts from all three are enriched from the card-holder table (stream-table join) and
// written to `topics.alerts`. Transactions and card holders must be co-partitioned (same
// partition count, keyed by card id with Java's partitioner, as client::Producer does).
// `properties`: the application's properties, for the rewrites their topology.optimization
// asks for (StreamsBuilder::build(properties)); with single.store.self.join the travel
// rule's self-join keeps one window store instead of two.
Topology build_fraud_detector(const FraudTopics& topics = {},
                              const StreamsProperties& properties = {});

}  // namespace runnel::examples::fraud

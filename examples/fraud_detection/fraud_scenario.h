#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "examples/fraud_detection/fraud.pb.h"
#include "examples/transactions/transaction.pb.h"

namespace runnel::examples::fraud {

// One fraud pattern the generator injected: the ground truth alerts are scored against.
struct Incident {
  Rule rule = RULE_UNSPECIFIED;
  std::string card_id;
  // Event times of the incident's first and last transactions.
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::vector<std::string> transaction_ids;
};

// A seeded, deterministic run of card traffic with fraud injected into it: the same options
// give the same transactions, holders and incidents (with the same C++ standard library).
//
// Normal traffic: each card is used near its holder's home city, at amounts around the
// card's own typical amount, at a rate far below the velocity limit. Injected incidents use
// distinct cards and cross their rule's threshold by a wide margin (fraud_rules.h), so a
// correct detector finds every incident and normal traffic almost never trips a rule.
struct FraudScenario {
  struct Options {
    std::uint64_t seed = 42;
    std::int64_t transactions = 200'000;  // Normal transactions, before injection.
    int cards = 2'000;
    std::int64_t start_time_ms = 1767225600000;  // 2026-01-01T00:00:00Z
    double mean_gap_ms = 50.0;                   // Between transactions of any card.
    // Incidents per 10,000 normal transactions, for each rule.
    double incidents_per_10k = 2.0;
  };

  std::vector<Transaction> transactions;  // In event-time order; ids "tx-<n>" unique.
  std::vector<CardHolder> holders;        // One per card.
  std::vector<Incident> incidents;        // In start-time order.

  static FraudScenario generate(const Options& options);
};

}  // namespace runnel::examples::fraud

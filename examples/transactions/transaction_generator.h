#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "examples/transactions/transaction.pb.h"

namespace runnel::examples {

// A seeded, deterministic source of card transactions: the same seed gives the same
// sequence on every machine, so a consumer can regenerate what a producer sent and compare.
//
// Cards live in cities; each transaction happens near its card's home city, at a time that
// advances by a random gap from a fixed start. Not thread-safe.
class TransactionGenerator {
 public:
  struct Options {
    std::uint64_t seed = 42;
    int cards = 1000;
    // Event time of the first transaction.
    std::int64_t start_time_ms = 1767225600000;  // 2026-01-01T00:00:00Z
    // Mean gap between consecutive transactions (of any card).
    double mean_gap_ms = 20.0;
  };

  explicit TransactionGenerator(Options options);

  // The next transaction in the sequence.
  Transaction next();

 private:
  struct Card {
    std::string id;
    double home_latitude;
    double home_longitude;
    double typical_amount_cents;
  };

  Options options_;
  std::mt19937_64 rng_;
  std::vector<Card> cards_;
  std::int64_t sequence_ = 0;
  double now_ms_;
};

}  // namespace runnel::examples

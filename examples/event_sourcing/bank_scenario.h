#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "examples/event_sourcing/account_events.pb.h"

namespace runnel::examples::bank {

// A seeded history of bank accounts: every account is opened first, then deposits,
// withdrawals and transfers follow in time order. The generator keeps its own ledger and
// only emits a withdrawal or transfer the source account can cover (down to its overdraft
// limit), so the history obeys the bank's invariants by construction.
struct BankScenario {
  struct Options {
    std::uint64_t seed = 42;
    int accounts = 100;
    std::int64_t events = 20'000;                // After the openings.
    std::int64_t start_time_ms = 1767225600000;  // 2026-01-01T00:00:00Z
    std::int64_t mean_gap_ms = 1'000;
  };

  std::vector<AccountEvent> events;  // In time order, openings first.

  static BankScenario generate(const Options& options);
};

// What a plain fold over the events says: the model the streaming balances are checked
// against. Events after `as_of_ms` are ignored.
struct Ledger {
  std::map<std::string, Balance> balances;
  std::int64_t deposited_cents = 0;
  std::int64_t withdrawn_cents = 0;

  static Ledger replay(const std::vector<AccountEvent>& events, std::int64_t as_of_ms = INT64_MAX);
};

}  // namespace runnel::examples::bank

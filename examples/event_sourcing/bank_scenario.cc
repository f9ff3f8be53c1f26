#include "examples/event_sourcing/bank_scenario.h"

#include <cstdio>
#include <random>

namespace runnel::examples::bank {
namespace {

std::string numbered(const char* prefix, std::int64_t n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s%06lld", prefix, static_cast<long long>(n));
  return buffer;
}

void apply(Ledger& ledger, const AccountEvent& event) {
  auto credit = [&](const std::string& account, std::int64_t delta) {
    Balance& b = ledger.balances[account];
    b.set_account_id(account);
    b.set_balance_cents(b.balance_cents() + delta);
    b.set_events(b.events() + 1);
    b.set_last_event_id(event.event_id());
  };
  switch (event.kind_case()) {
    case AccountEvent::kOpened: {
      credit(event.account_id(), 0);
      ledger.balances[event.account_id()].set_overdraft_limit_cents(
          event.opened().overdraft_limit_cents());
      break;
    }
    case AccountEvent::kDeposited:
      credit(event.account_id(), event.deposited().amount_cents());
      ledger.deposited_cents += event.deposited().amount_cents();
      break;
    case AccountEvent::kWithdrawn:
      credit(event.account_id(), -event.withdrawn().amount_cents());
      ledger.withdrawn_cents += event.withdrawn().amount_cents();
      break;
    case AccountEvent::kTransferred:
      credit(event.account_id(), -event.transferred().amount_cents());
      credit(event.transferred().to_account_id(), event.transferred().amount_cents());
      break;
    default:
      break;
  }
}

}  // namespace

Ledger Ledger::replay(const std::vector<AccountEvent>& events, std::int64_t as_of_ms) {
  Ledger ledger;
  for (const AccountEvent& event : events) {
    if (event.timestamp_ms() > as_of_ms) break;
    apply(ledger, event);
  }
  return ledger;
}

BankScenario BankScenario::generate(const Options& options) {
  BankScenario scenario;
  std::mt19937_64 rng(options.seed);
  Ledger ledger;
  std::int64_t now = options.start_time_ms;
  std::int64_t next_event = 0;
  auto stamp = [&](AccountEvent& event, const std::string& account) {
    event.set_event_id(numbered("ev-", next_event++));
    event.set_account_id(account);
    event.set_timestamp_ms(now);
  };
  std::uniform_int_distribution<int> overdraft(0, 3);
  std::vector<std::string> accounts;
  for (int i = 0; i < options.accounts; ++i) {
    accounts.push_back(numbered("acct-", i));
    AccountEvent event;
    stamp(event, accounts.back());
    event.mutable_opened()->set_owner("owner " + std::to_string(i));
    // One account in four may go 500.00 below zero.
    event.mutable_opened()->set_overdraft_limit_cents(overdraft(rng) == 0 ? 50'000 : 0);
    apply(ledger, event);
    scenario.events.push_back(std::move(event));
    now += 1;
  }
  std::uniform_int_distribution<std::size_t> pick(0, accounts.size() - 1);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_int_distribution<std::int64_t> amount(100, 200'000);
  std::exponential_distribution<double> gap(1.0 / static_cast<double>(options.mean_gap_ms));
  while (static_cast<std::int64_t>(scenario.events.size()) < options.accounts + options.events) {
    now += 1 + static_cast<std::int64_t>(gap(rng));
    const std::string& account = accounts[pick(rng)];
    const Balance& balance = ledger.balances[account];
    const std::int64_t available = balance.balance_cents() + balance.overdraft_limit_cents();
    const std::int64_t cents = amount(rng);
    AccountEvent event;
    stamp(event, account);
    const int k = kind(rng);
    if (k < 4 || available < cents) {
      event.mutable_deposited()->set_amount_cents(cents);
    } else if (k < 7) {
      event.mutable_withdrawn()->set_amount_cents(cents);
    } else {
      std::string to = accounts[pick(rng)];
      if (to == account) to = accounts[(pick(rng) + 1) % accounts.size()];
      if (to == account) continue;
      event.mutable_transferred()->set_to_account_id(to);
      event.mutable_transferred()->set_amount_cents(cents);
    }
    apply(ledger, event);
    scenario.events.push_back(std::move(event));
  }
  return scenario;
}

}  // namespace runnel::examples::bank

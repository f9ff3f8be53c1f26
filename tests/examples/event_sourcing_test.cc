// Event sourcing: balances folded from a seeded account history by a Runnel topology equal a
// plain fold over the same events, now and as of a past time, and obey the bank's invariants.
#include <gtest/gtest.h>

#include "core/protobuf_serde.h"
#include "examples/event_sourcing/balances_topology.h"
#include "examples/event_sourcing/bank_scenario.h"
#include "runtime/topology_test_driver.h"

namespace runnel::examples::bank {
namespace {

BankScenario::Options small() {
  BankScenario::Options options;
  options.accounts = 40;
  options.events = 4'000;
  return options;
}

// The balances store after every event of `scenario` went through build_balances(as_of).
std::map<std::string, Balance> streamed_balances(const BankScenario& scenario,
                                                 std::int64_t as_of_ms) {
  auto driver = TopologyTestDriver::create(build_balances("account-events", "balances", as_of_ms));
  EXPECT_TRUE(driver.ok()) << driver.status().to_string();
  auto events = (*driver)->create_input_topic<std::string, AccountEvent>("account-events");
  for (const AccountEvent& event : scenario.events) {
    const Status piped = events.pipe_input(event.account_id(), event, event.timestamp_ms());
    EXPECT_TRUE(piped.ok()) << piped.to_string();
  }
  std::map<std::string, Balance> out;
  auto store = (*driver)->get_key_value_store<std::string, Balance>("balances");
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  for (const auto& [account, model] : Ledger::replay(scenario.events).balances) {
    auto found = store->get(account);
    EXPECT_TRUE(found.ok()) << found.status().to_string();
    if (found.ok() && found->has_value()) out[account] = **found;
  }
  return out;
}

void expect_same(const std::map<std::string, Balance>& streamed, const Ledger& model) {
  ASSERT_EQ(streamed.size(), model.balances.size());
  for (const auto& [account, expected] : model.balances) {
    const Balance& got = streamed.at(account);
    EXPECT_EQ(got.balance_cents(), expected.balance_cents()) << account;
    EXPECT_EQ(got.overdraft_limit_cents(), expected.overdraft_limit_cents()) << account;
    EXPECT_EQ(got.events(), expected.events()) << account;
    EXPECT_EQ(got.last_event_id(), expected.last_event_id()) << account;
  }
}

TEST(EventSourcing, BalancesEqualAPlainFoldAndKeepTheInvariants) {
  const BankScenario scenario = BankScenario::generate(small());
  ASSERT_EQ(scenario.events.size(), 4'040u);
  const Ledger model = Ledger::replay(scenario.events);
  const auto streamed = streamed_balances(scenario, INT64_MAX);
  expect_same(streamed, model);
  std::int64_t total = 0;
  for (const auto& [account, balance] : streamed) {
    total += balance.balance_cents();
    EXPECT_GE(balance.balance_cents(), -balance.overdraft_limit_cents()) << account;
  }
  // Transfers move money; only deposits and withdrawals change the bank's total.
  EXPECT_EQ(total, model.deposited_cents - model.withdrawn_cents);
  EXPECT_GT(model.withdrawn_cents, 0);
}

TEST(EventSourcing, ReplayAsOfAPastTimeGivesTheBalancesOfThatTime) {
  const BankScenario scenario = BankScenario::generate(small());
  const std::int64_t middle = scenario.events[scenario.events.size() / 2].timestamp_ms();
  const Ledger then = Ledger::replay(scenario.events, middle);
  const Ledger now = Ledger::replay(scenario.events);
  const auto streamed = streamed_balances(scenario, middle);
  expect_same(streamed, then);
  bool differs = false;
  for (const auto& [account, balance] : now.balances) {
    differs |= balance.balance_cents() != then.balances.at(account).balance_cents();
  }
  EXPECT_TRUE(differs) << "the past must differ from the present for the test to mean much";
}

}  // namespace
}  // namespace runnel::examples::bank

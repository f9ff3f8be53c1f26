#include "examples/event_sourcing/balances_topology.h"

#include <vector>

#include "core/protobuf_serde.h"
#include "examples/event_sourcing/account_events.pb.h"
#include "operators/streams_builder.h"

namespace runnel::examples::bank {

Topology build_balances(const std::string& events_topic, const std::string& balances_topic,
                        std::int64_t as_of_ms) {
  StreamsBuilder builder;
  builder.stream<std::string, AccountEvent>(events_topic)
      .filter([as_of_ms](const std::string&, const AccountEvent& event) {
        return event.timestamp_ms() <= as_of_ms;
      })
      .flat_map([](const std::string& account, const AccountEvent& event) {
        std::vector<KeyValue<std::string, BalanceChange>> changes;
        auto change = [&](const std::string& to, std::int64_t delta) {
          BalanceChange c;
          c.set_event_id(event.event_id());
          c.set_delta_cents(delta);
          changes.emplace_back(to, std::move(c));
        };
        switch (event.kind_case()) {
          case AccountEvent::kOpened: {
            change(account, 0);
            changes.back().value->set_opened(true);
            changes.back().value->set_overdraft_limit_cents(event.opened().overdraft_limit_cents());
            break;
          }
          case AccountEvent::kDeposited:
            change(account, event.deposited().amount_cents());
            break;
          case AccountEvent::kWithdrawn:
            change(account, -event.withdrawn().amount_cents());
            break;
          case AccountEvent::kTransferred:
            change(account, -event.transferred().amount_cents());
            change(event.transferred().to_account_id(), event.transferred().amount_cents());
            break;
          default:
            break;
        }
        return changes;
      })
      .group_by_key()
      .aggregate([] { return Balance(); },
                 [](const std::string& account, const BalanceChange& change, Balance balance) {
                   balance.set_account_id(account);
                   balance.set_balance_cents(balance.balance_cents() + change.delta_cents());
                   if (change.opened()) {
                     balance.set_overdraft_limit_cents(change.overdraft_limit_cents());
                   }
                   balance.set_events(balance.events() + 1);
                   balance.set_last_event_id(change.event_id());
                   return balance;
                 },
                 Materialized<std::string, Balance>::as("balances"))
      .to_stream()
      .to(balances_topic);
  return builder.build();
}

}  // namespace runnel::examples::bank

#include "examples/fraud_detection/fraud_detector.h"

#include <chrono>
#include <string>

#include "core/protobuf_serde.h"
#include "examples/fraud_detection/fraud.pb.h"
#include "examples/fraud_detection/fraud_rules.h"
#include "examples/transactions/transaction.pb.h"
#include "operators/streams_builder.h"

namespace runnel::examples::fraud {
namespace {

using std::chrono::milliseconds;

constexpr std::chrono::hours kVelocityRetention{2};

// A transaction next to its card's statistics, the transaction included. Moves between the
// detector's processors only, so it needs no serde.
struct TransactionWithStats {
  Transaction transaction;
  CardStats stats;
};

Alert make_alert(Rule rule, const Transaction& t, std::string evidence) {
  Alert alert;
  alert.set_rule(rule);
  alert.set_card_id(t.card_id());
  alert.set_transaction_id(t.transaction_id());
  alert.set_timestamp_ms(t.timestamp_ms());
  alert.set_evidence(std::move(evidence));
  return alert;
}

// Whether `a` comes after `b` in (time, id) order: which side of a pair raises its alert.
bool later(const Transaction& a, const Transaction& b) {
  if (a.timestamp_ms() != b.timestamp_ms()) return a.timestamp_ms() > b.timestamp_ms();
  return a.transaction_id() > b.transaction_id();
}

}  // namespace

Topology build_fraud_detector(const FraudTopics& topics, const StreamsProperties& properties) {
  StreamsBuilder builder;
  auto transactions = builder.stream<std::string, Transaction>(topics.transactions);
  auto holders = builder.table<std::string, CardHolder>(
      topics.card_holders, {}, Materialized<std::string, CardHolder>::as("card-holders"));

  // Velocity. Caching is off so that every count reaches the filter: the alert is raised by
  // the one transaction that takes its window's count to kVelocityLimit + 1. The store keeps
  // kVelocityRetention rather than one window's 60 s: a window store opens a RocksDB instance
  // per segment of max(retention / 2, 60 s) of event time, and the demo's event time runs
  // about 50x faster than the clock, so 60 s segments meant a new instance per task every
  // second or so (docs/BENCHMARKS.md, the fraud demo). Lateness is by grace (0), not
  // retention: the alerts do not change.
  auto velocity =
      transactions.group_by_key()
          .windowed_by(TimeWindows::of_size(milliseconds(kVelocityWindowMs))
                           .advance_by(milliseconds(kVelocityAdvanceMs)))
          .aggregate([] { return VelocityWindow(); },
                     [](const std::string&, const Transaction& t, VelocityWindow window) {
                       window.set_count(window.count() + 1);
                       window.set_last_transaction_id(t.transaction_id());
                       window.set_last_timestamp_ms(t.timestamp_ms());
                       return window;
                     },
                     Materialized<std::string, VelocityWindow>::as("velocity-windows")
                         .with_retention(kVelocityRetention)
                         .with_caching_disabled())
          .to_stream()
          .filter([](const Windowed<std::string>&, const VelocityWindow& window) {
            return window.count() == kVelocityLimit + 1;
          })
          .map([](const Windowed<std::string>& card, const VelocityWindow& window) {
            Alert alert;
            alert.set_rule(VELOCITY);
            alert.set_card_id(card.key);
            alert.set_transaction_id(window.last_transaction_id());
            alert.set_timestamp_ms(window.last_timestamp_ms());
            alert.set_evidence(std::to_string(window.count()) + " transactions in window [" +
                               std::to_string(card.window.start_ms) + ", " +
                               std::to_string(card.window.end_ms) + ")");
            return KeyValue<std::string, Alert>(card.key, alert);
          });

  // Amount spike. The stats table is defined before the join, so each transaction has
  // already been added when the join reads it: the earlier ones are (count - 1, sum - amount).
  auto stats = transactions.group_by_key().aggregate(
      [] { return CardStats(); },
      [](const std::string&, const Transaction& t, CardStats s) {
        s.set_count(s.count() + 1);
        s.set_sum_cents(s.sum_cents() + t.amount_cents());
        return s;
      },
      Materialized<std::string, CardStats>::as("card-stats").with_caching_disabled());
  auto spikes =
      transactions
          .join(stats,
                [](const Transaction& t, const CardStats& s) {
                  return TransactionWithStats{t, s};
                })
          .filter([](const std::string&, const TransactionWithStats& joined) {
            const std::int64_t earlier = joined.stats.count() - 1;
            if (earlier < kSpikeMinHistory) return false;
            const double mean =
                static_cast<double>(joined.stats.sum_cents() - joined.transaction.amount_cents()) /
                static_cast<double>(earlier);
            return static_cast<double>(joined.transaction.amount_cents()) > kSpikeFactor * mean;
          })
          .map_values([](const TransactionWithStats& joined) {
            const std::int64_t earlier = joined.stats.count() - 1;
            const std::int64_t mean =
                (joined.stats.sum_cents() - joined.transaction.amount_cents()) / earlier;
            return make_alert(AMOUNT_SPIKE, joined.transaction,
                              std::to_string(joined.transaction.amount_cents()) +
                                  " cents against a mean of " + std::to_string(mean) + " over " +
                                  std::to_string(earlier) + " transactions");
          });

  // Impossible travel: every pair of one card's transactions within the window, once.
  auto travel =
      transactions
          .join(
              transactions,
              [](const Transaction& a, const Transaction& b) {
                // Raised only on the side where `a` is the later transaction; other pairs
                // give an alert without a rule, filtered out below.
                Alert alert;
                if (!later(a, b)) return alert;
                const double km =
                    distance_km(b.latitude(), b.longitude(), a.latitude(), a.longitude());
                if (!impossible_travel(km, a.timestamp_ms() - b.timestamp_ms())) return alert;
                alert =
                    make_alert(IMPOSSIBLE_TRAVEL, a,
                               std::to_string(static_cast<int>(km)) + " km in " +
                                   std::to_string((a.timestamp_ms() - b.timestamp_ms()) / 1000) +
                                   " s since " + b.transaction_id());
                return alert;
              },
              JoinWindows::of_time_difference_with_no_grace(milliseconds(kTravelWindowMs)))
          .filter([](const std::string&, const Alert& alert) {
            return alert.rule() != RULE_UNSPECIFIED;
          });

  velocity.merge(spikes)
      .merge(travel)
      .left_join(holders,
                 [](const Alert& alert, const std::optional<CardHolder>& holder) {
                   Alert enriched = alert;
                   if (holder) {
                     enriched.set_holder_name(holder->name());
                     enriched.set_holder_city(holder->home_city());
                   }
                   return enriched;
                 })
      .to(topics.alerts);
  return builder.build(properties);
}

}  // namespace runnel::examples::fraud

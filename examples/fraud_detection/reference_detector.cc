#include "examples/fraud_detection/reference_detector.h"

#include <deque>
#include <map>
#include <string>
#include <unordered_map>

#include "examples/fraud_detection/fraud_rules.h"

namespace runnel::examples::fraud {
namespace {

struct CardState {
  std::map<std::int64_t, std::int64_t> window_counts;  // Window start -> count.
  std::int64_t count = 0;
  double sum_cents = 0;
  std::deque<const Transaction*> recent;  // Within kTravelWindowMs of the latest.
};

Alert alert(Rule rule, const Transaction& t, std::string evidence) {
  Alert a;
  a.set_rule(rule);
  a.set_card_id(t.card_id());
  a.set_transaction_id(t.transaction_id());
  a.set_timestamp_ms(t.timestamp_ms());
  a.set_evidence(std::move(evidence));
  return a;
}

}  // namespace

std::vector<Alert> reference_alerts(const std::vector<Transaction>& transactions) {
  std::vector<Alert> alerts;
  std::unordered_map<std::string, CardState> cards;
  for (const Transaction& t : transactions) {
    CardState& card = cards[t.card_id()];
    const std::int64_t ts = t.timestamp_ms();

    // Every hopping window [start, start + size) that holds ts.
    const std::int64_t last_start = ts - ts % kVelocityAdvanceMs;
    for (std::int64_t start = last_start; start > ts - kVelocityWindowMs;
         start -= kVelocityAdvanceMs) {
      if (++card.window_counts[start] == kVelocityLimit + 1) {
        alerts.push_back(alert(VELOCITY, t,
                               std::to_string(kVelocityLimit + 1) + " transactions in window " +
                                   std::to_string(start)));
      }
    }
    // Windows that ended long ago cannot count again: forget them.
    while (!card.window_counts.empty() &&
           card.window_counts.begin()->first + kVelocityWindowMs <= ts - kVelocityWindowMs) {
      card.window_counts.erase(card.window_counts.begin());
    }

    if (card.count >= kSpikeMinHistory &&
        static_cast<double>(t.amount_cents()) >
            kSpikeFactor * card.sum_cents / static_cast<double>(card.count)) {
      alerts.push_back(
          alert(AMOUNT_SPIKE, t,
                "amount above " + std::to_string(kSpikeFactor) + "x the card's average"));
    }
    card.count += 1;
    card.sum_cents += static_cast<double>(t.amount_cents());

    while (!card.recent.empty() && ts - card.recent.front()->timestamp_ms() > kTravelWindowMs) {
      card.recent.pop_front();
    }
    for (const Transaction* earlier : card.recent) {
      const double km =
          distance_km(earlier->latitude(), earlier->longitude(), t.latitude(), t.longitude());
      if (impossible_travel(km, ts - earlier->timestamp_ms())) {
        alerts.push_back(
            alert(IMPOSSIBLE_TRAVEL, t,
                  std::to_string(static_cast<int>(km)) + " km from " + earlier->transaction_id()));
      }
    }
    card.recent.push_back(&t);
  }
  return alerts;
}

}  // namespace runnel::examples::fraud

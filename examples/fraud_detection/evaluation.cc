#include "examples/fraud_detection/evaluation.h"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>

#include "examples/fraud_detection/fraud_rules.h"

namespace runnel::examples::fraud {
namespace {

std::int64_t slack(Rule rule) {
  switch (rule) {
    case VELOCITY:
      return kVelocityWindowMs;
    case IMPOSSIBLE_TRAVEL:
      return kTravelWindowMs;
    default:
      return 0;
  }
}

}  // namespace

std::map<Rule, RuleScore> evaluate(const std::vector<Incident>& incidents,
                                   const std::vector<Alert>& alerts) {
  std::map<Rule, RuleScore> scores;
  for (Rule rule : {VELOCITY, AMOUNT_SPIKE, IMPOSSIBLE_TRAVEL}) scores[rule];
  std::multimap<std::string, const Incident*> by_card;
  for (const Incident& incident : incidents) {
    ++scores[incident.rule].incidents;
    by_card.emplace(incident.card_id, &incident);
  }
  std::set<const Incident*> detected;
  for (const Alert& alert : alerts) {
    RuleScore& score = scores[alert.rule()];
    ++score.alerts;
    auto [begin, end] = by_card.equal_range(alert.card_id());
    for (auto it = begin; it != end; ++it) {
      const Incident& incident = *it->second;
      if (incident.rule == alert.rule() && alert.timestamp_ms() >= incident.start_ms &&
          alert.timestamp_ms() <= incident.end_ms + slack(incident.rule)) {
        ++score.matched;
        if (detected.insert(&incident).second) ++score.detected;
        break;
      }
    }
  }
  return scores;
}

bool same_alerts(const std::vector<Alert>& a, const std::vector<Alert>& b) {
  using Key = std::tuple<int, std::string, std::int64_t>;
  auto keys = [](const std::vector<Alert>& alerts) {
    std::vector<Key> out;
    for (const Alert& alert : alerts) {
      out.emplace_back(alert.rule(), alert.card_id(), alert.timestamp_ms());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  return keys(a) == keys(b);
}

}  // namespace runnel::examples::fraud

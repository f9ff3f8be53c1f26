#include "examples/fraud_detection/fraud_scenario.h"

#include <set>

#include <gtest/gtest.h>

#include "examples/fraud_detection/evaluation.h"
#include "examples/fraud_detection/fraud_rules.h"
#include "examples/fraud_detection/reference_detector.h"

namespace runnel::examples::fraud {
namespace {

FraudScenario::Options small() {
  FraudScenario::Options options;
  options.transactions = 50'000;
  options.cards = 500;
  options.mean_gap_ms = 200;
  options.incidents_per_10k = 4;
  return options;
}

TEST(FraudScenario, TheSameSeedGivesTheSameRunAndAnotherSeedAnother) {
  const FraudScenario a = FraudScenario::generate(small());
  const FraudScenario b = FraudScenario::generate(small());
  ASSERT_EQ(a.transactions.size(), b.transactions.size());
  for (size_t i = 0; i < a.transactions.size(); ++i) {
    ASSERT_EQ(a.transactions[i].SerializeAsString(), b.transactions[i].SerializeAsString()) << i;
  }
  auto other = small();
  other.seed = 7;
  const FraudScenario c = FraudScenario::generate(other);
  EXPECT_NE(a.transactions[100].SerializeAsString(), c.transactions[100].SerializeAsString());
}

TEST(FraudScenario, TransactionsAreInTimeOrderWithUniqueIdsAndKnownCards) {
  const FraudScenario s = FraudScenario::generate(small());
  std::set<std::string> ids;
  std::set<std::string> cards;
  for (const auto& holder : s.holders) cards.insert(holder.card_id());
  EXPECT_EQ(cards.size(), 500u);
  for (size_t i = 0; i < s.transactions.size(); ++i) {
    const Transaction& t = s.transactions[i];
    EXPECT_TRUE(ids.insert(t.transaction_id()).second) << t.transaction_id();
    EXPECT_TRUE(cards.count(t.card_id())) << t.card_id();
    EXPECT_EQ(t.sequence(), static_cast<int64_t>(i));
    if (i > 0) {
      ASSERT_LE(s.transactions[i - 1].timestamp_ms(), t.timestamp_ms()) << i;
    }
  }
  // 50,000 normal transactions at 4 incidents per 10,000 for each of the three rules.
  EXPECT_EQ(s.incidents.size(), 60u);
  EXPECT_EQ(s.transactions.size(), 50'000u + 20 * (12 + 1 + 2));
}

TEST(FraudScenario, EveryIncidentCrossesItsRuleByAWideMargin) {
  const FraudScenario s = FraudScenario::generate(small());
  std::map<std::string, const Transaction*> by_id;
  for (const auto& t : s.transactions) by_id[t.transaction_id()] = &t;
  for (const Incident& incident : s.incidents) {
    ASSERT_FALSE(incident.transaction_ids.empty());
    for (const auto& id : incident.transaction_ids) {
      ASSERT_TRUE(by_id.count(id));
      EXPECT_EQ(by_id[id]->card_id(), incident.card_id);
    }
    if (incident.rule == VELOCITY) {
      EXPECT_GT(static_cast<int64_t>(incident.transaction_ids.size()), kVelocityLimit + 2);
      EXPECT_LE(incident.end_ms - incident.start_ms, kVelocityWindowMs / 2);
    } else if (incident.rule == IMPOSSIBLE_TRAVEL) {
      ASSERT_EQ(incident.transaction_ids.size(), 2u);
      const Transaction& a = *by_id[incident.transaction_ids[0]];
      const Transaction& b = *by_id[incident.transaction_ids[1]];
      EXPECT_GT(distance_km(a.latitude(), a.longitude(), b.latitude(), b.longitude()),
                kTravelMinKm * 1.5);
      EXPECT_LE(b.timestamp_ms() - a.timestamp_ms(), 5 * 60'000);
    }
  }
}

// The reference model finds every injected incident, and normal traffic trips no rule: the
// scenario is a fair exam for the streaming detector, whose alerts must equal these.
TEST(FraudScenario, TheReferenceDetectorFindsEveryIncidentAndNothingElse) {
  auto seven = small();
  seven.seed = 7;
  // The demo's own defaults too: 200,000 transactions on 2,000 cards.
  for (const auto& options : {small(), seven, FraudScenario::Options{}}) {
    const uint64_t seed = options.seed;
    const FraudScenario s = FraudScenario::generate(options);
    const auto scores = evaluate(s.incidents, reference_alerts(s.transactions));
    for (Rule rule : {VELOCITY, AMOUNT_SPIKE, IMPOSSIBLE_TRAVEL}) {
      const RuleScore& score = scores.at(rule);
      EXPECT_EQ(score.incidents,
                options.transactions / 10'000 * static_cast<int64_t>(options.incidents_per_10k))
          << Rule_Name(rule);
      EXPECT_EQ(score.detected, score.incidents) << Rule_Name(rule) << " seed " << seed;
      EXPECT_EQ(score.matched, score.alerts) << Rule_Name(rule) << " seed " << seed;
    }
  }
}

TEST(FraudRules, DistancesAndSpeedsAreWhatAMapSays) {
  // Berlin to Paris: about 878 km.
  EXPECT_NEAR(distance_km(52.52, 13.40, 48.86, 2.35), 878, 5);
  EXPECT_NEAR(distance_km(10, 10, 10, 10), 0, 1e-9);
  EXPECT_TRUE(impossible_travel(878, 30 * 60'000 / 3));  // 878 km in 10 minutes.
  EXPECT_FALSE(impossible_travel(878, 11 * 60'000));     // Outside the window.
  EXPECT_FALSE(impossible_travel(400, 60'000));          // Too close to call.
  EXPECT_TRUE(impossible_travel(878, 0));
}

TEST(Evaluation, ScoresAlertsAgainstIncidentsPerRule) {
  Incident burst{VELOCITY, "card-1", 1'000, 20'000, {"tx-1"}};
  Incident spike{AMOUNT_SPIKE, "card-2", 5'000, 5'000, {"tx-2"}};
  auto make = [](Rule rule, const char* card, int64_t ts) {
    Alert a;
    a.set_rule(rule);
    a.set_card_id(card);
    a.set_timestamp_ms(ts);
    return a;
  };
  const auto scores = evaluate(
      {burst, spike}, {make(VELOCITY, "card-1", 20'000), make(VELOCITY, "card-1", 30'000),
                       make(VELOCITY, "card-9", 20'000), make(AMOUNT_SPIKE, "card-2", 6'000)});
  EXPECT_EQ(scores.at(VELOCITY).incidents, 1);
  EXPECT_EQ(scores.at(VELOCITY).detected, 1);
  EXPECT_EQ(scores.at(VELOCITY).alerts, 3);
  EXPECT_EQ(scores.at(VELOCITY).matched, 2);  // card-9 has no incident.
  EXPECT_DOUBLE_EQ(scores.at(VELOCITY).recall(), 1.0);
  EXPECT_DOUBLE_EQ(scores.at(VELOCITY).precision(), 2.0 / 3.0);
  EXPECT_EQ(scores.at(AMOUNT_SPIKE).detected, 0);  // An alert after the incident's time.
  EXPECT_EQ(scores.at(IMPOSSIBLE_TRAVEL).incidents, 0);
}

}  // namespace
}  // namespace runnel::examples::fraud

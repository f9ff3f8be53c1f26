// The fraud detector's topology, driven by the TopologyTestDriver with a seeded scenario:
// its alerts must be exactly the reference model's, and so find every injected incident.
#include "examples/fraud_detection/fraud_detector.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/protobuf_serde.h"
#include "examples/fraud_detection/evaluation.h"
#include "examples/fraud_detection/fraud_scenario.h"
#include "examples/fraud_detection/reference_detector.h"
#include "runtime/topology_test_driver.h"

namespace runnel::examples::fraud {
namespace {

void expect_reference_alerts(Topology topology) {
  FraudScenario::Options options;
  options.transactions = 20'000;
  options.cards = 200;
  options.mean_gap_ms = 500;
  options.incidents_per_10k = 5;
  const FraudScenario scenario = FraudScenario::generate(options);

  auto driver = TopologyTestDriver::create(std::move(topology));
  ASSERT_TRUE(driver.ok()) << driver.status().to_string();
  auto holders = (*driver)->create_input_topic<std::string, CardHolder>("card-holders");
  auto transactions = (*driver)->create_input_topic<std::string, Transaction>("transactions");
  auto alerts_topic = (*driver)->create_output_topic<std::string, Alert>("alerts");
  for (const CardHolder& holder : scenario.holders) {
    const Status piped = holders.pipe_input(holder.card_id(), holder, options.start_time_ms);
    ASSERT_TRUE(piped.ok()) << piped.to_string();
  }
  for (const Transaction& t : scenario.transactions) {
    const Status piped = transactions.pipe_input(t.card_id(), t, t.timestamp_ms());
    ASSERT_TRUE(piped.ok()) << piped.to_string();
  }
  auto records = alerts_topic.read_records_to_list();
  ASSERT_TRUE(records.ok()) << records.status().to_string();
  std::vector<Alert> alerts;
  for (const auto& record : *records) {
    ASSERT_TRUE(record.key.has_value());
    ASSERT_TRUE(record.value.has_value());
    EXPECT_EQ(*record.key, record.value->card_id());
    // Enriched from the table: every card of the scenario has a holder.
    EXPECT_FALSE(record.value->holder_name().empty()) << record.value->card_id();
    EXPECT_FALSE(record.value->holder_city().empty());
    alerts.push_back(*record.value);
  }

  const std::vector<Alert> expected = reference_alerts(scenario.transactions);
  EXPECT_TRUE(same_alerts(alerts, expected))
      << alerts.size() << " alerts, the model raised " << expected.size();
  const auto scores = evaluate(scenario.incidents, alerts);
  for (Rule rule : {VELOCITY, AMOUNT_SPIKE, IMPOSSIBLE_TRAVEL}) {
    EXPECT_EQ(scores.at(rule).incidents, 10) << Rule_Name(rule);
    EXPECT_EQ(scores.at(rule).detected, scores.at(rule).incidents) << Rule_Name(rule);
    EXPECT_EQ(scores.at(rule).matched, scores.at(rule).alerts) << Rule_Name(rule);
  }
}

TEST(FraudDetector, RaisesExactlyTheReferenceModelsAlertsEnrichedFromTheHolderTable) {
  expect_reference_alerts(build_fraud_detector());
}

// As the demo runs it: the travel rule's self-join over one window store (KIP-862).
TEST(FraudDetector, RaisesTheSameAlertsWithTheSingleStoreSelfJoin) {
  const StreamsProperties optimize{{"topology.optimization", "all"}};
  const Topology optimized = build_fraud_detector({}, optimize);
  EXPECT_EQ(optimized.stores().size() + 1, build_fraud_detector().stores().size());
  expect_reference_alerts(optimized);
}

TEST(FraudDetector, DescribesItsSubTopologiesStoresAndInternalTopics) {
  const std::string description = build_fraud_detector().describe().to_string();
  for (const char* store : {"velocity-windows", "card-stats", "card-holders"}) {
    EXPECT_NE(description.find(store), std::string::npos) << store << "\n" << description;
  }
  EXPECT_NE(description.find("Source: "), std::string::npos);
  EXPECT_NE(description.find("topics: [transactions]"), std::string::npos) << description;
  EXPECT_NE(description.find("Sink: "), std::string::npos);
  EXPECT_NE(description.find("(topic: alerts)"), std::string::npos) << description;
}

}  // namespace
}  // namespace runnel::examples::fraud

// A topology over types that opted into JSON (RUNNEL_JSON_DEFAULT_SERDE) needs no serde
// anywhere: source, aggregation store, sink and the test driver's topics all find JsonSerde.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json_serde.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/topology_test_driver.h"

namespace ledger {

struct Payment {
  std::string card;
  std::int64_t cents = 0;
  std::optional<std::string> note;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Payment, card, cents, note)
RUNNEL_JSON_DEFAULT_SERDE(Payment);

struct Totals {
  std::int64_t cents = 0;
  std::vector<std::string> notes;
  bool operator==(const Totals&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Totals, cents, notes)
RUNNEL_JSON_DEFAULT_SERDE(Totals);

}  // namespace ledger

namespace runnel {
namespace {

using ledger::Payment;
using ledger::Totals;
using S = std::string;

// payments (by account) → positive ones → per-account totals → "totals".
Topology totals_topology() {
  StreamsBuilder builder;
  builder.stream<S, Payment>("payments")
      .filter([](const S&, const Payment& p) { return p.cents > 0; })
      .group_by_key()
      .aggregate([] { return Totals{}; },
                 [](const S&, const Payment& p, const Totals& t) {
                   Totals next = t;
                   next.cents += p.cents;
                   if (p.note) next.notes.push_back(*p.note);
                   return next;
                 })
      .to_stream()
      .to("totals");
  return builder.build();
}

class RecordingHandler final : public DeserializationExceptionHandler {
 public:
  DeserializationHandlerResponse handle(const DeserializationErrorContext& context) override {
    seen.push_back(context);
    return DeserializationHandlerResponse::kContinue;
  }
  std::vector<DeserializationErrorContext> seen;
};

TEST(JsonTopologyTest, ATopologyOverJsonOptedInTypesRunsWithNoSerdeGiven) {
  Topology topology = totals_topology();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  auto driver = TopologyTestDriver::create(std::move(topology));
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto in = (*driver)->create_input_topic<S, Payment>("payments");
  auto out = (*driver)->create_output_topic<S, Totals>("totals");

  ASSERT_TRUE(in.pipe_input("acct-1", Payment{"c1", 250, "Café ☕"}, 1).ok());
  ASSERT_TRUE(in.pipe_input("acct-2", Payment{"c2", -5, std::nullopt}, 2).ok());
  ASSERT_TRUE(in.pipe_input("acct-1", Payment{"c1", 100, std::nullopt}, 3).ok());

  std::vector<KeyValue<S, Totals>> seen;
  for (auto& kv : *out.read_key_values_to_list()) seen.push_back(std::move(kv));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].key, "acct-1");
  EXPECT_EQ(seen[1].value, (Totals{350, {"Café ☕"}}));
}

TEST(JsonTopologyTest, TheSinkWritesPlainJsonText) {
  auto driver = TopologyTestDriver::create(totals_topology());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto in = (*driver)->create_input_topic<S, Payment>("payments");
  ASSERT_TRUE(in.pipe_input("acct-1", Payment{"c1", 7, "ü"}, 1).ok());
  auto& queue = (*driver)->output_queue("totals");
  ASSERT_EQ(queue.size(), 1u);
  ASSERT_TRUE(queue.front().value.has_value());
  EXPECT_EQ(queue.front().value->to_string(), R"({"cents":7,"notes":["ü"]})");
}

TEST(JsonTopologyTest, MalformedJsonReachesTheDeserializationHandlerWithItsOrigin) {
  auto handler = std::make_shared<RecordingHandler>();
  TopologyTestDriver::Config config;
  config.deserialization_handler = handler;
  auto driver = TopologyTestDriver::create(totals_topology(), config);
  ASSERT_TRUE(driver.ok()) << driver.status();

  ASSERT_TRUE((*driver)
                  ->pipe_raw("payments", Bytes::from_string("acct-1"),
                             Bytes::from_string(R"({"card": "c1", "cents": )"), 1)
                  .ok());
  ASSERT_TRUE((*driver)
                  ->pipe_raw("payments", Bytes::from_string("acct-1"),
                             Bytes::from_string(R"({"card": "c1", "cents": "many"})"), 2)
                  .ok());
  // A well-formed record after them is processed: the bad ones were skipped, not fatal.
  ASSERT_TRUE((*driver)
                  ->pipe_raw("payments", Bytes::from_string("acct-1"),
                             Bytes::from_string(R"({"card": "c1", "cents": 5, "note": null})"), 3)
                  .ok());

  ASSERT_EQ(handler->seen.size(), 2u);
  for (std::size_t i = 0; i < handler->seen.size(); ++i) {
    const DeserializationErrorContext& context = handler->seen[i];
    EXPECT_EQ(context.topic, "payments");
    EXPECT_EQ(context.partition, 0);
    EXPECT_EQ(context.offset, static_cast<std::int64_t>(i));
    EXPECT_EQ(context.error.code(), StatusCode::kCorruption);
    EXPECT_NE(context.error.message().find("json(ledger::Payment)"), std::string::npos)
        << context.error;
  }
  EXPECT_NE(handler->seen[0].error.message().find("not JSON"), std::string::npos);
  EXPECT_NE(handler->seen[1].error.message().find("does not fit"), std::string::npos);
  EXPECT_EQ((*driver)->output_queue("totals").size(), 1u);
}

TEST(JsonTopologyTest, ANullValueStaysANullRecord) {
  StreamsBuilder builder;
  builder.stream<S, Payment>("payments").to("copy");
  auto driver = TopologyTestDriver::create(builder.build());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto in = (*driver)->create_input_topic<S, Payment>("payments");
  ASSERT_TRUE(in.pipe_input("acct-1", std::nullopt, 1).ok());
  auto& queue = (*driver)->output_queue("copy");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_FALSE(queue.front().value.has_value());  // null, not the text "null"
}

}  // namespace
}  // namespace runnel

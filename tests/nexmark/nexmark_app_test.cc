// A stateful NEXMark query end to end: q7 (highest bid per 10 s window, every bid through
// one repartitioned group and a change-logged RocksDB window store) as a KafkaStreams
// application on an in-process runneld, over events spread across two input partitions as
// the benchmark writes them. Its final value per window must be the reference's.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/nexmark/nexmark_generator.h"
#include "bench/nexmark/nexmark_queries.h"
#include "bench/nexmark/nexmark_reference.h"
#include "core/serdes.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel::nexmark {
namespace {

using namespace std::chrono_literals;
using runnel::testing::Message;
using runnel::testing::wait_for;

class NexmarkAppTest : public runnel::testing::BrokerFixture {};

TEST_F(NexmarkAppTest, Q7OnRunneldGivesTheReferencesHighestBidPerWindow) {
  GeneratorConfig config;
  config.events_per_second = 100;  // 3000 events: 30 s of event time, 3 windows.
  const Generator generator(config);
  std::vector<Event> events;
  std::vector<Message> messages;
  EventSerde serde;
  for (std::int64_t n = 0; n < 3000; ++n) {
    events.push_back(generator.event(n));
    auto bytes = serde.serialize(events.back());
    ASSERT_TRUE(bytes.ok());
    messages.push_back({std::nullopt,
                        std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                        static_cast<std::int32_t>(n % 2), 0, generator.timestamp(n)});
  }
  create_topic(kEventsTopic, 2);
  create_topic(output_topic(Query::kQ7), 2);
  produce(kEventsTopic, messages);
  const std::map<std::int64_t, Bid> want = reference::q7(events);
  ASSERT_EQ(want.size(), 3u);

  QueryOptions options;
  options.max_auction_duration_ms = generator.max_auction_duration_ms();
  KafkaStreams app(build_query(Query::kQ7, options), {{"application.id", "nexmark-q7-test"},
                                                      {"bootstrap.servers", bootstrap_},
                                                      {"state.dir", (dir_ / "state").string()},
                                                      {"commit.interval.ms", "100"}});
  ASSERT_TRUE(app.start().ok());
  // The final value per window, as a consumer of the output sees it (last record wins).
  std::map<std::int64_t, Bid> got;
  const auto read_output = [&] {
    got.clear();
    Int64Serde keys;
    BidSerde values;
    for (const Message& m : read_to_end(output_topic(Query::kQ7))) {
      auto key = keys.deserialize(BytesView(std::string_view(*m.key)));
      auto value = values.deserialize(BytesView(std::string_view(*m.value)));
      if (!key.ok() || !value.ok()) return false;
      got[*key] = *value;
    }
    return got == want;
  };
  EXPECT_TRUE(wait_for(read_output, 60s));
  app.close();
  EXPECT_EQ(app.metrics().dropped_late, 0u);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace runnel::nexmark

// A foreign-key table join as a KafkaStreams application against an in-process runneld, with
// tables of different partition counts: subscriptions cross to the foreign table's partitions
// and answers come back to the left table's, through real internal topics.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace {

using namespace std::chrono_literals;
using S = std::string;
using testing::Message;
using testing::wait_for;

class ForeignKeyJoinAppTest : public testing::BrokerFixture {
 protected:
  // Per key, the last value of `topic` (a tombstone removes the key).
  std::map<S, S> last_values(const S& topic) {
    std::map<S, S> out;
    for (const Message& m : read_to_end(topic)) {
      if (m.value) {
        out[*m.key] = *m.value;
      } else {
        out.erase(*m.key);
      }
    }
    return out;
  }
};

TEST_F(ForeignKeyJoinAppTest, JoinsTablesWithDifferentPartitionCounts) {
  create_topic("orders", 3);
  create_topic("customers", 2);
  create_topic("order-customers", 1);
  StreamsBuilder builder;
  KTable<S, S> orders = builder.table<S, S>("orders");
  KTable<S, S> customers = builder.table<S, S>("customers");
  orders
      .left_join(
          customers,
          [](const S& order) -> std::optional<S> {
            const S customer = order.substr(0, order.find('|'));
            if (customer.empty()) return std::nullopt;
            return customer;
          },
          [](const S& order, const std::optional<S>& customer) {
            return order + "/" + (customer ? *customer : "null");
          })
      .to_stream()
      .to("order-customers");
  // Orders and customers keyed by id, partitioned by the producer (murmur2).
  produce("customers", {{"c1", "Ann", -1, 0, 1},
                        {"c2", "Bob", -1, 0, 2},
                        {"c3", "Cid", -1, 0, 3},
                        {"c4", "Dee", -1, 0, 4}});
  produce("orders", {{"o1", "c1|apple", -1, 0, 5},
                     {"o2", "c2|pear", -1, 0, 6},
                     {"o3", "c3|fig", -1, 0, 7},
                     {"o4", "c4|kiwi", -1, 0, 8},
                     {"o5", "|lime", -1, 0, 9},
                     {"o6", "c9|plum", -1, 0, 10}});
  const Topology topology = builder.build();
  auto config = [&](const S& state_dir) -> StreamsProperties {
    return {{"application.id", "fk"},
            {"bootstrap.servers", bootstrap_},
            {"state.dir", (dir_ / state_dir).string()},
            {"commit.interval.ms", "100"},
            {"consumer.heartbeat.interval.ms", "200"}};
  };
  auto app = std::make_unique<KafkaStreams>(topology, config("state"));
  Status started = app->start();
  ASSERT_TRUE(started.ok()) << started;
  const std::map<S, S> first = {{"o1", "c1|apple/Ann"}, {"o2", "c2|pear/Bob"},
                                {"o3", "c3|fig/Cid"},   {"o4", "c4|kiwi/Dee"},
                                {"o5", "|lime/null"},   {"o6", "c9|plum/null"}};
  EXPECT_TRUE(wait_for([&] { return last_values("order-customers") == first; }, 30s))
      << ::testing::PrintToString(last_values("order-customers"));

  // Foreign-key changes, deletes on both sides, and a foreign update after the change.
  produce("orders", {{"o1", "c2|apple", -1, 0, 11},       // c1 -> c2.
                     {"o2", std::nullopt, -1, 0, 12},     // Left tombstone.
                     {"o5", "c3|lime", -1, 0, 13}});      // None -> c3.
  produce("customers", {{"c1", "Anne", -1, 0, 14},        // No longer reaches o1.
                        {"c2", "Bobby", -1, 0, 15},       // Reaches o1.
                        {"c4", std::nullopt, -1, 0, 16},  // Foreign tombstone.
                        {"c9", "Nia", -1, 0, 17}});       // Appears.
  const std::map<S, S> second = {{"o1", "c2|apple/Bobby"},
                                 {"o3", "c3|fig/Cid"},
                                 {"o4", "c4|kiwi/null"},
                                 {"o5", "c3|lime/Cid"},
                                 {"o6", "c9|plum/Nia"}};
  EXPECT_TRUE(wait_for([&] { return last_values("order-customers") == second; }, 30s))
      << ::testing::PrintToString(last_values("order-customers"));
  app->close();

  // While it is down: a foreign update that must reach two subscribers, and a foreign-key
  // change. A new instance with an empty state directory restores the tables, the
  // subscriptions and the results from their changelogs and carries on.
  produce("customers", {{"c3", "Cyd", -1, 0, 18}, {"c9", "Nina", -1, 0, 20}});
  produce("orders", {{"o6", "c1|plum", -1, 0, 19}});
  app = std::make_unique<KafkaStreams>(topology, config("state-2"));
  started = app->start();
  ASSERT_TRUE(started.ok()) << started;
  const std::map<S, S> third = {{"o1", "c2|apple/Bobby"},
                                {"o3", "c3|fig/Cyd"},
                                {"o4", "c4|kiwi/null"},
                                {"o5", "c3|lime/Cyd"},
                                {"o6", "c1|plum/Anne"}};
  EXPECT_TRUE(wait_for([&] { return last_values("order-customers") == third; }, 30s))
      << ::testing::PrintToString(last_values("order-customers"));
  app->close();

  // The subscription topic has the foreign table's partitions, the response topic the left
  // table's.
  EXPECT_EQ(partitions_of("fk-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic"), 2);
  EXPECT_EQ(partitions_of("fk-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic"), 3);
}

}  // namespace
}  // namespace runnel

// GlobalKTable and KStream-GlobalKTable joins through the TopologyTestDriver: lookups by a
// key selector, left joins, null and missing lookup keys, global updates that never emit,
// the store read back by name, and the description's global-store sub-topology.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace global_table_test {

using S = std::string;
using KVs = std::vector<KeyValue<S, S>>;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(builder.build(), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

KVs read_all(TestOutputTopic<S, S>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : KVs{};
}

S opt(const std::optional<S>& v) { return v ? *v : "null"; }

// Orders "order-id" -> "customer-id:item"; customers "customer-id" -> "name".
S customer_of(const S& order) { return order.substr(0, order.find(':')); }

TEST(GlobalTableJoinTest, JoinsEachRecordWithTheGlobalValueOfItsSelectedKey) {
  StreamsBuilder builder;
  GlobalKTable<S, S> customers = builder.global_table<S, S>("customers");
  KStream<S, S> orders = builder.stream<S, S>("orders");
  orders
      .join(
          customers, [](const S&, const S& order) { return customer_of(order); },
          [](const S& order, const S& name) { return order + "@" + name; })
      .to("inner");
  // This selector takes the key as an optional, so records without a key are looked up too.
  orders
      .left_join(
          customers, [](const std::optional<S>&, const S& order) { return customer_of(order); },
          [](const S& order, const std::optional<S>& name) { return order + "@" + opt(name); })
      .to("left");
  auto driver = driver_for(builder);
  auto c = driver->create_input_topic<S, S>("customers");
  auto o = driver->create_input_topic<S, S>("orders");
  auto inner = driver->create_output_topic<S, S>("inner");
  auto left = driver->create_output_topic<S, S>("left");
  ASSERT_TRUE(o.pipe_input("o1", "c1:book", 1).ok());  // No customer yet.
  ASSERT_TRUE(c.pipe_input("c1", "ann", 2).ok());      // Global updates produce nothing.
  ASSERT_TRUE(o.pipe_input("o2", "c1:pen", 3).ok());
  ASSERT_TRUE(c.pipe_input("c1", "anne", 4).ok());
  ASSERT_TRUE(o.pipe_input("o3", "c1:ink", 5).ok());
  ASSERT_TRUE(o.pipe_input("o4", "c2:cup", 6).ok());      // Missing lookup key.
  ASSERT_TRUE(c.pipe_input("c1", std::nullopt, 7).ok());  // Tombstone deletes.
  ASSERT_TRUE(o.pipe_input("o5", "c1:mug", 8).ok());
  // The stream key is not needed by a selector that takes it as an optional; the inner join's
  // selector takes a plain key, so there the record has no lookup key and is dropped.
  ASSERT_TRUE(o.pipe_input(std::nullopt, "c1:nib", 9).ok());
  ASSERT_TRUE(c.pipe_input("c1", "bob", 10).ok());
  ASSERT_TRUE(o.pipe_input(std::nullopt, "c1:nib", 11).ok());
  EXPECT_EQ(read_all(inner), (KVs{{"o2", "c1:pen@ann"}, {"o3", "c1:ink@anne"}}));
  // The keyless record's output keeps its null key.
  auto lefts = left.read_records_to_list();
  ASSERT_TRUE(lefts.ok()) << lefts.status();
  std::vector<S> values;
  for (const auto& r : *lefts) values.push_back(opt(r.key) + "=" + opt(r.value));
  EXPECT_EQ(values,
            (std::vector<S>{"o1=c1:book@null", "o2=c1:pen@ann", "o3=c1:ink@anne", "o4=c2:cup@null",
                            "o5=c1:mug@null", "null=c1:nib@null", "null=c1:nib@bob"}));
}

TEST(GlobalTableJoinTest, GlobalTableUpdatesNeverEmit) {
  StreamsBuilder builder;
  GlobalKTable<S, S> g = builder.global_table<S, S>("g");
  builder.stream<S, S>("s")
      .left_join(
          g, [](const S& k, const S&) { return k; },
          [](const S& v, const std::optional<S>& gv) { return v + "+" + opt(gv); })
      .to("out");
  auto driver = driver_for(builder);
  auto gin = driver->create_input_topic<S, S>("g");
  auto out = driver->create_output_topic<S, S>("out");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(gin.pipe_input("k", "v" + std::to_string(i), i).ok());
  ASSERT_TRUE(gin.pipe_input("k", std::nullopt, 9).ok());
  EXPECT_TRUE(read_all(out).empty());
}

TEST(GlobalTableJoinTest, NullLookupKeyIsDroppedByJoinAndJoinedWithNullByLeftJoin) {
  StreamsBuilder builder;
  GlobalKTable<S, S> g = builder.global_table<S, S>("g");
  KStream<S, S> s = builder.stream<S, S>("s");
  // The selector may return std::nullopt: no lookup key.
  auto selector = [](const S&, const S& v) -> std::optional<S> {
    if (v.empty()) return std::nullopt;
    return v;
  };
  s.join(g, selector, [](const S& v, const S& gv) { return v + "+" + gv; }).to("inner");
  s.left_join(g, selector, [](const S& v, const std::optional<S>& gv) {
     return v + "+" + opt(gv);
   }).to("left");
  auto driver = driver_for(builder);
  auto gin = driver->create_input_topic<S, S>("g");
  auto sin = driver->create_input_topic<S, S>("s");
  auto inner = driver->create_output_topic<S, S>("inner");
  auto left = driver->create_output_topic<S, S>("left");
  ASSERT_TRUE(gin.pipe_input("x", "X", 1).ok());
  ASSERT_TRUE(sin.pipe_input("k1", "", 2).ok());  // Null lookup key.
  ASSERT_TRUE(sin.pipe_input("k2", "x", 3).ok());
  ASSERT_TRUE(sin.pipe_input("k3", std::nullopt, 4).ok());  // Null value: dropped by both.
  EXPECT_EQ(read_all(inner), (KVs{{"k2", "x+X"}}));
  EXPECT_EQ(read_all(left), (KVs{{"k1", "+null"}, {"k2", "x+X"}}));
  // The inner join's null lookup key and both joins' null value are counted as dropped.
  EXPECT_EQ(driver->metrics().dropped, 3u);
}

TEST(GlobalTableJoinTest, TheGlobalStoreIsReadableByNameAndHoldsEveryPartition) {
  StreamsBuilder builder;
  Materialized<S, S> m = Materialized<S, S>::as("customers-store");
  GlobalKTable<S, S> g = builder.global_table<S, S>("customers", {}, m);
  EXPECT_EQ(g.queryable_store_name(), "customers-store");
  builder.stream<S, S>("s")
      .join(
          g, [](const S&, const S& v) { return v; }, [](const S& v, const S& gv) { return v + gv; })
      .to("out");
  auto driver = driver_for(builder);
  auto gin = driver->create_input_topic<S, S>("customers");
  ASSERT_TRUE(gin.pipe_input("a", "1", 1).ok());
  ASSERT_TRUE(gin.pipe_input("b", "2", 1).ok());
  ASSERT_TRUE(gin.pipe_input("a", "3", 2).ok());
  auto store = driver->get_key_value_store<S, S>("customers-store");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->get("a").value(), std::optional<S>("3"));
  EXPECT_EQ(store->get("b").value(), std::optional<S>("2"));
  // One instance for every partition: asking for another partition finds the same store.
  auto same = driver->get_key_value_store<S, S>("customers-store", 3);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->get("b").value(), std::optional<S>("2"));
}

TEST(GlobalTableJoinTest, TheGlobalStoreHasNoChangelogAndNeedsNoCopartitioning) {
  StreamsBuilder builder;
  GlobalKTable<S, S> g = builder.global_table<S, S>("g");
  builder.stream<S, S>("s")
      .join(
          g, [](const S& k, const S&) { return k; }, [](const S& v, const S& gv) { return v + gv; })
      .to("out");
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_TRUE(topology.internal_topics().empty());
  EXPECT_TRUE(topology.copartition_groups().empty());
  EXPECT_EQ(topology.global_store_names(), std::vector<S>{"g-STATE-STORE-0000000000"});
  ASSERT_EQ(topology.subtopologies().size(), 2u);
  EXPECT_TRUE(topology.subtopologies()[0].global);
  EXPECT_FALSE(topology.subtopologies()[1].global);
}

TEST(GlobalTableJoinTest, DescribesTheGlobalStoreInItsOwnSubTopologyAsKafkaDoes) {
  StreamsBuilder builder;
  GlobalKTable<S, S> g = builder.global_table<S, S>("global");
  builder.stream<S, S>("orders")
      .join(
          g, [](const S& k, const S&) { return k; }, [](const S& v, const S& gv) { return v + gv; })
      .to("out");
  // Kafka Streams 3.x prints this for the same application: the global store is numbered
  // among the sub-topologies, by its source's name, and printed without a blank line after.
  EXPECT_EQ(builder.build().describe().to_string(),
            "Topologies:\n"
            "   Sub-topology: 0 for global store (will not generate tasks)\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [global])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [global-STATE-STORE-0000000000])\n"
            "      --> none\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000003 (topics: [orders])\n"
            "      --> KSTREAM-JOIN-0000000004\n"
            "    Processor: KSTREAM-JOIN-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KSTREAM-SOURCE-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KSTREAM-JOIN-0000000004\n"
            "\n");
}

TEST(GlobalTableJoinTest, InMemoryGlobalStoreWorksLikeTheDefault) {
  StreamsBuilder builder;
  GlobalKTable<S, S> g =
      builder.global_table<S, S>("g", {}, Materialized<S, S>::as("mem").with_in_memory_store());
  builder.stream<S, S>("s")
      .join(
          g, [](const S& k, const S&) { return k; },
          [](const S& v, const S& gv) { return v + "+" + gv; })
      .to("out");
  auto driver = driver_for(builder);
  auto gin = driver->create_input_topic<S, S>("g");
  auto sin = driver->create_input_topic<S, S>("s");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(gin.pipe_input("k", "G", 1).ok());
  ASSERT_TRUE(sin.pipe_input("k", "s", 2).ok());
  EXPECT_EQ(read_all(out), (KVs{{"k", "s+G"}}));
  EXPECT_TRUE(builder.build().store("mem")->in_memory);
}

}  // namespace global_table_test
}  // namespace runnel

// Joins through the TopologyTestDriver: KStream-KTable, KTable-KTable and KStream-KStream
// (inner, left, outer) with Kafka Streams' semantics, co-partitioning checks, and the
// description of a topology with a repartition and a join.

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace join_test {

using S = std::string;
using I64 = std::int64_t;
using KVs = std::vector<KeyValue<S, S>>;
using namespace std::chrono_literals;

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

TEST(StreamTableJoinTest, JoinsWithTheTableValueAtTheTimeOfTheRecord) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("table");
  KStream<S, S> stream = builder.stream<S, S>("stream");
  stream.join(table, [](const S& v, const S& t) { return v + "+" + t; }).to("inner");
  stream.left_join(table, [](const S& v, const std::optional<S>& t) { return v + "+" + opt(t); })
      .to("left");
  auto driver = driver_for(builder);
  auto t = driver->create_input_topic<S, S>("table");
  auto s = driver->create_input_topic<S, S>("stream");
  auto inner = driver->create_output_topic<S, S>("inner");
  auto left = driver->create_output_topic<S, S>("left");
  ASSERT_TRUE(s.pipe_input("k", "s1", 1).ok());  // No table value yet.
  ASSERT_TRUE(t.pipe_input("k", "t1", 2).ok());  // Table updates produce nothing.
  ASSERT_TRUE(s.pipe_input("k", "s2", 3).ok());
  ASSERT_TRUE(t.pipe_input("k", "t2", 4).ok());
  ASSERT_TRUE(s.pipe_input("k", "s3", 5).ok());
  ASSERT_TRUE(t.pipe_input("k", std::nullopt, 6).ok());  // Tombstone.
  ASSERT_TRUE(s.pipe_input("k", "s4", 7).ok());
  ASSERT_TRUE(s.pipe_input(std::nullopt, "s5", 8).ok());  // Null key: dropped.
  EXPECT_EQ(read_all(inner), (KVs{{"k", "s2+t1"}, {"k", "s3+t2"}}));
  EXPECT_EQ(read_all(left),
            (KVs{{"k", "s1+null"}, {"k", "s2+t1"}, {"k", "s3+t2"}, {"k", "s4+null"}}));
}

TEST(StreamTableJoinTest, JoinsThroughAFilteredTable) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("table").filter([](const S& v) { return v != "no"; });
  builder.stream<S, S>("stream")
      .left_join(table, [](const S& v, const std::optional<S>& t) { return v + "+" + opt(t); })
      .to("out");
  auto driver = driver_for(builder);
  auto t = driver->create_input_topic<S, S>("table");
  auto s = driver->create_input_topic<S, S>("stream");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(t.pipe_input("a", "yes", 1).ok());
  ASSERT_TRUE(t.pipe_input("b", "no", 1).ok());
  ASSERT_TRUE(s.pipe_input("a", "x", 2).ok());
  ASSERT_TRUE(s.pipe_input("b", "y", 2).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a", "x+yes"}, {"b", "y+null"}}));
}

TEST(TableTableJoinTest, InnerLeftAndOuterJoinsFollowBothSidesUpdates) {
  StreamsBuilder builder;
  KTable<S, S> l = builder.table<S, S>("l");
  KTable<S, S> r = builder.table<S, S>("r");
  l.join(r, [](const S& a, const S& b) { return a + b; }).to_stream().to("inner");
  l.left_join(r, [](const S& a, const std::optional<S>& b) { return a + opt(b); })
      .to_stream()
      .to("left");
  l.outer_join(r,
               [](const std::optional<S>& a, const std::optional<S>& b) { return opt(a) + opt(b); })
      .to_stream()
      .to("outer");
  auto driver = driver_for(builder);
  auto li = driver->create_input_topic<S, S>("l");
  auto ri = driver->create_input_topic<S, S>("r");
  auto inner = driver->create_output_topic<S, S>("inner");
  auto left = driver->create_output_topic<S, S>("left");
  auto outer = driver->create_output_topic<S, S>("outer");
  ASSERT_TRUE(li.pipe_input("k", "a", 1).ok());
  ASSERT_TRUE(ri.pipe_input("k", "x", 2).ok());
  ASSERT_TRUE(li.pipe_input("k", "b", 3).ok());
  ASSERT_TRUE(ri.pipe_input("k", std::nullopt, 4).ok());
  ASSERT_TRUE(li.pipe_input("k", std::nullopt, 5).ok());
  ASSERT_TRUE(ri.pipe_input("j", "y", 6).ok());
  EXPECT_EQ(read_all(inner), (KVs{{"k", "ax"}, {"k", "bx"}, {"k", std::nullopt}}));
  EXPECT_EQ(read_all(left),
            (KVs{{"k", "anull"}, {"k", "ax"}, {"k", "bx"}, {"k", "bnull"}, {"k", std::nullopt}}));
  EXPECT_EQ(read_all(outer), (KVs{{"k", "anull"},
                                  {"k", "ax"},
                                  {"k", "bx"},
                                  {"k", "bnull"},
                                  {"k", std::nullopt},
                                  {"j", "nully"}}));
}

TEST(StreamStreamJoinTest, InnerJoinPairsRecordsWithinTheWindow) {
  StreamsBuilder builder;
  KStream<S, S> l = builder.stream<S, S>("l");
  KStream<S, S> r = builder.stream<S, S>("r");
  l.join(
       r, [](const S& a, const S& b) { return a + b; },
       JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("out");
  auto driver = driver_for(builder);
  auto li = driver->create_input_topic<S, S>("l");
  auto ri = driver->create_input_topic<S, S>("r");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(li.pipe_input("k", "a", 10).ok());
  ASSERT_TRUE(ri.pipe_input("k", "x", 20).ok());  // 20 - 10 <= 10: joins.
  ASSERT_TRUE(ri.pipe_input("k", "y", 21).ok());  // 21 - 10 > 10: no partner.
  ASSERT_TRUE(li.pipe_input("k", "b", 15).ok());  // Joins x and y (both within 10).
  ASSERT_TRUE(ri.pipe_input("j", "z", 15).ok());  // Another key.
  auto records = out.read_records_to_list();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].value, "ax");
  EXPECT_EQ((*records)[0].timestamp, 20);  // The larger of the two timestamps.
  EXPECT_EQ((*records)[1].value, "bx");
  EXPECT_EQ((*records)[2].value, "by");
  EXPECT_EQ((*records)[2].timestamp, 21);
}

TEST(StreamStreamJoinTest, LeftJoinEmitsUnmatchedRecordsOnlyOnceTheirWindowCloses) {
  StreamsBuilder builder;
  KStream<S, S> l = builder.stream<S, S>("l");
  KStream<S, S> r = builder.stream<S, S>("r");
  l.left_join(
       r, [](const S& a, const std::optional<S>& b) { return a + opt(b); },
       JoinWindows::of_time_difference_and_grace(10ms, 5ms))
      .to("out");
  auto driver = driver_for(builder);
  auto li = driver->create_input_topic<S, S>("l");
  auto ri = driver->create_input_topic<S, S>("r");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(li.pipe_input("k", "a", 0).ok());
  ASSERT_TRUE(li.pipe_input("k", "b", 1).ok());
  ASSERT_TRUE(ri.pipe_input("k", "x", 11).ok());  // Joins b (11 - 1 <= 10) but not a.
  EXPECT_EQ(read_all(out), (KVs{{"k", "bx"}}));
  ASSERT_TRUE(ri.pipe_input("j", "-", 15).ok());  // a waits until 0 + 10 + 5 < stream time.
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(ri.pipe_input("j", "-", 16).ok());
  EXPECT_EQ(read_all(out), (KVs{{"k", "anull"}}));  // b was matched: never with null.
  ASSERT_TRUE(li.pipe_input("k", "late", 0).ok());  // 0 + 10 + 5 < 16: late.
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(driver->metrics().dropped_late, 1u);
}

TEST(StreamStreamJoinTest, OuterJoinEmitsUnmatchedRecordsOfBothSides) {
  StreamsBuilder builder;
  KStream<S, S> l = builder.stream<S, S>("l");
  KStream<S, S> r = builder.stream<S, S>("r");
  l.outer_join(
       r,
       [](const std::optional<S>& a, const std::optional<S>& b) { return opt(a) + "|" + opt(b); },
       JoinWindows::of_time_difference_with_no_grace(5ms))
      .to("out");
  auto driver = driver_for(builder);
  auto li = driver->create_input_topic<S, S>("l");
  auto ri = driver->create_input_topic<S, S>("r");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(li.pipe_input("k", "a", 0).ok());
  ASSERT_TRUE(ri.pipe_input("k", "x", 3).ok());
  ASSERT_TRUE(ri.pipe_input("k", "y", 10).ok());
  ASSERT_TRUE(li.pipe_input("q", "b", 20).ok());
  ASSERT_TRUE(li.pipe_input("q", "-", 40).ok());
  EXPECT_EQ(read_all(out), (KVs{{"k", "a|x"}, {"k", "null|y"}, {"q", "b|null"}}));
}

// Random records on both sides, in time order, against a plain model: every (left, right)
// pair of one key with |tl - tr| <= 10 joins exactly once.
TEST(StreamStreamJoinTest, RandomisedInnerJoinMatchesAReferenceModel) {
  StreamsBuilder builder;
  builder.stream<S, I64>("l")
      .join(
          builder.stream<S, I64>("r"),
          [](I64 a, I64 b) { return std::to_string(a) + "," + std::to_string(b); },
          JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("out");
  auto driver = driver_for(builder);
  auto li = driver->create_input_topic<S, I64>("l");
  auto ri = driver->create_input_topic<S, I64>("r");
  auto out = driver->create_output_topic<S, S>("out");
  std::mt19937 rng(3);
  struct Rec {
    S key;
    I64 id;
    Timestamp t;
    bool left;
  };
  std::vector<Rec> recs;
  Timestamp t = 0;
  for (I64 id = 0; id < 600; ++id) {
    t += rng() % 4;
    recs.push_back({"k" + std::to_string(rng() % 4), id, t, rng() % 2 == 0});
  }
  std::multiset<std::pair<S, S>> expected;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (recs[i].left == recs[j].left || recs[i].key != recs[j].key) continue;
      if (recs[i].t - recs[j].t > 10) continue;
      const Rec& a = recs[i].left ? recs[i] : recs[j];
      const Rec& b = recs[i].left ? recs[j] : recs[i];
      expected.insert({a.key, std::to_string(a.id) + "," + std::to_string(b.id)});
    }
  }
  for (const Rec& rec : recs) {
    ASSERT_TRUE((rec.left ? li : ri).pipe_input(rec.key, rec.id, rec.t).ok());
  }
  std::multiset<std::pair<S, S>> got;
  for (const auto& kv : read_all(out)) got.insert({*kv.key, *kv.value});
  EXPECT_EQ(got, expected);
}

TEST(JoinTest, InputsWithDifferentPartitionCountsAreRefusedAtBuildTime) {
  StreamsBuilder builder;
  auto l = builder.stream<S, S>("l").repartition(Repartitioned<S, S>::as("l2").with_partitions(2));
  auto r = builder.stream<S, S>("r").repartition(Repartitioned<S, S>::as("r3").with_partitions(3));
  l.join(
       r, [](const S& a, const S& b) { return a + b; },
       JoinWindows::of_time_difference_with_no_grace(1ms))
      .to("out");
  Topology topology = builder.build();
  EXPECT_EQ(topology.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(topology.status().message().find("co-partitioned"), std::string::npos)
      << topology.status();
  ASSERT_EQ(topology.copartition_groups().size(), 1u);
  EXPECT_EQ(topology.copartition_groups()[0], (std::vector<S>{"l2-repartition", "r3-repartition"}));
}

TEST(JoinTest, KeyChangeBeforeAStreamTableJoinRepartitionsTheStream) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("users");
  builder.stream<S, S>("clicks")
      .select_key([](const S&, const S& v) { return v; })
      .join(table, [](const S& click, const S& user) { return click + "@" + user; })
      .to("out");
  auto driver = driver_for(builder);
  auto users = driver->create_input_topic<S, S>("users");
  auto clicks = driver->create_input_topic<S, S>("clicks");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(users.pipe_input("u1", "alice", 1).ok());
  ASSERT_TRUE(clicks.pipe_input("c", "u1", 2).ok());
  EXPECT_EQ(read_all(out), (KVs{{"u1", "u1@alice"}}));
  EXPECT_TRUE(driver->topology().is_internal_topic("KSTREAM-KEY-SELECT-0000000004-repartition"));
}

// Kafka Streams' layout for a topology with a repartition (a key change before a join) and
// a stream-table join followed by an aggregation: the joined table's source shares the
// join's sub-topology through its store, and sub-topologies are numbered by source name.
TEST(JoinTest, DescribeShowsTheRepartitionTheJoinAndTheirStores) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("users");
  builder.stream<S, S>("clicks")
      .select_key([](const S&, const S& v) { return v; })
      .join(table, [](const S& click, const S& user) { return click + "@" + user; })
      .group_by_key()
      .count(Materialized<S, I64>::as("counts"))
      .to_stream()
      .to("out");
  const S expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000007 (topics: "
      "[KSTREAM-KEY-SELECT-0000000004-repartition])\n"
      "      --> KSTREAM-JOIN-0000000008\n"
      "    Processor: KSTREAM-JOIN-0000000008 (stores: [users-STATE-STORE-0000000000])\n"
      "      --> KSTREAM-AGGREGATE-0000000009\n"
      "      <-- KSTREAM-SOURCE-0000000007\n"
      "    Processor: KSTREAM-AGGREGATE-0000000009 (stores: [counts])\n"
      "      --> KTABLE-TOSTREAM-0000000010\n"
      "      <-- KSTREAM-JOIN-0000000008\n"
      "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
      "      --> KTABLE-SOURCE-0000000002\n"
      "    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000011\n"
      "      <-- KSTREAM-AGGREGATE-0000000009\n"
      "    Sink: KSTREAM-SINK-0000000011 (topic: out)\n"
      "      <-- KTABLE-TOSTREAM-0000000010\n"
      "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
      "      --> none\n"
      "      <-- KSTREAM-SOURCE-0000000001\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000003 (topics: [clicks])\n"
      "      --> KSTREAM-KEY-SELECT-0000000004\n"
      "    Processor: KSTREAM-KEY-SELECT-0000000004 (stores: [])\n"
      "      --> KSTREAM-FILTER-0000000006\n"
      "      <-- KSTREAM-SOURCE-0000000003\n"
      "    Processor: KSTREAM-FILTER-0000000006 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000005\n"
      "      <-- KSTREAM-KEY-SELECT-0000000004\n"
      "    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-KEY-SELECT-0000000004-repartition)\n"
      "      <-- KSTREAM-FILTER-0000000006\n"
      "\n";
  EXPECT_EQ(builder.build().describe().to_string(), expected);
}

}  // namespace join_test
}  // namespace runnel

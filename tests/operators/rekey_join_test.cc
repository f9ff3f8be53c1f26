// A re-keyed stream used by more than one key-dependent operation, as Kafka Streams builds it:
// a stream joined with itself, or joined twice, after a key change writes one repartition
// topic that both join sides read (Kafka reuses a stream's join repartition); a grouping
// names its repartition after its store, so a grouping and a join, or two groupings, of the
// same re-keyed stream write one topic each. Outputs are checked against results worked out
// by hand; the self-join rewrite (single.store.self.join) is checked on the repartitioned
// stream against the same results.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "operators/topology_optimization.h"
#include "runtime/streams_config.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace {

using S = std::string;
using I64 = std::int64_t;
using KVs = std::vector<KeyValue<S, S>>;
using namespace std::chrono_literals;

const StreamsProperties kOptimizeAll{{"topology.optimization", "all"}};

std::unique_ptr<TopologyTestDriver> driver_for(const Topology& topology) {
  EXPECT_TRUE(topology.status().ok()) << topology.status();
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(topology, config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

template <typename V>
std::vector<KeyValue<S, V>> read_all(TestOutputTopic<S, V>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<KeyValue<S, V>>{};
}

// The topology's repartition topics, ascending (changelogs left out).
std::vector<S> repartition_topics(const Topology& topology) {
  std::vector<S> out;
  for (const auto& topic : topology.internal_topics()) {
    const S suffix = "-repartition";
    if (topic.name.size() > suffix.size() &&
        topic.name.compare(topic.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(topic.name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The new key: a value's first letter; an empty value has none (dropped before the
// repartition).
std::optional<S> initial(const S&, const S& v) {
  if (v.empty()) return std::nullopt;
  return v.substr(0, 1);
}

// s = in.select_key(initial); s.join(s, l + "+" + r) within 10 ms.
Topology rekeyed_self_join(bool optimize) {
  StreamsBuilder builder;
  KStream<S, S> s = builder.stream<S, S>("in").select_key(initial);
  s.join(
       s, [](const S& l, const S& r) { return l + "+" + r; },
       JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("out");
  return optimize ? builder.build(kOptimizeAll) : builder.build();
}

// What the two-store join of a stream with itself emits, worked out by hand: a record joins
// itself (when its "other" side looks up the "this" store it was just put in), and every
// earlier partner within the window twice, once as each side, "this" side first.
KVs run_rekeyed_self_join(const Topology& topology) {
  auto driver = driver_for(topology);
  if (!driver) return {};
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  EXPECT_TRUE(in.pipe_input("x", "A1", 1).ok());
  EXPECT_TRUE(in.pipe_input("y", "B1", 2).ok());
  EXPECT_TRUE(in.pipe_input("z", "", 2).ok());  // No new key: dropped.
  EXPECT_TRUE(in.pipe_input("x", "A2", 3).ok());
  EXPECT_TRUE(in.pipe_input("w", "A3", 20).ok());  // 17 ms after A2: out of its window.
  return read_all(out);
}

const KVs kRekeyedSelfJoinOutput{
    {"A", "A1+A1"}, {"B", "B1+B1"}, {"A", "A2+A1"}, {"A", "A1+A2"}, {"A", "A2+A2"}, {"A", "A3+A3"},
};

TEST(RekeyJoinTest, RekeyedStreamJoinedWithItselfReadsOneRepartitionTopic) {
  const Topology topology = rekeyed_self_join(false);
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  // Kafka Streams' layout: the second side's repartition reuses the first's (its sink,
  // filter and source names, 5 to 7, are taken and unused), and both windowed nodes read
  // the one repartition source.
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-KEY-SELECT-0000000001-repartition"}));
  const S expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
      "      --> KSTREAM-KEY-SELECT-0000000001\n"
      "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
      "      --> KSTREAM-FILTER-0000000003\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Processor: KSTREAM-FILTER-0000000003 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000002\n"
      "      <-- KSTREAM-KEY-SELECT-0000000001\n"
      "    Sink: KSTREAM-SINK-0000000002 (topic: KSTREAM-KEY-SELECT-0000000001-repartition)\n"
      "      <-- KSTREAM-FILTER-0000000003\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000004 (topics: "
      "[KSTREAM-KEY-SELECT-0000000001-repartition])\n"
      "      --> KSTREAM-WINDOWED-0000000008, KSTREAM-WINDOWED-0000000009\n"
      "    Processor: KSTREAM-WINDOWED-0000000008 (stores: [KSTREAM-JOINTHIS-0000000010-store])\n"
      "      --> KSTREAM-JOINTHIS-0000000010\n"
      "      <-- KSTREAM-SOURCE-0000000004\n"
      "    Processor: KSTREAM-WINDOWED-0000000009 (stores: "
      "[KSTREAM-JOINOTHER-0000000011-store])\n"
      "      --> KSTREAM-JOINOTHER-0000000011\n"
      "      <-- KSTREAM-SOURCE-0000000004\n"
      "    Processor: KSTREAM-JOINOTHER-0000000011 (stores: "
      "[KSTREAM-JOINTHIS-0000000010-store])\n"
      "      --> KSTREAM-MERGE-0000000012\n"
      "      <-- KSTREAM-WINDOWED-0000000009\n"
      "    Processor: KSTREAM-JOINTHIS-0000000010 (stores: "
      "[KSTREAM-JOINOTHER-0000000011-store])\n"
      "      --> KSTREAM-MERGE-0000000012\n"
      "      <-- KSTREAM-WINDOWED-0000000008\n"
      "    Processor: KSTREAM-MERGE-0000000012 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000013\n"
      "      <-- KSTREAM-JOINOTHER-0000000011, KSTREAM-JOINTHIS-0000000010\n"
      "    Sink: KSTREAM-SINK-0000000013 (topic: out)\n"
      "      <-- KSTREAM-MERGE-0000000012\n"
      "\n";
  EXPECT_EQ(topology.describe().to_string(), expected);
  EXPECT_EQ(run_rekeyed_self_join(topology), kRekeyedSelfJoinOutput);
}

TEST(RekeyJoinTest, SelfJoinRewriteAppliesOnTheRepartitionedStreamWithTheSameOutput) {
  const Topology topology = rekeyed_self_join(true);
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-KEY-SELECT-0000000001-repartition"}));
  // One self-join processor over the JOINTHIS store reads the repartition source; the
  // JOINOTHER store and the two-store join's nodes are gone.
  const S expected_joining_subtopology =
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000004 (topics: "
      "[KSTREAM-KEY-SELECT-0000000001-repartition])\n"
      "      --> KSTREAM-MERGE-0000000012\n"
      "    Processor: KSTREAM-MERGE-0000000012 (stores: [KSTREAM-JOINTHIS-0000000010-store])\n"
      "      --> KSTREAM-SINK-0000000013\n"
      "      <-- KSTREAM-SOURCE-0000000004\n"
      "    Sink: KSTREAM-SINK-0000000013 (topic: out)\n"
      "      <-- KSTREAM-MERGE-0000000012\n"
      "\n";
  const S described = topology.describe().to_string();
  EXPECT_NE(described.find(expected_joining_subtopology), S::npos) << described;
  EXPECT_EQ(topology.store("KSTREAM-JOINOTHER-0000000011-store"), nullptr);
  EXPECT_EQ(run_rekeyed_self_join(topology), kRekeyedSelfJoinOutput);
  EXPECT_EQ(run_rekeyed_self_join(topology), run_rekeyed_self_join(rekeyed_self_join(false)));
}

TEST(RekeyJoinTest, GroupingAndJoinOfOneRekeyedStreamWriteARepartitionTopicEach) {
  StreamsBuilder builder;
  KStream<S, S> s = builder.stream<S, S>("in").select_key(initial);
  KStream<S, S> other = builder.stream<S, S>("other");
  s.group_by_key().count().to_stream().to("counts");
  s.join(
       other, [](const S& l, const S& r) { return l + "|" + r; },
       JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("joined");
  const Topology topology = builder.build();
  // As Kafka Streams (without merge.repartition.topics): the grouping's topic is named after
  // its store, the join's after the key-changing node.
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition",
                            "KSTREAM-KEY-SELECT-0000000001-repartition"}));
  auto driver = driver_for(topology);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto other_in = driver->create_input_topic<S, S>("other");
  auto counts = driver->create_output_topic<S, I64>("counts");
  auto joined = driver->create_output_topic<S, S>("joined");
  ASSERT_TRUE(in.pipe_input("x", "A1", 1).ok());
  ASSERT_TRUE(other_in.pipe_input("A", "o1", 2).ok());
  ASSERT_TRUE(in.pipe_input("y", "B1", 2).ok());
  ASSERT_TRUE(in.pipe_input("z", "", 2).ok());  // No new key: neither counted nor joined.
  ASSERT_TRUE(in.pipe_input("x", "A2", 3).ok());
  EXPECT_EQ(read_all(counts), (std::vector<KeyValue<S, I64>>{{"A", 1}, {"B", 1}, {"A", 2}}));
  EXPECT_EQ(read_all(joined), (KVs{{"A", "A1|o1"}, {"A", "A2|o1"}}));
}

TEST(RekeyJoinTest, TwoGroupingsOfOneRekeyedStreamWriteARepartitionTopicEach) {
  StreamsBuilder builder;
  KStream<S, S> s = builder.stream<S, S>("in").select_key(initial);
  s.group_by_key().count().to_stream().to("counts");
  s.group_by_key()
      .reduce([](const S& a, const S& v) { return a + "," + v; })
      .to_stream()
      .to("reduced");
  const Topology topology = builder.build();
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition",
                            "KSTREAM-REDUCE-STATE-STORE-0000000009-repartition"}));
  auto driver = driver_for(topology);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto counts = driver->create_output_topic<S, I64>("counts");
  auto reduced = driver->create_output_topic<S, S>("reduced");
  ASSERT_TRUE(in.pipe_input("x", "A1", 1).ok());
  ASSERT_TRUE(in.pipe_input("y", "B1", 2).ok());
  ASSERT_TRUE(in.pipe_input("x", "A2", 3).ok());
  EXPECT_EQ(read_all(counts), (std::vector<KeyValue<S, I64>>{{"A", 1}, {"B", 1}, {"A", 2}}));
  EXPECT_EQ(read_all(reduced), (KVs{{"A", "A1"}, {"B", "B1"}, {"A", "A1,A2"}}));
}

// A grouping named by Grouped used for two aggregations repartitions once under that name,
// as Kafka Streams reuses a KGroupedStream's repartition when its topic is named.
TEST(RekeyJoinTest, TwoAggregationsOfOneNamedGroupingShareItsRepartitionTopic) {
  StreamsBuilder builder;
  KGroupedStream<S, S> grouped =
      builder.stream<S, S>("in").select_key(initial).group_by_key(Grouped<S, S>::as("by-initial"));
  grouped.count().to_stream().to("counts");
  grouped.reduce([](const S& a, const S& v) { return a + "," + v; }).to_stream().to("reduced");
  const Topology topology = builder.build();
  EXPECT_EQ(repartition_topics(topology), (std::vector<S>{"by-initial-repartition"}));
  auto driver = driver_for(topology);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto counts = driver->create_output_topic<S, I64>("counts");
  auto reduced = driver->create_output_topic<S, S>("reduced");
  ASSERT_TRUE(in.pipe_input("x", "A1", 1).ok());
  ASSERT_TRUE(in.pipe_input("y", "B1", 2).ok());
  ASSERT_TRUE(in.pipe_input("x", "A2", 3).ok());
  EXPECT_EQ(read_all(counts), (std::vector<KeyValue<S, I64>>{{"A", 1}, {"B", 1}, {"A", 2}}));
  EXPECT_EQ(read_all(reduced), (KVs{{"A", "A1"}, {"B", "B1"}, {"A", "A1,A2"}}));
}

// Kafka Streams reuses a stream's join repartition across joins too: two joins of one
// re-keyed stream (here a stream-stream and a stream-table join) read one topic.
TEST(RekeyJoinTest, TwoJoinsOfOneRekeyedStreamShareItsRepartitionTopic) {
  StreamsBuilder builder;
  KStream<S, S> s = builder.stream<S, S>("in").select_key(initial);
  KStream<S, S> other = builder.stream<S, S>("other");
  KTable<S, S> table = builder.table<S, S>("names");
  s.join(
       other, [](const S& l, const S& r) { return l + "|" + r; },
       JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("joined");
  s.join(table, [](const S& l, const S& name) { return l + "@" + name; }).to("named");
  const Topology topology = builder.build();
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-KEY-SELECT-0000000001-repartition"}));
  auto driver = driver_for(topology);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto other_in = driver->create_input_topic<S, S>("other");
  auto names = driver->create_input_topic<S, S>("names");
  auto joined = driver->create_output_topic<S, S>("joined");
  auto named = driver->create_output_topic<S, S>("named");
  ASSERT_TRUE(names.pipe_input("A", "alpha", 0).ok());
  ASSERT_TRUE(other_in.pipe_input("A", "o1", 1).ok());
  ASSERT_TRUE(in.pipe_input("x", "A1", 2).ok());
  ASSERT_TRUE(in.pipe_input("y", "B1", 3).ok());  // No partner, no name.
  EXPECT_EQ(read_all(joined), (KVs{{"A", "A1|o1"}}));
  EXPECT_EQ(read_all(named), (KVs{{"A", "A1@alpha"}}));
}

// to_table names its repartition after itself, as Kafka Streams does, so it and a join of
// the same re-keyed stream write one topic each.
TEST(RekeyJoinTest, ToTableAndJoinOfOneRekeyedStreamWriteARepartitionTopicEach) {
  StreamsBuilder builder;
  KStream<S, S> s = builder.stream<S, S>("in").select_key(initial);
  s.to_table().to_stream().to("latest");
  s.join(
       s, [](const S& l, const S& r) { return l + "+" + r; },
       JoinWindows::of_time_difference_with_no_grace(10ms))
      .to("out");
  const Topology topology = builder.build();
  EXPECT_EQ(repartition_topics(topology),
            (std::vector<S>{"KSTREAM-KEY-SELECT-0000000001-repartition",
                            "KSTREAM-TOTABLE-0000000002-repartition"}));
  auto driver = driver_for(topology);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto latest = driver->create_output_topic<S, S>("latest");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("x", "A1", 1).ok());
  ASSERT_TRUE(in.pipe_input("x", "A2", 2).ok());
  EXPECT_EQ(read_all(latest), (KVs{{"A", "A1"}, {"A", "A2"}}));
  EXPECT_EQ(read_all(out), (KVs{{"A", "A1+A1"}, {"A", "A2+A1"}, {"A", "A1+A2"}, {"A", "A2+A2"}}));
}

}  // namespace
}  // namespace runnel

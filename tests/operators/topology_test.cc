// Topology::describe() prints what Kafka Streams' TopologyDescription.toString() prints for the
// same topology, so existing visualisers and habits carry over.

#include "operators/topology.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "operators/streams_builder.h"

namespace runnel {
namespace topology_test {

using S = std::string;

TEST(TopologyDescribeTest, RepartitionCutsTheTopologyIntoTwoSubtopologies) {
  StreamsBuilder builder;
  builder.stream<S, S>("input")
      .filter([](const S&, const S& v) { return !v.empty(); })
      .select_key([](const S&, const S& v) { return v; })
      .repartition()
      .map_values([](const S& v) { return v + "!"; })
      .to("output");
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
      "      --> KSTREAM-FILTER-0000000001\n"
      "    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n"
      "      --> KSTREAM-KEY-SELECT-0000000002\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000004\n"
      "      <-- KSTREAM-FILTER-0000000001\n"
      "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REPARTITION-0000000003-repartition)\n"
      "      <-- KSTREAM-KEY-SELECT-0000000002\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000006 (topics: "
      "[KSTREAM-REPARTITION-0000000003-repartition])\n"
      "      --> KSTREAM-MAPVALUES-0000000007\n"
      "    Processor: KSTREAM-MAPVALUES-0000000007 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000008\n"
      "      <-- KSTREAM-SOURCE-0000000006\n"
      "    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"
      "      <-- KSTREAM-MAPVALUES-0000000007\n"
      "\n";
  EXPECT_EQ(builder.build().describe().to_string(), expected);
}

TEST(TopologyDescribeTest, NamedRepartitionNamesItsTopicSinkAndSource) {
  StreamsBuilder builder;
  builder.stream<S, S>("clicks", Consumed<S, S>{.name = "clicks-source"})
      .repartition(Repartitioned<S, S>::as("by-user").with_partitions(4))
      .to("out", Produced<S, S>{.name = "out-sink"});
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: by-user-repartition-source (topics: [by-user-repartition])\n"
      "      --> out-sink\n"
      "    Sink: out-sink (topic: out)\n"
      "      <-- by-user-repartition-source\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: clicks-source (topics: [clicks])\n"
      "      --> by-user-repartition-sink\n"
      "    Sink: by-user-repartition-sink (topic: by-user-repartition)\n"
      "      <-- clicks-source\n"
      "\n";
  Topology topology = builder.build();
  EXPECT_EQ(topology.describe().to_string(), expected);
  ASSERT_EQ(topology.internal_topics().size(), 1u);
  EXPECT_EQ(topology.internal_topics()[0].name, "by-user-repartition");
  EXPECT_EQ(topology.internal_topics()[0].partitions, 4);
}

TEST(TopologyDescribeTest, NodesAreOrderedByTheSizeOfTheGraphBelowThemThenByName) {
  StreamsBuilder builder;
  auto branches = builder.stream<S, S>("input")
                      .split(Named::as("s-"))
                      .branch([](const S& v) { return v.empty(); }, Branched::as("b"))
                      .default_branch(Branched::as("a"));
  branches.at("s-b").merge(branches.at("s-a")).to("output");
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
      "      --> s-\n"
      "    Processor: s- (stores: [])\n"
      "      --> s-a, s-b\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Processor: s-a (stores: [])\n"
      "      --> KSTREAM-MERGE-0000000003\n"
      "      <-- s-\n"
      "    Processor: s-b (stores: [])\n"
      "      --> KSTREAM-MERGE-0000000003\n"
      "      <-- s-\n"
      "    Processor: KSTREAM-MERGE-0000000003 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000004\n"
      "      <-- s-a, s-b\n"
      "    Sink: KSTREAM-SINK-0000000004 (topic: output)\n"
      "      <-- KSTREAM-MERGE-0000000003\n"
      "\n";
  EXPECT_EQ(builder.build().describe().to_string(), expected);
}

class NoOp final : public Processor<S, S, S, S> {
 public:
  void process(Record<S, S> record) override { (void)record; }
};

TEST(TopologyDescribeTest, ProcessorsShowTheStoresTheyDeclareAndShareASubtopology) {
  StreamsBuilder builder;
  builder.stream<S, S>("a").process([] { return std::make_unique<NoOp>(); }, Named::as("pa"),
                                    {"counts"});
  builder.stream<S, S>("b").process([] { return std::make_unique<NoOp>(); }, Named::as("pb"),
                                    {"counts", "audit"});
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [a])\n"
      "      --> pa\n"
      "    Source: KSTREAM-SOURCE-0000000001 (topics: [b])\n"
      "      --> pb\n"
      "    Processor: pa (stores: [counts])\n"
      "      --> none\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Processor: pb (stores: [audit, counts])\n"
      "      --> none\n"
      "      <-- KSTREAM-SOURCE-0000000001\n"
      "\n";
  Topology topology = builder.build();
  EXPECT_EQ(topology.describe().to_string(), expected);
  ASSERT_EQ(topology.subtopologies().size(), 1u);
  const std::map<std::string, std::vector<std::string>> users = {{"audit", {"pb"}},
                                                                 {"counts", {"pa", "pb"}}};
  EXPECT_EQ(topology.store_users(), users);
}

TEST(TopologyDescribeTest, SinkWithATopicNameExtractorShowsTheExtractor) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to(
      TopicNameExtractor<S, S>([](const Record<S, S>&) { return std::string("x"); }));
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
      "      --> KSTREAM-SINK-0000000001\n"
      "    Sink: KSTREAM-SINK-0000000001 (extractor class: TopicNameExtractor)\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "\n";
  EXPECT_EQ(builder.build().describe().to_string(), expected);
}

}  // namespace topology_test
}  // namespace runnel

// KGroupedStream aggregations and KTables through the TopologyTestDriver: count, reduce,
// aggregate, automatic repartitioning, table updates and tombstones, filter and map_values.

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
namespace aggregation_test {

using S = std::string;
using I64 = std::int64_t;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(builder.build(), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

template <typename K, typename V>
std::vector<KeyValue<K, V>> read_all(TestOutputTopic<K, V>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<KeyValue<K, V>>{};
}

TEST(AggregationTest, CountEmitsEveryUpdateAndSkipsNullValues) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .count(Materialized<S, I64>::as("counts"))
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 2).ok());
  ASSERT_TRUE(in.pipe_input("a", std::nullopt, 3).ok());  // Skipped.
  ASSERT_TRUE(in.pipe_input(std::nullopt, "x", 3).ok());  // Skipped.
  ASSERT_TRUE(in.pipe_input("a", "y", 4).ok());
  auto got = read_all(out);
  EXPECT_EQ(got, (std::vector<KeyValue<S, I64>>{{"a", 1}, {"b", 1}, {"a", 2}}));
  EXPECT_EQ(driver->metrics().dropped, 2u);
  auto store = driver->get_key_value_store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->get("a"), std::optional<I64>(2));
  // No key change upstream: no repartition topic.
  for (const auto& t : driver->topology().internal_topics()) EXPECT_TRUE(t.changelog) << t.name;
  // The store is logged.
  auto changelog = driver->create_output_topic<S, I64>("app-counts-changelog");
  EXPECT_EQ(changelog.queue_size(), 3u);
}

TEST(AggregationTest, GroupByRepartitionsThroughATopicNamedAfterTheStore) {
  StreamsBuilder builder;
  builder.stream<S, S>("lines")
      .flat_map_values([](const S& line) {
        std::vector<S> words;
        std::size_t start = 0;
        while (start < line.size()) {
          std::size_t end = line.find(' ', start);
          if (end == S::npos) end = line.size();
          if (end > start) words.push_back(line.substr(start, end - start));
          start = end + 1;
        }
        return words;
      })
      .group_by([](const std::optional<S>&, const S& word) { return word; })
      // Every update is an output (a = 1 then a = 2 from one line): no cache.
      .count(Materialized<S, I64>().with_caching_disabled())
      .to_stream()
      .to("counts");
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_TRUE(topology.is_internal_topic("KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"));
  EXPECT_TRUE(topology.is_internal_topic("KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog"));
  ASSERT_EQ(topology.subtopologies().size(), 2u);
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("lines");
  auto out = driver->create_output_topic<S, I64>("counts");
  ASSERT_TRUE(in.pipe_input(std::nullopt, "a b a", 1).ok());
  ASSERT_TRUE(in.pipe_input(std::nullopt, "b", 2).ok());
  auto got = read_all(out);
  EXPECT_EQ(got, (std::vector<KeyValue<S, I64>>{{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}}));
  auto repartition =
      driver->create_output_topic<S, S>("app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition");
  EXPECT_EQ(repartition.queue_size(), 4u);
}

TEST(AggregationTest, KeyChangeBeforeGroupByKeyRepartitionsAndNullKeysAreDropped) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .select_key([](const S&, const S& v) -> std::optional<S> {
        if (v.empty()) return std::nullopt;
        return v.substr(0, 1);
      })
      .group_by_key(Grouped<S, S>::as("by-initial"))
      .count()
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  EXPECT_TRUE(driver->topology().is_internal_topic("by-initial-repartition"));
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("k", "apple", 1).ok());
  ASSERT_TRUE(in.pipe_input("k", "", 1).ok());  // Null key: filtered before the repartition.
  ASSERT_TRUE(in.pipe_input("k", "avocado", 1).ok());
  EXPECT_EQ(read_all(out), (std::vector<KeyValue<S, I64>>{{"a", 1}, {"a", 2}}));
  auto repartition = driver->create_output_topic<S, S>("app-by-initial-repartition");
  EXPECT_EQ(repartition.queue_size(), 2u);
}

TEST(AggregationTest, ReduceAndAggregateFoldValuesPerKey) {
  StreamsBuilder builder;
  auto grouped = builder.stream<S, I64>("in").group_by_key();
  grouped.reduce([](I64 a, I64 b) { return a + b; }, Materialized<S, I64>::as("sums"))
      .to_stream()
      .to("sums");
  grouped
      .aggregate([] { return S("^"); },
                 [](const S&, I64 v, const S& agg) { return agg + std::to_string(v); },
                 Materialized<S, S>::as("concat"))
      .to_stream()
      .to("concat");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, I64>("in");
  auto sums = driver->create_output_topic<S, I64>("sums");
  auto concat = driver->create_output_topic<S, S>("concat");
  ASSERT_TRUE(in.pipe_input("k", 1, 1).ok());
  ASSERT_TRUE(in.pipe_input("k", 2, 2).ok());
  ASSERT_TRUE(in.pipe_input("j", 5, 3).ok());
  EXPECT_EQ(read_all(sums), (std::vector<KeyValue<S, I64>>{{"k", 1}, {"k", 3}, {"j", 5}}));
  EXPECT_EQ(read_all(concat),
            (std::vector<KeyValue<S, S>>{{"k", "^1"}, {"k", "^12"}, {"j", "^5"}}));
}

TEST(AggregationTest, CachingCoalescesWritesButEveryInputStillUpdatesAfterCommit) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .count(Materialized<S, I64>::as("counts").with_caching_enabled())
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  // The driver commits after each input, as Kafka's does, so each update is flushed.
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 2).ok());
  auto records = out.read_records_to_list();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].value, 2);
  EXPECT_EQ((*records)[1].timestamp, 2);
}

TEST(KTableTest, TableKeepsLatestValueAndTombstonesDelete) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.table<S, S>("t", {}, Materialized<S, S>::as("t-store"));
  table.to_stream().to("changes");
  table.filter([](const S& v) { return v.size() > 1; }).to_stream().to("long");
  table.map_values([](const S& v) { return static_cast<I64>(v.size()); }).to_stream().to("sizes");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("t");
  auto changes = driver->create_output_topic<S, S>("changes");
  auto long_values = driver->create_output_topic<S, S>("long");
  auto sizes = driver->create_output_topic<S, I64>("sizes");
  ASSERT_TRUE(in.pipe_input("k", "aa", 1).ok());
  ASSERT_TRUE(in.pipe_input("k", "b", 2).ok());           // Fails the filter: tombstone there.
  ASSERT_TRUE(in.pipe_input("j", "c", 3).ok());           // Never passed: nothing there.
  ASSERT_TRUE(in.pipe_input("k", std::nullopt, 4).ok());  // Deletes k.
  using KV = KeyValue<S, S>;
  EXPECT_EQ(read_all(changes),
            (std::vector<KV>{{"k", "aa"}, {"k", "b"}, {"j", "c"}, {"k", std::nullopt}}));
  EXPECT_EQ(read_all(long_values), (std::vector<KV>{{"k", "aa"}, {"k", std::nullopt}}));
  EXPECT_EQ(read_all(sizes),
            (std::vector<KeyValue<S, I64>>{{"k", 2}, {"k", 1}, {"j", 1}, {"k", std::nullopt}}));
  auto store = driver->get_key_value_store<S, S>("t-store");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*store->get("k"), std::nullopt);
  EXPECT_EQ(*store->get("j"), std::optional<S>("c"));
}

TEST(KTableTest, TableStoreNameIsGeneratedFromTheTopic) {
  StreamsBuilder builder;
  builder.table<S, S>("input").to_stream().to("out");
  Topology topology = builder.build();
  ASSERT_NE(topology.store("input-STATE-STORE-0000000000"), nullptr);
  EXPECT_NE(topology.node("KTABLE-SOURCE-0000000002"), nullptr);
}

TEST(KTableTest, ToTableKeepsTheLatestValuePerKeyAndJoinsLikeATable) {
  StreamsBuilder builder;
  KTable<S, S> table = builder.stream<S, S>("profiles").to_table(Materialized<S, S>::as("latest"));
  table.to_stream().to("changes");
  builder.stream<S, S>("visits")
      .join(table, [](const S& visit, const S& profile) { return visit + ":" + profile; })
      .to("enriched");
  auto driver = driver_for(builder);
  auto profiles = driver->create_input_topic<S, S>("profiles");
  auto visits = driver->create_input_topic<S, S>("visits");
  auto enriched = driver->create_output_topic<S, S>("enriched");
  ASSERT_TRUE(profiles.pipe_input("u", "p1", 1).ok());
  ASSERT_TRUE(profiles.pipe_input("u", "p2", 2).ok());
  ASSERT_TRUE(visits.pipe_input("u", "home", 3).ok());
  ASSERT_TRUE(profiles.pipe_input("u", std::nullopt, 4).ok());
  ASSERT_TRUE(visits.pipe_input("u", "away", 5).ok());
  EXPECT_EQ(read_all(enriched), (std::vector<KeyValue<S, S>>{{"u", "home:p2"}}));
  auto store = driver->get_key_value_store<S, S>("latest");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*store->get("u"), std::nullopt);
}

// Random keys and values against a plain model: count and sum per key, and the last value.
TEST(AggregationTest, RandomisedCountsAndSumsMatchAReferenceModel) {
  StreamsBuilder builder;
  auto grouped = builder.stream<S, I64>("in").group_by_key();
  grouped.count(Materialized<S, I64>::as("count")).to_stream().to("count");
  grouped.reduce([](I64 a, I64 b) { return a + b; }, Materialized<S, I64>::as("sum"))
      .to_stream()
      .to("sum");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, I64>("in");
  auto count_out = driver->create_output_topic<S, I64>("count");
  std::mt19937 rng(42);
  std::map<S, I64> counts, sums;
  std::vector<KeyValue<S, I64>> expected_counts;
  for (int i = 0; i < 2000; ++i) {
    const S key = "k" + std::to_string(rng() % 37);
    const I64 value = static_cast<I64>(rng() % 1000) - 500;
    if (rng() % 10 == 0) {
      ASSERT_TRUE(in.pipe_input(key, std::nullopt, i).ok());
      continue;
    }
    ASSERT_TRUE(in.pipe_input(key, value, i).ok());
    expected_counts.push_back({key, ++counts[key]});
    sums[key] += value;
  }
  EXPECT_EQ(read_all(count_out), expected_counts);
  auto sum_store = driver->get_key_value_store<S, I64>("sum");
  ASSERT_TRUE(sum_store.ok());
  for (const auto& [key, sum] : sums) EXPECT_EQ(*sum_store->get(key), std::optional<I64>(sum));
}

}  // namespace aggregation_test
}  // namespace runnel

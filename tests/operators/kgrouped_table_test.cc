// KTable::group_by and the KGroupedTable aggregations (count, reduce and aggregate with adder
// and subtractor) through the TopologyTestDriver, and the repartition topic's Change format.

#include "operators/kgrouped_table.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/internal/change_serde.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace kgrouped_table_test {

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

// Every entry of a key-value store, in key order.
template <typename K, typename V>
std::map<K, V> store_contents(TopologyTestDriver& driver, const std::string& name) {
  std::map<K, V> out;
  auto store = driver.get_key_value_store<K, V>(name);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return out;
  auto it = store->all();
  EXPECT_TRUE(it.ok()) << it.status();
  if (!it.ok()) return out;
  for (; it->valid(); it->next()) {
    auto entry = it->entry();
    EXPECT_TRUE(entry.ok()) << entry.status();
    if (entry.ok()) out.insert(*entry);
  }
  return out;
}

TEST(KGroupedTableTest, UserMovingRegionDecrementsTheOldRegionAndIncrementsTheNew) {
  StreamsBuilder builder;
  builder.table<S, S>("user-regions")
      .group_by([](const S& user, const S& region) { return make_key_value(region, user); })
      // Each subtraction and addition is an output of its own: no cache to coalesce them.
      .count(Materialized<S, I64>::as("region-counts").with_caching_disabled())
      .to_stream()
      .to("counts");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("user-regions");
  auto out = driver->create_output_topic<S, I64>("counts");
  ASSERT_TRUE(in.pipe_input("alice", "eu", 1).ok());
  ASSERT_TRUE(in.pipe_input("bob", "eu", 2).ok());
  ASSERT_TRUE(in.pipe_input("alice", "us", 3).ok());  // Moves: eu loses her, us gains her.
  EXPECT_EQ(read_all(out),
            (std::vector<KeyValue<S, I64>>{{"eu", 1}, {"eu", 2}, {"eu", 1}, {"us", 1}}));
  // An update that stays in its group is one repartition record, subtracted then added in one
  // step: one result, no intermediate 0 (Kafka Streams 3.5+).
  ASSERT_TRUE(in.pipe_input("alice", "us", 4).ok());
  EXPECT_EQ(read_all(out), (std::vector<KeyValue<S, I64>>{{"us", 1}}));
  // Bob leaves: the last key of eu is subtracted and eu stays in the table with 0, as Kafka's
  // count does.
  ASSERT_TRUE(in.pipe_input("bob", std::nullopt, 5).ok());
  EXPECT_EQ(read_all(out), (std::vector<KeyValue<S, I64>>{{"eu", 0}}));
  EXPECT_EQ((store_contents<S, I64>(*driver, "region-counts")),
            (std::map<S, I64>{{"eu", 0}, {"us", 1}}));

  // The repartition topic is named after the store and carries one record per group touched.
  EXPECT_TRUE(driver->topology().is_internal_topic("region-counts-repartition"));
  auto repartition = driver->create_output_topic<S, Change<S>>(
      "app-region-counts-repartition", std::make_shared<StringSerde>(),
      std::make_shared<internal::ChangeSerde<S>>(std::make_shared<StringSerde>()));
  std::vector<KeyValue<S, Change<S>>> expected_repartition = {
      {"eu", Change<S>{"alice", std::nullopt}}, {"eu", Change<S>{"bob", std::nullopt}},
      {"eu", Change<S>{std::nullopt, "alice"}}, {"us", Change<S>{"alice", std::nullopt}},
      {"us", Change<S>{"alice", "alice"}},      {"eu", Change<S>{std::nullopt, "bob"}}};
  EXPECT_EQ(read_all(repartition), expected_repartition);
  // The result is change-logged.
  EXPECT_TRUE(driver->topology().is_internal_topic("region-counts-changelog"));
}

TEST(KGroupedTableTest, TombstonesOnlySubtractAndNullGroupKeysAreDropped) {
  StreamsBuilder builder;
  builder.table<S, S>("user-regions")
      .group_by([](const S& user, const S& region) -> KeyValue<S, S> {
        if (region.empty()) return {std::nullopt, user};  // No region: in no group.
        return {region, user};
      })
      // Each subtraction and addition is an output of its own: no cache to coalesce them.
      .count(Materialized<S, I64>::as("region-counts").with_caching_disabled())
      .to_stream()
      .to("counts");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("user-regions");
  auto out = driver->create_output_topic<S, I64>("counts");
  ASSERT_TRUE(in.pipe_input("ghost", std::nullopt, 1).ok());  // Deletes nothing: no output.
  ASSERT_TRUE(in.pipe_input("alice", "", 2).ok());            // In no group: no output.
  EXPECT_TRUE(read_all(out).empty());
  ASSERT_TRUE(in.pipe_input("alice", "eu", 3).ok());  // Only adds (her old value had no group).
  ASSERT_TRUE(in.pipe_input("alice", "", 4).ok());    // Only subtracts.
  ASSERT_TRUE(in.pipe_input("alice", "eu", 5).ok());
  ASSERT_TRUE(in.pipe_input("alice", std::nullopt, 6).ok());  // Only subtracts.
  ASSERT_TRUE(in.pipe_input("alice", std::nullopt, 7).ok());  // Already gone: nothing.
  EXPECT_EQ(read_all(out),
            (std::vector<KeyValue<S, I64>>{{"eu", 1}, {"eu", 0}, {"eu", 1}, {"eu", 0}}));
  auto repartition = driver->create_output_topic<S, Change<S>>(
      "app-region-counts-repartition", std::make_shared<StringSerde>(),
      std::make_shared<internal::ChangeSerde<S>>(std::make_shared<StringSerde>()));
  EXPECT_EQ(repartition.queue_size(), 4u);
}

TEST(KGroupedTableTest, ReduceAddsNewValuesAndSubtractsReplacedOnes) {
  StreamsBuilder builder;
  // Balances per account; totals per branch (the account's first letter).
  builder.table<S, I64>("balances")
      .group_by([](const S& account, I64 balance) {
        return std::make_pair(account.substr(0, 1), balance);
      })
      .reduce([](I64 total, I64 balance) { return total + balance; },
              [](I64 total, I64 balance) { return total - balance; },
              Materialized<S, I64>::as("branch-totals"))
      .to_stream()
      .to("totals");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, I64>("balances");
  auto out = driver->create_output_topic<S, I64>("totals");
  ASSERT_TRUE(in.pipe_input("a1", 10, 1).ok());
  ASSERT_TRUE(in.pipe_input("a2", 5, 2).ok());
  ASSERT_TRUE(in.pipe_input("a1", 20, 3).ok());  // Same branch: one result, 25.
  ASSERT_TRUE(in.pipe_input("b1", 7, 4).ok());
  ASSERT_TRUE(in.pipe_input("a2", std::nullopt, 5).ok());
  EXPECT_EQ(read_all(out),
            (std::vector<KeyValue<S, I64>>{{"a", 10}, {"a", 15}, {"a", 25}, {"b", 7}, {"a", 20}}));
  EXPECT_EQ((store_contents<S, I64>(*driver, "branch-totals")),
            (std::map<S, I64>{{"a", 20}, {"b", 7}}));
  // Generated names: the store and processor are KTABLE-REDUCE-.
  StreamsBuilder unnamed;
  unnamed.table<S, I64>("balances")
      .group_by([](const S& k, I64 v) { return make_key_value(k, v); })
      .reduce([](I64 a, I64 b) { return a + b; }, [](I64 a, I64 b) { return a - b; });
  Topology topology = unnamed.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_TRUE(topology.is_internal_topic("KTABLE-REDUCE-STATE-STORE-0000000004-repartition"));
}

TEST(KGroupedTableTest, AggregateFoldsWithInitializerAdderAndSubtractorAndCanDeleteGroups) {
  StreamsBuilder builder;
  // Per team, the total length of its members' names; a team with no member is deleted by
  // its subtractor returning null.
  builder.table<S, S>("members")
      .group_by([](const S& name, const S& team) { return make_key_value(team, name); },
                Grouped<S, S>::as("by-team"))
      .aggregate([] { return I64{0}; },
                 [](const S&, const S& name, I64 total) { return total + I64(name.size()); },
                 [](const S&, const S& name, I64 total) -> std::optional<I64> {
                   const I64 left = total - I64(name.size());
                   if (left == 0) return std::nullopt;
                   return left;
                 },
                 Materialized<S, I64>::as("team-lengths"))
      .to_stream()
      .to("lengths");
  auto driver = driver_for(builder);
  // Grouped's name names the select node and the repartition topic.
  EXPECT_TRUE(driver->topology().is_internal_topic("by-team-repartition"));
  EXPECT_NE(driver->topology().describe().to_string().find("Processor: by-team (stores: [])"),
            std::string::npos);
  auto in = driver->create_input_topic<S, S>("members");
  auto out = driver->create_output_topic<S, I64>("lengths");
  ASSERT_TRUE(in.pipe_input("ann", "red", 1).ok());
  ASSERT_TRUE(in.pipe_input("bobby", "red", 2).ok());
  ASSERT_TRUE(in.pipe_input("ann", "blue", 3).ok());
  ASSERT_TRUE(in.pipe_input("bobby", std::nullopt, 4).ok());  // red is empty: deleted.
  ASSERT_TRUE(in.pipe_input("cy", "red", 5).ok());            // red starts again from 0.
  EXPECT_EQ(
      read_all(out),
      (std::vector<KeyValue<S, I64>>{
          {"red", 3}, {"red", 8}, {"red", 5}, {"blue", 3}, {"red", std::nullopt}, {"red", 2}}));
  EXPECT_EQ((store_contents<S, I64>(*driver, "team-lengths")),
            (std::map<S, I64>{{"blue", 3}, {"red", 2}}));
}

// From the final table contents, the expected aggregate per group must equal the store,
// with and without caching, for count, reduce and aggregate.
TEST(KGroupedTableTest, RandomisedAggregatesMatchAReferenceModelOfTheFinalTable) {
  for (const bool caching : {false, true}) {
    SCOPED_TRACE(caching ? "caching" : "no caching");
    StreamsBuilder builder;
    auto grouped = builder.table<S, I64>("in").group_by([](const S& key, I64 value) {
      // The group depends on the value, so updates move keys between groups.
      return make_key_value("g" + std::to_string(((value % 7) + 7) % 7),
                            key + ":" + std::to_string(value));
    });
    auto count_m = Materialized<S, I64>::as("count");
    auto sum_m = Materialized<S, I64>::as("sum");
    auto keys_m = Materialized<S, S>::as("keys");
    count_m.caching = caching;
    sum_m.caching = caching;
    keys_m.caching = caching;
    grouped.count(count_m).to_stream().to("count");
    auto value_of = [](const S& entry) { return std::stoll(entry.substr(entry.find(':') + 1)); };
    grouped
        .aggregate([] { return I64{0}; },
                   [value_of](const S&, const S& e, I64 sum) { return sum + value_of(e); },
                   [value_of](const S&, const S& e, I64 sum) { return sum - value_of(e); }, sum_m)
        .to_stream()
        .to("sum");
    // The concatenated entries of a group, sorted: the subtractor must remove exactly what
    // the adder put in.
    grouped
        .reduce(
            [](const S& agg, const S& e) {
              std::vector<S> parts;
              std::size_t start = 0;
              while (start < agg.size()) {
                std::size_t end = agg.find(',', start);
                if (end == S::npos) end = agg.size();
                if (end > start) parts.push_back(agg.substr(start, end - start));
                start = end + 1;
              }
              parts.push_back(e);
              std::sort(parts.begin(), parts.end());
              S out;
              for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
              return out;
            },
            [](const S& agg, const S& e) {
              S out;
              std::size_t start = 0;
              bool removed = false;
              while (start < agg.size()) {
                std::size_t end = agg.find(',', start);
                if (end == S::npos) end = agg.size();
                S part = agg.substr(start, end - start);
                if (!removed && part == e) {
                  removed = true;
                } else if (!part.empty()) {
                  out += (out.empty() ? "" : ",") + part;
                }
                start = end + 1;
              }
              return out;
            },
            keys_m)
        .to_stream()
        .to("keys");
    auto driver = driver_for(builder);
    auto in = driver->create_input_topic<S, I64>("in");
    std::mt19937 rng(7);
    std::map<S, I64> table;     // The reference model of the input table.
    std::map<S, bool> touched;  // Groups that ever had a key: they stay in count and sum.
    for (int i = 0; i < 3000; ++i) {
      const S key = "k" + std::to_string(rng() % 41);
      if (rng() % 8 == 0) {
        ASSERT_TRUE(in.pipe_input(key, std::nullopt, i).ok());
        table.erase(key);
        continue;
      }
      const I64 value = static_cast<I64>(rng() % 200) - 100;
      ASSERT_TRUE(in.pipe_input(key, value, i).ok());
      table[key] = value;
      touched["g" + std::to_string(((value % 7) + 7) % 7)] = true;
    }
    std::map<S, I64> counts, sums;
    std::map<S, std::vector<S>> entries;
    for (const auto& [group, unused] : touched) {
      counts[group] = 0;
      sums[group] = 0;
      entries[group];
    }
    for (const auto& [key, value] : table) {
      const S group = "g" + std::to_string(((value % 7) + 7) % 7);
      ++counts[group];
      sums[group] += value;
      entries[group].push_back(key + ":" + std::to_string(value));
    }
    std::map<S, S> keys;
    for (auto& [group, list] : entries) {
      std::sort(list.begin(), list.end());
      S joined;
      for (const auto& e : list) joined += (joined.empty() ? "" : ",") + e;
      keys[group] = joined;
    }
    EXPECT_EQ((store_contents<S, I64>(*driver, "count")), counts);
    EXPECT_EQ((store_contents<S, I64>(*driver, "sum")), sums);
    EXPECT_EQ((store_contents<S, S>(*driver, "keys")), keys);
    // What was emitted ends on the same values.
    auto count_out = driver->create_output_topic<S, I64>("count");
    std::map<S, I64> last;
    for (const auto& kv : read_all(count_out)) last[*kv.key] = *kv.value;
    EXPECT_EQ(last, counts);
  }
}

TEST(KGroupedTableTest, DescribeShowsTheRepartitionBetweenTwoSubtopologies) {
  StreamsBuilder builder;
  builder.table<S, S>("user-regions")
      .group_by([](const S& user, const S& region) { return make_key_value(region, user); })
      .count()
      .to_stream()
      .to("counts");
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000001 (topics: [user-regions])\n"
      "      --> KTABLE-SOURCE-0000000002\n"
      "    Processor: KTABLE-SOURCE-0000000002 (stores: [user-regions-STATE-STORE-0000000000])\n"
      "      --> KTABLE-SELECT-0000000003\n"
      "      <-- KSTREAM-SOURCE-0000000001\n"
      "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000005\n"
      "      <-- KTABLE-SOURCE-0000000002\n"
      "    Sink: KSTREAM-SINK-0000000005 (topic: "
      "KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
      "      <-- KTABLE-SELECT-0000000003\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000006 (topics: "
      "[KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
      "      --> KTABLE-AGGREGATE-0000000007\n"
      "    Processor: KTABLE-AGGREGATE-0000000007 (stores: "
      "[KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
      "      --> KTABLE-TOSTREAM-0000000008\n"
      "      <-- KSTREAM-SOURCE-0000000006\n"
      "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000009\n"
      "      <-- KTABLE-AGGREGATE-0000000007\n"
      "    Sink: KSTREAM-SINK-0000000009 (topic: counts)\n"
      "      <-- KTABLE-TOSTREAM-0000000008\n"
      "\n";
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_EQ(topology.describe().to_string(), expected);
  EXPECT_EQ(topology.subtopologies().size(), 2u);
}

TEST(ChangeSerdeTest, RoundTripsEachShapeAndRefusesMalformedBytes) {
  internal::ChangeSerde<S> serde(std::make_shared<StringSerde>());
  for (const Change<S>& change : {Change<S>{"new", std::nullopt}, Change<S>{std::nullopt, "old"},
                                  Change<S>{"new", "old"}, Change<S>{"", ""}}) {
    auto bytes = serde.serialize(change);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto back = serde.deserialize(*bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, change);
  }
  // The layout is Kafka Streams' ChangedSerializer's: {len(new)}{new}{old}{2}.
  auto both = serde.serialize(Change<S>{"ab", "c"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->to_string(), S("\0\0\0\2abc\2", 8));
  EXPECT_EQ(serde.serialize(Change<S>{"ab", std::nullopt})->to_string(), S("ab\1", 3));
  EXPECT_EQ(serde.serialize(Change<S>{std::nullopt, "c"})->to_string(), S("c\0", 2));

  EXPECT_FALSE(serde.serialize(Change<S>{}).ok());
  EXPECT_FALSE(serde.deserialize(Bytes()).ok());
  EXPECT_FALSE(serde.deserialize(Bytes::from_string(S("x\3", 2))).ok());
  EXPECT_FALSE(serde.deserialize(Bytes::from_string(S("\0\0\2", 3))).ok());
  EXPECT_FALSE(serde
                   .deserialize(Bytes::from_string(S("\0\0\0\x09"
                                                     "ab\2",
                                                     7)))
                   .ok());
}

}  // namespace kgrouped_table_test
}  // namespace runnel

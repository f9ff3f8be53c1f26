// Sliding-window aggregations (KGroupedStream::windowed_by(SlidingWindows)) through the
// TopologyTestDriver: Kafka Streams' documented example, inclusive window bounds, early
// records, out-of-order records inside grace, late records, retention, suppress, naming, and
// randomised runs checked against a brute-force model of the windows the records imply.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/store_supplier.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace sliding_window_test {

using S = std::string;
using I64 = std::int64_t;
using KVs = std::vector<KeyValue<S, I64>>;
using SKVs = std::vector<KeyValue<S, S>>;
using namespace std::chrono_literals;

// The DSL's types: a sliding-windowed count is a table of windowed keys.
static_assert(std::is_same_v<
              decltype(std::declval<KGroupedStream<S, S>>()
                           .windowed_by(SlidingWindows::of_time_difference_and_grace(10ms, 0ms))
                           .count()),
              KTable<Windowed<S>, I64>>);

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder,
                                               std::shared_ptr<StoreSupplier> supplier = nullptr) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
  config.store_supplier = std::move(supplier);
  auto driver = TopologyTestDriver::create(builder.build(), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

// "key@start-end" for windowed results, so that outputs compare as plain strings.
S label(const Windowed<S>& w) {
  return w.key + "@" + std::to_string(w.window.start_ms) + "-" + std::to_string(w.window.end_ms);
}

template <typename V>
void to_labelled(const KTable<Windowed<S>, V>& table, const S& topic) {
  table.to_stream()
      .map([](const Windowed<S>& k, const std::optional<V>& v) {
        return KeyValue<S, V>(label(k), v);
      })
      .to(topic);
}

template <typename V>
std::vector<KeyValue<S, V>> read_all(TestOutputTopic<S, V>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<KeyValue<S, V>>{};
}

// Concatenates values in arrival order: shows which records a window holds, and in what
// order they were added.
auto concat_aggregate(const SlidingWindowedKStream<S, S>& windowed,
                      Materialized<S, S> materialized = {}) {
  return windowed.aggregate([] { return S(); },
                            [](const S&, const S& v, const S& agg) { return agg + v; },
                            std::move(materialized));
}

auto concat_aggregate(const KGroupedStream<S, S>& grouped, SlidingWindows windows,
                      Materialized<S, S> materialized = {}) {
  return concat_aggregate(grouped.windowed_by(windows), std::move(materialized));
}

TEST(SlidingWindowTest, KafkaDocumentedExampleMakesFiveWindows) {
  StreamsBuilder builder;
  to_labelled(concat_aggregate(builder.stream<S, S>("in").group_by_key(),
                               SlidingWindows::of_time_difference_and_grace(5000ms, 10s)),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("A", "1", 8000).ok());
  EXPECT_EQ(read_all(out), (SKVs{{"A@3000-8000", "1"}}));
  ASSERT_TRUE(in.pipe_input("A", "2", 9200).ok());
  EXPECT_EQ(read_all(out), (SKVs{{"A@4200-9200", "12"}, {"A@8001-13001", "2"}}));
  ASSERT_TRUE(in.pipe_input("A", "3", 12400).ok());
  EXPECT_EQ(read_all(out),
            (SKVs{{"A@7400-12400", "123"}, {"A@8001-13001", "23"}, {"A@9201-14201", "3"}}));
}

TEST(SlidingWindowTest, WindowsIncludeBothEndsAndAreNeverEmpty) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_without_grace(10ms))
                  .count(Materialized<S, I64>::as("counts")),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 20).ok());  // 20 - 10 = diff: one window holds both.
  ASSERT_TRUE(in.pipe_input("a", "x", 31).ok());  // 31 - 20 > diff: alone in its window.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 1}, {"a@10-20", 2}, {"a@11-21", 1}, {"a@21-31", 1}}));
  // Typed reads of the store see the counts; windows end at start + time difference.
  auto store = driver->get_window_store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->fetch("a", 10), std::optional<I64>(2));
  EXPECT_EQ(*store->fetch("a", 11), std::optional<I64>(1));
  EXPECT_EQ(*store->fetch("a", 12), std::nullopt);  // Would be empty: never made.
  // Retention is 2 * diff + grace + 1 = 21 ms past the latest window start (21): [0,10] has
  // expired.
  auto all = store->fetch("a", 0, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::vector<std::pair<Timestamp, I64>>{{10, 2}, {11, 1}, {21, 1}}));
}

TEST(SlidingWindowTest, EarlyRecordsShareTheWindowStartingAtZero) {
  StreamsBuilder builder;
  to_labelled(concat_aggregate(builder.stream<S, S>("in").group_by_key(),
                               SlidingWindows::of_time_difference_and_grace(10ms, 100ms)),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "p", 3).ok());
  ASSERT_TRUE(in.pipe_input("a", "q", 7).ok());
  ASSERT_TRUE(in.pipe_input("a", "r", 1).ok());  // Out of order, early too.
  EXPECT_EQ(read_all(out), (SKVs{{"a@0-10", "p"},
                                 {"a@0-10", "pq"},
                                 {"a@4-14", "q"},
                                 {"a@0-10", "pqr"},
                                 {"a@2-12", "pq"}}));  // r's right window: what follows r.
}

TEST(SlidingWindowTest, OutOfOrderRecordInGraceJoinsWindowsAndMakesItsOwn) {
  StreamsBuilder builder;
  to_labelled(concat_aggregate(builder.stream<S, S>("in").group_by_key(),
                               SlidingWindows::of_time_difference_and_grace(10ms, 20ms)),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "p", 10).ok());
  ASSERT_TRUE(in.pipe_input("a", "q", 30).ok());
  EXPECT_EQ(read_all(out), (SKVs{{"a@0-10", "p"}, {"a@20-30", "q"}}));
  ASSERT_TRUE(in.pipe_input("a", "r", 25).ok());
  // r makes its left window [15,25], joins q's [20,30], and makes its right window [26,36]
  // with what follows it (q).
  EXPECT_EQ(read_all(out), (SKVs{{"a@15-25", "r"}, {"a@20-30", "qr"}, {"a@26-36", "q"}}));
  ASSERT_TRUE(in.pipe_input("a", "s", 12).ok());
  // s's left window [2,12] holds p and s; p's right window [11,21] did not exist (nothing
  // followed p within 11 ms) and now holds s alone; s's right window [13,23] would be empty
  // (r is at 25): not made.
  EXPECT_EQ(read_all(out), (SKVs{{"a@2-12", "ps"}, {"a@11-21", "s"}}));
  EXPECT_EQ(driver->metrics().dropped_late, 0u);
}

TEST(SlidingWindowTest, LateRecordsAreDroppedAndCountedPerClosedWindow) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_and_grace(10ms, 5ms))
                  .count(),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 30).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 43).ok());  // Stream time 43: windows ending < 38 closed.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 1}, {"a@20-30", 1}, {"b@33-43", 1}}));
  // 29 would join [20,30] and make [19,29], both closed: dropped and counted twice. Its right
  // window [30,40] is still open and holds 30: it is made.
  ASSERT_TRUE(in.pipe_input("a", "x", 29).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@30-40", 1}}));
  EXPECT_EQ(driver->metrics().dropped_late, 2u);
  // 27 + 10 + 1 <= 38: even its right window has closed; dropped and counted once.
  ASSERT_TRUE(in.pipe_input("a", "x", 27).ok());
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(driver->metrics().dropped_late, 3u);
  // A window closes only once stream time - grace passes its end: 38's left window [28,38]
  // ends at the close time, 38, and is still open.
  ASSERT_TRUE(in.pipe_input("b", "x", 38).ok());
  EXPECT_EQ(read_all(out), (KVs{{"b@28-38", 1}, {"b@33-43", 2}, {"b@39-49", 1}}));
  EXPECT_EQ(driver->metrics().dropped_late, 3u);
}

// A record at the close time may need the window starting two time differences before it,
// the earliest the store must still hold.
TEST(SlidingWindowTest, KeepsTheWindowsNewWindowsAreBuiltFromForTheWholeGracePeriod) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_and_grace(10ms, 5ms))
                  .count(),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  for (Timestamp t : {35, 49, 50}) ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
  (void)read_all(out);
  // Stream time 50, close time 45; the store has seen window start 50 ([50,60]).
  ASSERT_TRUE(in.pipe_input("a", "x", 45).ok());
  // [35,45] holds 35 and 45: its count comes from [25,35], 25 ms = 2 * diff + grace before
  // the store's stream time.
  EXPECT_EQ(read_all(out),
            (KVs{{"a@35-45", 2}, {"a@36-46", 1}, {"a@39-49", 2}, {"a@40-50", 3}, {"a@46-56", 2}}));
}

TEST(SlidingWindowTest, ZeroTimeDifferenceGroupsEqualTimestamps) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_without_grace(0ms))
                  .count(),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  for (Timestamp t : {5, 5, 6}) ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@5-5", 1}, {"a@5-5", 2}, {"a@6-6", 1}}));
}

TEST(SlidingWindowTest, ReduceCombinesTheValuesOfEachWindow) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, I64>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_without_grace(10ms))
                  .reduce([](I64 a, I64 b) { return a + b; }),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, I64>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", 1, 100).ok());
  ASSERT_TRUE(in.pipe_input("a", 2, 105).ok());
  ASSERT_TRUE(in.pipe_input("a", 4, 112).ok());
  EXPECT_EQ(
      read_all(out),
      (KVs{
          {"a@90-100", 1}, {"a@95-105", 3}, {"a@101-111", 2}, {"a@102-112", 6}, {"a@106-116", 4}}));
}

TEST(SlidingWindowTest, SuppressEmitsEachWindowOnceAfterItsInclusiveEndHasClosed) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_and_grace(10ms, 2ms))
                  .count()
                  .suppress(Suppressed::until_window_closes()),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 5).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 12).ok());  // Close time 10: [0,10] is still open...
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());  // ... and takes a record at its end.
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(in.pipe_input("b", "x", 13).ok());  // Close time 11: [0,10] has closed.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 3}}));
  ASSERT_TRUE(in.pipe_input("c", "x", 40).ok());
  EXPECT_EQ(read_all(out),
            (KVs{{"a@2-12", 2}, {"b@2-12", 1}, {"b@3-13", 2}, {"a@6-16", 1}, {"b@13-23", 1}}));
}

// "key@start-end=value@timestamp": what a final result says, and when.
template <typename V>
std::vector<S> read_stamped(TestOutputTopic<S, V>& topic) {
  auto records = topic.read_records_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  std::vector<S> out;
  if (!records.ok()) return out;
  for (const auto& r : *records) {
    out.push_back(*r.key + "=" + (r.value ? std::to_string(*r.value) : S("<null>")) + "@" +
                  std::to_string(r.timestamp));
  }
  return out;
}

// emit_strategy(on_window_close): nothing while a window is open; once stream time - grace
// passes its inclusive end, its final count, once, with its largest record timestamp, in
// order of window end, then key.
TEST(SlidingWindowTest, EmitOnWindowCloseForwardsEachWindowOnceAfterItsInclusiveEnd) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SlidingWindows::of_time_difference_and_grace(10ms, 2ms))
                  .emit_strategy(EmitStrategy::on_window_close())
                  .count(Materialized<S, I64>::as("counts")),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 5).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 12).ok());  // Close time 10: [0,10] is still open...
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());  // ... and takes a record at its end.
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(in.pipe_input("b", "x", 13).ok());  // Close time 11: [0,10] has closed.
  EXPECT_EQ(read_stamped(out), (std::vector<S>{"a@0-10=3@10"}));
  ASSERT_TRUE(in.pipe_input("c", "x", 40).ok());  // Close time 38.
  EXPECT_EQ(read_stamped(out), (std::vector<S>{"a@2-12=2@10", "b@2-12=1@12", "b@3-13=2@13",
                                               "a@6-16=1@10", "b@13-23=1@13"}));
  // Within grace, out of order: makes [29,39], joins [30,40] and makes its right window
  // [40,50], all still open.
  ASSERT_TRUE(in.pipe_input("c", "x", 39).ok());
  // Late: 20 + 10 + 1 <= 38, every window it could touch has closed.
  ASSERT_TRUE(in.pipe_input("a", "x", 20).ok());
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(driver->metrics().dropped_late, 1u);
  ASSERT_TRUE(in.pipe_input("d", "x", 60).ok());  // Close time 58.
  EXPECT_EQ(read_stamped(out), (std::vector<S>{"c@29-39=1@39", "c@30-40=2@40", "c@40-50=1@40"}));
  // The store still answers queries, with the windows' final counts.
  auto store = driver->get_window_store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->fetch("c", 30), std::optional<I64>(2));
  // Its emit position is a logged store of its own; there is no suppress buffer.
  EXPECT_TRUE(driver->topology().is_internal_topic("counts-emit-position-changelog"));
  EXPECT_EQ(driver->topology().describe().to_string().find("SUPPRESS"), std::string::npos);
}

// On random input with many keys, out-of-order records within grace, and late and partly
// late records: emit on window close gives exactly what suppress(until_window_closes) gives
// on the same aggregation (keys, values, timestamps and order), whether the window store
// was asked to cache or not, and each window at most once.
class SlidingEmitOnCloseRandomisedTest : public ::testing::TestWithParam<bool> {};

TEST_P(SlidingEmitOnCloseRandomisedTest, OutputEqualsSuppressUntilWindowCloses) {
  const bool rocksdb = GetParam();
  const SlidingWindows windows = SlidingWindows::of_time_difference_and_grace(10ms, 15ms);
  StreamsBuilder builder;
  auto grouped = builder.stream<S, S>("in").group_by_key();
  to_labelled(grouped.windowed_by(windows)
                  .count(Materialized<S, I64>::as("plain").with_caching_disabled())
                  .suppress(Suppressed::until_window_closes()),
              "suppressed");
  to_labelled(grouped.windowed_by(windows)
                  .emit_strategy(EmitStrategy::on_window_close())
                  .count(Materialized<S, I64>::as("cached")),
              "on-close-cached");
  to_labelled(grouped.windowed_by(windows)
                  .emit_strategy(EmitStrategy::on_window_close())
                  .count(Materialized<S, I64>::as("uncached").with_caching_disabled()),
              "on-close");
  // Concatenated values: which records each window holds, and in what order they came.
  to_labelled(
      concat_aggregate(grouped, windows, Materialized<S, S>::as("concat").with_caching_disabled())
          .suppress(Suppressed::until_window_closes()),
      "concat-suppressed");
  to_labelled(
      concat_aggregate(grouped.windowed_by(windows).emit_strategy(EmitStrategy::on_window_close()),
                       Materialized<S, S>::as("concat-on-close")),
      "concat-on-close");
  std::shared_ptr<StoreSupplier> supplier;
  std::filesystem::path dir;
  if (rocksdb) {
    dir = std::filesystem::temp_directory_path() /
          ("runnel-sliding-eoc-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    supplier = std::make_shared<RocksDbStoreSupplier>(dir, "app");
  }
  auto driver = driver_for(builder, supplier);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto suppressed = driver->create_output_topic<S, I64>("suppressed");
  auto cached = driver->create_output_topic<S, I64>("on-close-cached");
  auto uncached = driver->create_output_topic<S, I64>("on-close");
  auto concat_suppressed = driver->create_output_topic<S, S>("concat-suppressed");
  auto concat_on_close = driver->create_output_topic<S, S>("concat-on-close");

  std::mt19937 rng(rocksdb ? 23 : 17);
  // The driver commits after every record, which flushes RocksDB: fewer records there.
  const int records = rocksdb ? 100 : 2000;
  std::vector<S> expected, got_cached, got_uncached;
  std::vector<KeyValue<S, S>> expected_concat, got_concat;
  auto drain = [&] {
    for (S& s : read_stamped(suppressed)) expected.push_back(std::move(s));
    for (S& s : read_stamped(cached)) got_cached.push_back(std::move(s));
    for (S& s : read_stamped(uncached)) got_uncached.push_back(std::move(s));
    for (auto& kv : read_all(concat_suppressed)) expected_concat.push_back(std::move(kv));
    for (auto& kv : read_all(concat_on_close)) got_concat.push_back(std::move(kv));
  };
  for (int i = 0; i < records; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%02u", static_cast<unsigned>(rng() % 20));
    // Mostly near the front of the stream, some up to 40 ms behind it (grace is 15).
    const Timestamp t = std::max<Timestamp>(0, i * 2 - static_cast<Timestamp>(rng() % 41));
    ASSERT_TRUE(in.pipe_input(key, std::to_string(i) + ";", t).ok());
    // Both at every step: the same windows close at the same records.
    drain();
    ASSERT_EQ(got_uncached, expected) << "after record " << i;
  }
  ASSERT_GT(driver->metrics().dropped_late, 0u);
  ASSERT_GT(expected.size(), static_cast<std::size_t>(records) / 2);
  EXPECT_EQ(got_cached, expected);
  EXPECT_EQ(got_concat, expected_concat);
  std::set<S> windows_seen;
  for (const auto& kv : got_concat) EXPECT_TRUE(windows_seen.insert(*kv.key).second) << *kv.key;
  driver.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(InMemoryAndRocksDb, SlidingEmitOnCloseRandomisedTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RocksDb" : "InMemory";
                         });

TEST(SlidingWindowTest, DescribeNamesProcessorsAndStoresAsKafkaStreams) {
  StreamsBuilder builder;
  auto grouped = builder.stream<S, I64>("in").group_by_key();
  grouped.windowed_by(SlidingWindows::of_time_difference_without_grace(10ms)).count();
  grouped.windowed_by(SlidingWindows::of_time_difference_without_grace(10ms))
      .reduce([](I64 a, I64 b) { return a + b; });
  Topology topology = builder.build();
  const std::string expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
      "      --> KSTREAM-AGGREGATE-0000000002, KSTREAM-REDUCE-0000000004\n"
      "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: "
      "[KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
      "      --> none\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "    Processor: KSTREAM-REDUCE-0000000004 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000003])\n"
      "      --> none\n"
      "      <-- KSTREAM-SOURCE-0000000000\n"
      "\n";
  EXPECT_EQ(topology.describe().to_string(), expected);
  // Both stores are change-logged, as the other window stores.
  EXPECT_TRUE(topology.is_internal_topic("KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog"));
  EXPECT_TRUE(topology.is_internal_topic("KSTREAM-REDUCE-STATE-STORE-0000000003-changelog"));
}

TEST(SlidingWindowTest, InvalidWindowsFailTheBuild) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(SlidingWindows::of_time_difference_and_grace(-1ms, 1ms))
      .count();
  TopologyTestDriver::Config config;
  auto driver = TopologyTestDriver::create(builder.build(), config);
  ASSERT_FALSE(driver.ok());
  EXPECT_NE(driver.status().message().find("SlidingWindows"), std::string::npos) << driver.status();
}

// The brute-force model: every record (key, t) that was not dropped makes its left window
// [max(0, t - diff), max(0, t - diff) + diff] and, when another record of the key falls in
// (t, t + diff + 1], its right window [t + 1, t + 1 + diff]; a window holds every record
// in it. Records are sent either in time (t >= close time) or too late for any window
// (t + diff + 1 <= close time), so that no record is taken by some windows and refused by
// others, and the model needs no notion of a window's history.
struct Sent {
  S key;
  Timestamp t;
  S value;
};

struct ModelWindow {
  I64 count = 0;
  S concat;  // Values in arrival order.
};

std::map<S, ModelWindow> brute_force(const std::vector<Sent>& records, Timestamp diff) {
  std::map<S, std::set<Timestamp>> starts;  // Per key.
  for (const Sent& r : records) {
    starts[r.key].insert(std::max<Timestamp>(0, r.t - diff));
    const bool followed = std::any_of(records.begin(), records.end(), [&](const Sent& o) {
      return o.key == r.key && o.t > r.t && o.t <= r.t + diff + 1;
    });
    if (followed) starts[r.key].insert(r.t + 1);
  }
  std::map<S, ModelWindow> out;
  for (const auto& [key, key_starts] : starts) {
    for (Timestamp start : key_starts) {
      ModelWindow& w = out[label(Windowed<S>{key, Window{start, start + diff}})];
      for (const Sent& r : records) {
        if (r.key == key && r.t >= start && r.t <= start + diff) {
          ++w.count;
          w.concat += r.value;
        }
      }
    }
  }
  return out;
}

class SlidingWindowRandomisedTest : public ::testing::TestWithParam<bool> {};

TEST_P(SlidingWindowRandomisedTest, ResultsMatchABruteForceModelOfTheWindows) {
  const bool rocksdb = GetParam();
  constexpr Timestamp kDiff = 10;
  constexpr Timestamp kGrace = 15;
  const SlidingWindows windows = SlidingWindows::of_time_difference_and_grace(
      std::chrono::milliseconds(kDiff), std::chrono::milliseconds(kGrace));
  StreamsBuilder builder;
  auto grouped = builder.stream<S, S>("in").group_by_key();
  // Default retention for the count; a long one for the aggregate, to read every window back.
  to_labelled(grouped.windowed_by(windows).count(), "counts");
  to_labelled(
      concat_aggregate(grouped, windows, Materialized<S, S>::as("concat").with_retention(24h)),
      "concats");
  std::shared_ptr<StoreSupplier> supplier;
  std::filesystem::path dir;
  if (rocksdb) {
    dir = std::filesystem::temp_directory_path() /
          ("runnel-sliding-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    supplier = std::make_shared<RocksDbStoreSupplier>(dir, "app");
  }
  auto driver = driver_for(builder, supplier);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto counts_out = driver->create_output_topic<S, I64>("counts");
  auto concats_out = driver->create_output_topic<S, S>("concats");

  std::mt19937 rng(rocksdb ? 11 : 5);
  std::vector<Sent> accepted;
  std::uint64_t late = 0;
  Timestamp stream_time = -1;
  // The driver commits after every record, which flushes RocksDB: fewer records there.
  const int records = rocksdb ? 250 : 2000;
  for (int i = 0; i < records; ++i) {
    const S key = "k" + std::to_string(rng() % 3);
    // Mostly near the front of the stream, some up to 40 ms behind it.
    const Timestamp t = std::max<Timestamp>(0, i * 3 - static_cast<Timestamp>(rng() % 41));
    const Timestamp close_time = std::max(stream_time, t) - kGrace;
    const bool in_time = t >= close_time;
    const bool too_late = t + kDiff + 1 <= close_time;
    if (!in_time && !too_late) continue;  // Partly late: outside what the model describes.
    const S value = std::to_string(i) + ";";
    ASSERT_TRUE(in.pipe_input(key, value, t).ok());
    stream_time = std::max(stream_time, t);
    if (in_time) {
      accepted.push_back(Sent{key, t, value});
    } else {
      ++late;
    }
  }
  ASSERT_GT(late, 0u);
  // Each of the two aggregations drops and counts each late record.
  EXPECT_EQ(driver->metrics().dropped_late, 2 * late);

  const std::map<S, ModelWindow> model = brute_force(accepted, kDiff);
  std::map<S, I64> last_count;
  for (const auto& kv : read_all(counts_out)) last_count[*kv.key] = *kv.value;
  std::map<S, S> last_concat;
  for (const auto& kv : read_all(concats_out)) last_concat[*kv.key] = *kv.value;
  // Exactly the model's windows were ever emitted (none empty, none missing), each last with
  // the model's result.
  ASSERT_EQ(last_count.size(), model.size());
  ASSERT_EQ(last_concat.size(), model.size());
  for (const auto& [window, expected] : model) {
    EXPECT_EQ(last_count[window], expected.count) << window;
    EXPECT_EQ(last_concat[window], expected.concat) << window;
  }
  // The store holds the same.
  auto store = driver->get_window_store<S, S>("concat");
  ASSERT_TRUE(store.ok()) << store.status();
  std::size_t stored = 0;
  for (const S key : {"k0", "k1", "k2"}) {
    auto all = store->fetch(key, 0, stream_time + 1);
    ASSERT_TRUE(all.ok()) << all.status();
    for (const auto& [start, value] : *all) {
      const S window = label(Windowed<S>{key, Window{start, start + kDiff}});
      auto it = model.find(window);
      ASSERT_NE(it, model.end()) << window;
      EXPECT_EQ(value, it->second.concat) << window;
      ++stored;
    }
  }
  EXPECT_EQ(stored, model.size());
  driver.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(InMemoryAndRocksDb, SlidingWindowRandomisedTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RocksDb" : "InMemory";
                         });

}  // namespace sliding_window_test
}  // namespace runnel

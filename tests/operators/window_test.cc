// Windowed aggregations through the TopologyTestDriver: tumbling and hopping time windows,
// window boundaries, grace and late records, session windows and their merging, and
// suppress(until_window_closes).

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace window_test {

using S = std::string;
using I64 = std::int64_t;
using namespace std::chrono_literals;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
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

std::vector<KeyValue<S, I64>> read_all(TestOutputTopic<S, I64>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<KeyValue<S, I64>>{};
}

using KVs = std::vector<KeyValue<S, I64>>;

TEST(WindowTest, TumblingWindowsIncludeStartAndExcludeEnd) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms))
                  .count(Materialized<S, I64>::as("counts")),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  for (Timestamp t : {0, 5, 9}) ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
  auto store = driver->get_window_store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->fetch("a", 0), std::optional<I64>(3));
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 1}, {"a@0-10", 2}, {"a@0-10", 3}, {"a@10-20", 1}}));
  EXPECT_EQ(*store->fetch("a", 10), std::optional<I64>(1));
  // Retention is size + grace (10 ms): at stream time 10, window [0,10) has closed and expired.
  EXPECT_EQ(*store->fetch("a", 0), std::nullopt);
}

TEST(WindowTest, HoppingWindowsCountARecordInEveryWindowItFallsIn) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms).advance_by(5ms))
                  .count(),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 7).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 3).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 1}, {"a@5-15", 1}, {"a@0-10", 2}}));
}

TEST(WindowTest, RecordsPastWindowEndPlusGraceAreDroppedAndCounted) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms).grace(5ms))
                  .count(),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 14).ok());  // Stream time 14: [0,10) open until 15.
  ASSERT_TRUE(in.pipe_input("a", "x", 9).ok());   // In grace: counted.
  ASSERT_TRUE(in.pipe_input("b", "x", 15).ok());  // Stream time 15: [0,10) closes.
  ASSERT_TRUE(in.pipe_input("a", "x", 9).ok());   // Late: dropped.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 1}, {"a@10-20", 1}, {"a@0-10", 2}, {"b@10-20", 1}}));
  EXPECT_EQ(driver->metrics().dropped_late, 1u);
  EXPECT_EQ(driver->metrics().dropped, 1u);
}

TEST(WindowTest, WindowedTableKeysUseTheTimeWindowedSerde) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10ms))
      .count()
      .to_stream()
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<Windowed<S>, I64>(
      "out", std::make_shared<TimeWindowedSerde<S>>(std::make_shared<StringSerde>(), 10));
  ASSERT_TRUE(in.pipe_input("a", "x", 12).ok());
  auto record = out.read_record();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->key, (Windowed<S>{"a", Window{10, 20}}));
  EXPECT_EQ(record->value, 1);
}

TEST(WindowTest, SessionsMergeWhenARecordBridgesThem) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  // Retention gap + grace = 15 ms keeps [0,0] until the bridging record.
                  .windowed_by(SessionWindows::with_inactivity_gap(5ms).grace(10ms))
                  .count(Materialized<S, I64>::as("sessions")),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());  // 10 > 0 + gap: a second session.
  ASSERT_TRUE(in.pipe_input("a", "x", 5).ok());   // Within the gap of both: merges them.
  ASSERT_TRUE(in.pipe_input("a", "x", 15).ok());  // Extends the merged session.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-0", 1},
                                {"a@10-10", 1},
                                {"a@0-0", std::nullopt},
                                {"a@10-10", std::nullopt},
                                {"a@0-10", 3},
                                {"a@0-10", std::nullopt},
                                {"a@0-15", 4}}));
  auto store = driver->get_session_store<S, I64>("sessions");
  ASSERT_TRUE(store.ok()) << store.status();
  auto sessions = store->fetch("a");
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].first.window, (Window{0, 15}));
  EXPECT_EQ((*sessions)[0].second, 4);
}

TEST(WindowTest, SessionReduceAndLateSessions) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, I64>("in")
                  .group_by_key()
                  .windowed_by(SessionWindows::with_inactivity_gap(5ms).grace(2ms))
                  .reduce([](I64 a, I64 b) { return a + b; }),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, I64>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", 1, 0).ok());
  ASSERT_TRUE(in.pipe_input("a", 2, 3).ok());
  ASSERT_TRUE(in.pipe_input("b", 7, 30).ok());  // Stream time 30: close time 28.
  ASSERT_TRUE(in.pipe_input("a", 4, 1).ok());   // Its session [0,3] ended before 28: late.
  EXPECT_EQ(read_all(out),
            (KVs{{"a@0-0", 1}, {"a@0-0", std::nullopt}, {"a@0-3", 3}, {"b@30-30", 7}}));
  EXPECT_EQ(driver->metrics().dropped_late, 1u);
}

TEST(WindowTest, SuppressEmitsOnlyFinalResultsOnceWindowsClose) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms).grace(2ms))
                  .count()
                  .suppress(Suppressed::until_window_closes()),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 2).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 9).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 11).ok());  // Close time 9: nothing closed yet.
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(in.pipe_input("b", "x", 12).ok());  // Close time 10: [0,10) closes.
  EXPECT_EQ(read_all(out), (KVs{{"a@0-10", 2}, {"b@0-10", 1}}));
  ASSERT_TRUE(in.pipe_input("c", "x", 40).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@10-20", 1}, {"b@10-20", 1}}));
  // The buffer is a logged store.
  EXPECT_TRUE(
      driver->topology().is_internal_topic("KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog"));
}

// emit_strategy(on_window_close): one final result per window, as suppress(until_window_closes)
// gives on the same input (out-of-order records within grace included), in order of window
// end, with no suppress buffer.
TEST(WindowTest, EmitOnWindowCloseGivesSuppressesFinalResultsWithoutABuffer) {
  std::vector<std::tuple<S, Timestamp>> input = {
      {"a", 1}, {"b", 2},  {"a", 9},  {"a", 11}, {"b", 3},  {"c", 7},  {"b", 12}, {"a", 8},
      {"a", 5}, {"c", 25}, {"b", 21}, {"a", 19}, {"a", 40}, {"b", 38}, {"c", 33}, {"a", 70}};
  auto run = [&](bool emit_on_close) {
    StreamsBuilder builder;
    auto windowed = builder.stream<S, S>("in").group_by_key().windowed_by(
        TimeWindows::of_size(10ms).advance_by(5ms).grace(3ms));
    if (emit_on_close) {
      to_labelled(windowed.emit_strategy(EmitStrategy::on_window_close()).count(), "out");
    } else {
      to_labelled(windowed.count().suppress(Suppressed::until_window_closes()), "out");
    }
    auto driver = driver_for(builder);
    auto in = driver->create_input_topic<S, S>("in");
    auto out = driver->create_output_topic<S, I64>("out");
    for (const auto& [key, t] : input) EXPECT_TRUE(in.pipe_input(key, "x", t).ok());
    // a@19 in [10,20) at close time 22 and c@33 in [25,35) at close time 35: late.
    EXPECT_EQ(driver->metrics().dropped_late, 2u);
    if (emit_on_close) {
      // No suppress buffer: the window store and its emit position only.
      const std::string described = driver->topology().describe().to_string();
      EXPECT_EQ(described.find("KTABLE-SUPPRESS"), std::string::npos);
      EXPECT_NE(described.find("-emit-position"), std::string::npos);
    }
    return read_all(out);
  };
  const KVs suppressed = run(false);
  const KVs on_close = run(true);
  EXPECT_EQ(on_close, suppressed);
  // One output per window.
  std::map<S, int> per_window;
  for (const auto& kv : on_close) EXPECT_EQ(++per_window[*kv.key], 1) << *kv.key;
  // a@1, a@9 and, within grace, a@8 and a@5.
  EXPECT_EQ(on_close.front(), (KeyValue<S, I64>{"a@0-10", 4}));
}

// Random timestamps (some out of order) against a model of windows, grace and stream time.
TEST(WindowTest, RandomisedHoppingCountsMatchAReferenceModel) {
  const TimeWindows windows = TimeWindows::of_size(20ms).advance_by(5ms).grace(7ms);
  StreamsBuilder builder;
  builder.stream<S, S>("in").group_by_key().windowed_by(windows).count(
      Materialized<S, I64>::as("counts").with_retention(1h));
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  std::mt19937 rng(7);
  std::map<std::tuple<S, Timestamp>, I64> model;
  Timestamp stream_time = -1;
  std::uint64_t late = 0;
  for (int i = 0; i < 3000; ++i) {
    const S key = "k" + std::to_string(rng() % 5);
    const Timestamp t = std::max<Timestamp>(0, i - static_cast<Timestamp>(rng() % 40));
    ASSERT_TRUE(in.pipe_input(key, "v", t).ok());
    stream_time = std::max(stream_time, t);
    // Plain model: a record counts in each window [s, s + 20) with s % 5 == 0 and
    // s <= t < s + 20, unless stream time - grace >= s + 20.
    for (Timestamp s = 0; s <= t; s += 5) {
      if (t >= s + 20) continue;
      if (stream_time - 7 >= s + 20) {
        ++late;
      } else {
        ++model[{key, s}];
      }
    }
  }
  EXPECT_EQ(driver->metrics().dropped_late, late);
  auto store = driver->get_window_store<S, I64>("counts");
  ASSERT_TRUE(store.ok());
  for (const auto& [window, count] : model) {
    EXPECT_EQ(*store->fetch(std::get<0>(window), std::get<1>(window)), std::optional<I64>(count))
        << std::get<0>(window) << "@" << std::get<1>(window);
  }
}

}  // namespace window_test
}  // namespace runnel

// suppress(until_window_closes) through the TopologyTestDriver: for every kind of window
// (tumbling, hopping, sliding, session), with records out of order within and beyond grace,
// each window's final result is emitted exactly once, as soon as and not before its window
// can no longer change; the session-gap rule; buffer bounds that shut the task down.

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace suppress_test {

using S = std::string;
using I64 = std::int64_t;
using KVs = std::vector<KeyValue<S, I64>>;
using namespace std::chrono_literals;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(builder.build(), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

// "key@start-end", so that windowed outputs compare as plain strings.
S label(const Windowed<S>& w) {
  return w.key + "@" + std::to_string(w.window.start_ms) + "-" + std::to_string(w.window.end_ms);
}

Window window_of(const S& label) {
  long long start = 0;
  long long end = 0;
  const auto at = label.find('@');
  EXPECT_EQ(std::sscanf(label.c_str() + at + 1, "%lld-%lld", &start, &end), 2) << label;
  return Window{start, end};
}

void to_labelled(const KTable<Windowed<S>, I64>& table, const S& topic) {
  table.to_stream()
      .map([](const Windowed<S>& k, const std::optional<I64>& v) {
        return KeyValue<S, I64>(label(k), v);
      })
      .to(topic);
}

KVs read_all(TestOutputTopic<S, I64>& topic) {
  auto records = topic.read_key_values_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : KVs{};
}

enum class Kind { kTumbling, kHopping, kSliding, kSession };

constexpr I64 kSize = 10;  // Window size, sliding time difference, session gap.
constexpr I64 kGrace = 6;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kTumbling:
      return "Tumbling";
    case Kind::kHopping:
      return "Hopping";
    case Kind::kSliding:
      return "Sliding";
    case Kind::kSession:
      return "Session";
  }
  return "?";
}

// A windowed count of `in`, without caching (every update of a window is forwarded) and with
// a retention long enough that no session the aggregation could still merge is dropped.
KTable<Windowed<S>, I64> windowed_count(StreamsBuilder& builder, Kind kind) {
  auto grouped = builder.stream<S, S>("in").group_by_key();
  auto m = Materialized<S, I64>().with_caching_disabled().with_retention(1h);
  switch (kind) {
    case Kind::kTumbling:
      return grouped
          .windowed_by(TimeWindows::of_size(std::chrono::milliseconds(kSize))
                           .grace(std::chrono::milliseconds(kGrace)))
          .count(m);
    case Kind::kHopping:
      return grouped
          .windowed_by(TimeWindows::of_size(std::chrono::milliseconds(kSize))
                           .advance_by(std::chrono::milliseconds(kSize / 2))
                           .grace(std::chrono::milliseconds(kGrace)))
          .count(m);
    case Kind::kSliding:
      return grouped
          .windowed_by(SlidingWindows::of_time_difference_and_grace(
              std::chrono::milliseconds(kSize), std::chrono::milliseconds(kGrace)))
          .count(m);
    case Kind::kSession:
      return grouped
          .windowed_by(SessionWindows::with_inactivity_gap(std::chrono::milliseconds(kSize))
                           .grace(std::chrono::milliseconds(kGrace)))
          .count(m);
  }
  return grouped.windowed_by(TimeWindows::of_size(1ms)).count(m);
}

// The plain rule of when a window can no longer change, by stream time: a later record for
// it would be late. Time windows [start, end): a record needs t < end and t >= stream time -
// grace. Sliding windows [start, end]: t <= end. Sessions [start, end]: a record at up to
// end + gap still joins (and extends) the session.
bool is_final(Kind kind, const Window& w, Timestamp stream_time) {
  switch (kind) {
    case Kind::kTumbling:
    case Kind::kHopping:
      return w.end_ms <= stream_time - kGrace;
    case Kind::kSliding:
      return w.end_ms < stream_time - kGrace;
    case Kind::kSession:
      return w.end_ms + kSize < stream_time - kGrace;
  }
  return false;
}

struct ModelCase {
  Kind kind;
  I64 max_delay;  // Records come up to this much before the stream time; > grace: some late.
};

class SuppressModelTest : public ::testing::TestWithParam<ModelCase> {};

// The unsuppressed table (every update, tombstones for merged-away sessions) is the model's
// input: after each record, the model holds each live window's latest value. The suppressed
// output must then hold, for each window that is final by the plain rule, exactly one
// result, equal to the window's value, emitted at the first record after which the rule
// holds; no window may change after its result; no window that is not final is emitted.
TEST_P(SuppressModelTest, EmitsEachWindowsFinalValueOnceExactlyWhenItCanNoLongerChange) {
  const ModelCase c = GetParam();
  StreamsBuilder builder;
  KTable<Windowed<S>, I64> counts = windowed_count(builder, c.kind);
  to_labelled(counts, "all");
  to_labelled(counts.suppress(Suppressed::until_window_closes()), "final");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto all = driver->create_output_topic<S, I64>("all");
  auto final_out = driver->create_output_topic<S, I64>("final");

  std::mt19937 rng(static_cast<unsigned>(c.max_delay) * 31 + static_cast<unsigned>(c.kind));
  std::map<S, I64> live;  // Each live window's latest value.
  std::set<S> emitted;
  std::map<S, I64> plain_counts;  // Time windows only: counted from the records themselves.
  Timestamp stream_time = -1;
  Timestamp next = 0;
  std::size_t results = 0;
  for (int i = 0; i < 1500; ++i) {
    // Mostly advancing by 0..3 ms, with some records up to max_delay behind.
    next += static_cast<Timestamp>(rng() % 4);
    Timestamp t = next;
    if (rng() % 4 == 0)
      t = std::max<Timestamp>(0, next - static_cast<Timestamp>(rng() % c.max_delay));
    const S key = "k" + std::to_string(rng() % 4);
    ASSERT_TRUE(in.pipe_input(key, "v", t).ok());
    stream_time = std::max(stream_time, t);
    if (c.kind == Kind::kTumbling || c.kind == Kind::kHopping) {
      // Time windows from scratch: the record counts in each window [s, s + size), s a
      // multiple of the advance, that covers t and has not closed.
      const I64 advance = c.kind == Kind::kTumbling ? kSize : kSize / 2;
      for (I64 s = t / advance * advance; s > t - kSize && s >= 0; s -= advance) {
        if (!is_final(c.kind, Window{s, s + kSize}, stream_time)) {
          ++plain_counts[key + "@" + std::to_string(s) + "-" + std::to_string(s + kSize)];
        }
      }
    }

    for (const KeyValue<S, I64>& update : read_all(all)) {
      const S& window = *update.key;
      if (c.kind == Kind::kSession && !update.value && emitted.count(window) != 0) {
        // The session aggregation (like Kafka Streams') accepts a record older than close
        // time when it bridges into a session that is still open: the closed session is
        // merged away after its final result, which suppress cannot take back.
        live.erase(window);
        continue;
      }
      ASSERT_EQ(emitted.count(window), 0u)
          << window << " changed after its final result, at stream time " << stream_time;
      if (update.value) {
        live[window] = *update.value;
      } else {
        live.erase(window);
      }
    }
    for (const KeyValue<S, I64>& result : read_all(final_out)) {
      ++results;
      const S& window = *result.key;
      ASSERT_TRUE(result.value.has_value()) << window;
      ASSERT_TRUE(emitted.insert(window).second) << window << " emitted twice";
      ASSERT_EQ(live.count(window), 1u) << window << " emitted but not a live window";
      EXPECT_EQ(*result.value, live[window]) << window;
      if (c.kind == Kind::kTumbling || c.kind == Kind::kHopping) {
        EXPECT_EQ(*result.value, plain_counts[window]) << window;
      }
      EXPECT_TRUE(is_final(c.kind, window_of(window), stream_time))
          << window << " emitted early, at stream time " << stream_time;
    }
    for (const auto& [window, value] : live) {
      if (is_final(c.kind, window_of(window), stream_time)) {
        ASSERT_EQ(emitted.count(window), 1u)
            << window << " is final at stream time " << stream_time << " but was not emitted";
      }
    }
  }
  // Enough happened for the test to mean something.
  EXPECT_GT(results, 100u);
  if (c.max_delay > kGrace + kSize) {
    EXPECT_GT(driver->metrics().dropped_late, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    WindowKindsAndDelays, SuppressModelTest,
    ::testing::Values(ModelCase{Kind::kTumbling, kGrace}, ModelCase{Kind::kTumbling, 40},
                      ModelCase{Kind::kHopping, kGrace}, ModelCase{Kind::kHopping, 40},
                      ModelCase{Kind::kSliding, kGrace}, ModelCase{Kind::kSliding, 40},
                      ModelCase{Kind::kSession, kGrace}, ModelCase{Kind::kSession, 40}),
    [](const ::testing::TestParamInfo<ModelCase>& info) {
      return std::string(kind_name(info.param.kind)) +
             (info.param.max_delay > kGrace ? "BeyondGrace" : "WithinGrace");
    });

// Issue #17: with a 5 min gap and 1 min grace, a session [10m, 10m] was emitted as final at
// stream time 12m, and again as [10m, 14m]. A record at end + gap still joins the session
// while it is not late, so the session is final only once stream time > end + gap + grace.
TEST(SuppressTest, SessionIsHeldUntilStreamTimePassesEndPlusGapPlusGrace) {
  constexpr I64 kMinute = 60'000;
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SessionWindows::with_inactivity_gap(5min).grace(1min))
                  // The default retention (gap + grace + 1 ms) keeps [10m, 10m] at stream
                  // time 16m, for the record that extends it.
                  .count()
                  .suppress(Suppressed::until_window_closes()),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 10 * kMinute).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 12 * kMinute).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 16 * kMinute).ok());  // = end + gap + grace of a's.
  EXPECT_TRUE(out.is_empty());
  // Not late (16m - grace = 15m), and within a's gap: a's session grows to [10m, 15m].
  ASSERT_TRUE(in.pipe_input("a", "x", 15 * kMinute).ok());
  EXPECT_EQ(driver->metrics().dropped_late, 0u);
  EXPECT_TRUE(out.is_empty());
  // Stream time 21m passes nothing yet; 21m + 1 ms passes 15m + gap + grace: a's one session
  // is final, b's [12m, 16m] not before 22m + 1 ms.
  ASSERT_TRUE(in.pipe_input("c", "x", 21 * kMinute).ok());
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(in.pipe_input("c", "x", 21 * kMinute + 1).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@600000-900000", 2}}));
  ASSERT_TRUE(in.pipe_input("c", "x", 22 * kMinute + 1).ok());
  EXPECT_EQ(read_all(out), (KVs{{"b@720000-960000", 2}}));
}

TEST(SuppressTest, AMergedAwaySessionIsNeverEmitted) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(SessionWindows::with_inactivity_gap(10ms).grace(10ms))
                  .count(Materialized<S, I64>().with_retention(1h))
                  .suppress(Suppressed::until_window_closes()),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 20).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());  // Bridges [0,0] and [20,20], not late.
  ASSERT_TRUE(in.pipe_input("b", "x", 100).ok());
  EXPECT_EQ(read_all(out), (KVs{{"a@0-20", 3}}));
}

TEST(SuppressTest, ABoundedBufferThatNeverOverflowsEmitsAsAnUnboundedOne) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms))
                  .count()
                  .suppress(Suppressed::until_window_closes(
                      BufferConfig::max_records(2).shut_down_when_full())),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, I64>("out");
  // Never more than two open windows once the closed ones went out.
  for (Timestamp t = 0; t < 100; t += 3) {
    ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
    ASSERT_TRUE(in.pipe_input("b", "x", t).ok());
  }
  KVs results = read_all(out);
  ASSERT_EQ(results.size(), 18u);  // Windows [0,10) to [80,90) of a and b.
  EXPECT_EQ(results.front(), (KeyValue<S, I64>("a@0-10", 4)));
}

TEST(SuppressTest, ABufferPastItsRecordBoundFailsTheTaskNamingTheStoreAndTheBound) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms).grace(50ms))
                  .count()
                  .suppress(Suppressed::until_window_closes(
                      BufferConfig::max_records(2).shut_down_when_full())),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("a", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("b", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());  // An update: still two records.
  const Status full = in.pipe_input("c", "x", 2);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("KTABLE-SUPPRESS-STATE-STORE-"), std::string::npos) << full;
  EXPECT_NE(full.message().find("max_records 2"), std::string::npos) << full;
}

TEST(SuppressTest, ABufferPastItsByteBoundFailsTheTask) {
  StreamsBuilder builder;
  to_labelled(builder.stream<S, S>("in")
                  .group_by_key()
                  .windowed_by(TimeWindows::of_size(10ms).grace(50ms))
                  .count()
                  .suppress(Suppressed::until_window_closes(
                      BufferConfig::max_bytes(150).shut_down_when_full())),
              "out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  // An entry: 8 (end) + key + 8 (start) bytes of key, 8 (timestamp) + 8 (count) of value.
  const S key(60, 'k');
  ASSERT_TRUE(in.pipe_input(key + "1", "x", 0).ok());  // 93 bytes.
  ASSERT_TRUE(in.pipe_input(key + "1", "x", 1).ok());  // Replaced: still 93.
  const Status full = in.pipe_input(key + "2", "x", 2);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("max_bytes 150"), std::string::npos) << full;
}

TEST(SuppressTest, TheBufferIsAnInMemoryLoggedStoreNamedAsKafkaStreams) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10ms))
      .count()
      .suppress(Suppressed::until_window_closes());
  Topology topology = builder.build();
  const internal::StoreDef* def = topology.store("KTABLE-SUPPRESS-STATE-STORE-0000000004");
  ASSERT_NE(def, nullptr);
  EXPECT_TRUE(def->in_memory);
  EXPECT_TRUE(def->logging);
  EXPECT_FALSE(def->caching);
  EXPECT_TRUE(topology.is_internal_topic("KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog"));
}

}  // namespace suppress_test
}  // namespace runnel

// suppress(until_time_limit) through the TopologyTestDriver: rate limiting of plain and
// windowed tables (one output per key per time limit, the latest value, tombstones included),
// buffers that emit early or shut the task down when full, with_name's store and changelog,
// and a randomised run against a plain model of Kafka Streams' KTableSuppressProcessor.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace suppress_time_limit_test {

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

// An output record as (key, value or nullopt, timestamp), to compare whole lists.
using Out = std::tuple<S, std::optional<S>, Timestamp>;

std::vector<Out> read_all(TestOutputTopic<S, S>& topic) {
  std::vector<Out> out;
  auto records = topic.read_records_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return out;
  for (auto& r : *records) out.emplace_back(*r.key, r.value, r.timestamp);
  return out;
}

std::optional<S> v(const char* s) { return S(s); }
const std::optional<S> kTombstone;

// in (a table) -> suppress -> out.
struct TableCase {
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<S, S>> in;
  std::optional<TestOutputTopic<S, S>> out;
};

TableCase suppressed_table(const Suppressed& suppressed, bool caching = true) {
  StreamsBuilder builder;
  auto m = Materialized<S, S>::as("table");
  m.caching = caching;
  builder.table<S, S>("in", {}, m).suppress(suppressed).to_stream().to("out");
  TableCase c;
  c.driver = driver_for(builder);
  if (c.driver) {
    c.in.emplace(c.driver->create_input_topic<S, S>("in"));
    c.out.emplace(c.driver->create_output_topic<S, S>("out"));
  }
  return c;
}

TEST(SuppressTimeLimitTest, ForwardsEachKeysLatestValueOnceTheTimeLimitAfterItsFirstUpdate) {
  TableCase c = suppressed_table(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("a", "a1", 0).ok());
  ASSERT_TRUE(c.in->pipe_input("a", "a2", 3).ok());
  ASSERT_TRUE(c.in->pipe_input("b", "b1", 4).ok());
  ASSERT_TRUE(c.in->pipe_input("a", "a3", 9).ok());
  EXPECT_TRUE(c.out->is_empty());
  // Stream time 10 = a's first update (0) + 10: a goes out with its latest value, at the
  // timestamp of that value's update; b waits until 14.
  ASSERT_TRUE(c.in->pipe_input("a", "a4", 10).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"a", v("a4"), 10}}));
  ASSERT_TRUE(c.in->pipe_input("c", "c1", 13).ok());
  EXPECT_TRUE(c.out->is_empty());
  ASSERT_TRUE(c.in->pipe_input("c", "c2", 14).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"b", v("b1"), 4}}));
  // a's next update starts a new wait from its own timestamp.
  ASSERT_TRUE(c.in->pipe_input("a", "a5", 15).ok());
  ASSERT_TRUE(c.in->pipe_input("x", "x", 24).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"c", v("c2"), 14}}));
  ASSERT_TRUE(c.in->pipe_input("x", "x", 25).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"a", v("a5"), 15}}));
}

TEST(SuppressTimeLimitTest, AnUpdateOutOfOrderKeepsTheKeysWaitAndIsForwardedWhenDue) {
  TableCase c = suppressed_table(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("a", "a1", 20).ok());
  // Older than the observed time by more than the limit: due at once, as in Kafka.
  ASSERT_TRUE(c.in->pipe_input("b", "b1", 5).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"b", v("b1"), 5}}));
  // An update of a waiting key with an older timestamp replaces the value, not the wait.
  ASSERT_TRUE(c.in->pipe_input("a", "a2", 12).ok());
  ASSERT_TRUE(c.in->pipe_input("x", "x", 29).ok());
  EXPECT_TRUE(c.out->is_empty());
  ASSERT_TRUE(c.in->pipe_input("x", "x", 30).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"a", v("a2"), 12}}));
}

TEST(SuppressTimeLimitTest, ATimeLimitOfZeroForwardsEveryUpdateAtOnce) {
  TableCase c = suppressed_table(Suppressed::until_time_limit(0ms, BufferConfig::unbounded()));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("a", "a1", 5).ok());
  ASSERT_TRUE(c.in->pipe_input("a", "a2", 5).ok());
  ASSERT_TRUE(c.in->pipe_input("b", "b1", 3).ok());
  EXPECT_EQ(read_all(*c.out),
            (std::vector<Out>{{"a", v("a1"), 5}, {"a", v("a2"), 5}, {"b", v("b1"), 3}}));
}

TEST(SuppressTimeLimitTest, ATombstoneIsBufferedAndForwardedLikeAValue) {
  TableCase c = suppressed_table(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("a", "a1", 0).ok());
  ASSERT_TRUE(c.in->pipe_input("x", "x", 10).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"a", v("a1"), 0}}));
  // Deleted and then deleted again: one tombstone, at the last deletion's timestamp.
  ASSERT_TRUE(c.in->pipe_input("a", std::nullopt, 12).ok());
  ASSERT_TRUE(c.in->pipe_input("a", std::nullopt, 15).ok());
  // Deleted and re-added within the limit: only the last value goes out.
  ASSERT_TRUE(c.in->pipe_input("b", "b1", 13).ok());
  ASSERT_TRUE(c.in->pipe_input("b", std::nullopt, 14).ok());
  ASSERT_TRUE(c.in->pipe_input("b", "b2", 16).ok());
  // x, waiting since 10, goes first.
  ASSERT_TRUE(c.in->pipe_input("x", "x", 23).ok());
  EXPECT_EQ(read_all(*c.out),
            (std::vector<Out>{{"x", v("x"), 23}, {"a", kTombstone, 15}, {"b", v("b2"), 16}}));
}

// The old value of an output is what downstream saw before (the prior value), so that an
// aggregation over the suppressed table subtracts exactly what it added.
TEST(SuppressTimeLimitTest, AnAggregationOfTheSuppressedTableSubtractsWhatItAdded) {
  StreamsBuilder builder;
  builder.table<S, I64>("in")
      .suppress(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()))
      .group_by([](const S&, const I64& v) { return KeyValue<S, I64>("all", v); })
      .reduce([](const I64& a, const I64& b) { return a + b; },
              [](const I64& a, const I64& b) { return a - b; })
      .to_stream()
      .to("sum");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, I64>("in");
  auto sum = driver->create_output_topic<S, I64>("sum");
  ASSERT_TRUE(in.pipe_input("a", 1, 0).ok());
  ASSERT_TRUE(in.pipe_input("x", 0, 10).ok());  // a=1 goes out.
  // a changes twice within one limit: the suppressed 2 never reached the sum, so the output
  // must replace 1 (not 2) by 3.
  ASSERT_TRUE(in.pipe_input("a", 2, 11).ok());
  ASSERT_TRUE(in.pipe_input("a", 3, 12).ok());
  ASSERT_TRUE(in.pipe_input("x", 0, 21).ok());
  std::optional<I64> last;
  while (!sum.is_empty()) {
    auto r = sum.read_value();
    ASSERT_TRUE(r.ok()) << r.status();
    last = *r;
  }
  EXPECT_EQ(last, std::optional<I64>(3));
}

TEST(SuppressTimeLimitTest, RateLimitsAWindowedTableByRecordTimeNotByWindowEnd) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(100ms))
      .count(Materialized<S, I64>().with_caching_disabled())
      .suppress(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()))
      .to_stream()
      .map([](const Windowed<S>& k, const std::optional<I64>& v) {
        return KeyValue<S, S>(k.key + "@" + std::to_string(k.window.start_ms),
                              v ? std::optional<S>(std::to_string(*v)) : std::nullopt);
      })
      .to("out");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  for (Timestamp t : {0, 2, 4, 6, 8}) ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
  EXPECT_TRUE(out.is_empty());
  // Long before the window [0, 100) ends, its count so far goes out, once per 10 ms.
  ASSERT_TRUE(in.pipe_input("a", "x", 10).ok());
  EXPECT_EQ(read_all(out), (std::vector<Out>{{"a@0", v("6"), 10}}));
  for (Timestamp t : {12, 15, 19}) ASSERT_TRUE(in.pipe_input("a", "x", t).ok());
  EXPECT_TRUE(out.is_empty());
  ASSERT_TRUE(in.pipe_input("a", "x", 105).ok());  // Window [100, 200) for a, and 12 + 10 passed.
  EXPECT_EQ(read_all(out), (std::vector<Out>{{"a@0", v("9"), 19}}));
  ASSERT_TRUE(in.pipe_input("b", "x", 115).ok());
  EXPECT_EQ(read_all(out), (std::vector<Out>{{"a@100", v("1"), 105}}));
}

// A session merged away is a tombstone of the windowed table: buffered and forwarded like any
// update (as Kafka's untilTimeLimit, which never drops tombstones), even when the session's
// own value never went out.
TEST(SuppressTimeLimitTest, ASessionMergedAwayGoesOutAsATombstone) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(SessionWindows::with_inactivity_gap(10ms).grace(1h))
      .count(Materialized<S, I64>().with_caching_disabled())
      .suppress(Suppressed::until_time_limit(100ms, BufferConfig::unbounded()))
      .to_stream()
      .map([](const Windowed<S>& k, const std::optional<I64>& v) {
        return KeyValue<S, S>(
            k.key + "@" + std::to_string(k.window.start_ms) + "-" + std::to_string(k.window.end_ms),
            v ? std::optional<S>(std::to_string(*v)) : std::nullopt);
      })
      .to("out");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 0).ok());
  ASSERT_TRUE(in.pipe_input("a", "x", 5).ok());  // [0, 0] merges into [0, 5].
  ASSERT_TRUE(in.pipe_input("b", "x", 200).ok());
  EXPECT_EQ(read_all(out), (std::vector<Out>{{"a@0-0", kTombstone, 5}, {"a@0-5", v("2"), 5}}));
}

TEST(SuppressTimeLimitTest, AFullEagerBufferEmitsItsEarliestRecordsFirstByRecordCount) {
  TableCase c = suppressed_table(Suppressed::until_time_limit(1h, BufferConfig::max_records(2)));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("b", "b1", 1).ok());
  ASSERT_TRUE(c.in->pipe_input("a", "a1", 2).ok());
  ASSERT_TRUE(c.in->pipe_input("b", "b2", 3).ok());  // An update: still two records.
  EXPECT_TRUE(c.out->is_empty());
  // A third key: the earliest buffered (b, first updated at 1) goes out early, with its latest
  // value; a second result for b is then possible within the same time limit.
  ASSERT_TRUE(c.in->pipe_input("c", "c1", 4).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"b", v("b2"), 3}}));
  ASSERT_TRUE(c.in->pipe_input("b", "b3", 5).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"a", v("a1"), 2}}));
  ASSERT_TRUE(c.in->pipe_input("d", "d1", 6).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"c", v("c1"), 4}}));
}

TEST(SuppressTimeLimitTest, AFullEagerBufferEmitsItsEarliestRecordsFirstByBytes) {
  // A stored entry: 8 (time) + key, and 8 (timestamp) + 1 (flags) + the value (a key's first
  // update in a fresh table has no old value): 8 + 2 + 8 + 1 + 10 = 29 bytes.
  TableCase c = suppressed_table(Suppressed::until_time_limit(1h, BufferConfig::max_bytes(60)));
  ASSERT_NE(c.driver, nullptr);
  const S value(10, 'v');
  ASSERT_TRUE(c.in->pipe_input("k2", value, 1).ok());
  ASSERT_TRUE(c.in->pipe_input("k1", value, 1).ok());  // 58 bytes: within the bound.
  EXPECT_TRUE(c.out->is_empty());
  // 87 bytes: the earliest goes out; at one time, in key byte order.
  ASSERT_TRUE(c.in->pipe_input("k3", value, 2).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"k1", value, 1}}));
  // A 31-byte value (a 50-byte entry) takes the room of both earlier ones.
  ASSERT_TRUE(c.in->pipe_input("k4", S(31, 'w'), 3).ok());
  EXPECT_EQ(read_all(*c.out), (std::vector<Out>{{"k2", value, 1}, {"k3", value, 2}}));
}

TEST(SuppressTimeLimitTest, AFullStrictBufferFailsTheTaskNamingTheStoreAndTheBound) {
  TableCase c = suppressed_table(
      Suppressed::until_time_limit(1h, BufferConfig::max_records(2).shut_down_when_full()));
  ASSERT_NE(c.driver, nullptr);
  ASSERT_TRUE(c.in->pipe_input("a", "1", 0).ok());
  ASSERT_TRUE(c.in->pipe_input("b", "1", 0).ok());
  ASSERT_TRUE(c.in->pipe_input("a", "2", 1).ok());
  const Status full = c.in->pipe_input("c", "1", 2);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("KTABLE-SUPPRESS-STATE-STORE-"), std::string::npos) << full;
  EXPECT_NE(full.message().find("max_records 2"), std::string::npos) << full;
  EXPECT_NE(full.message().find("until_time_limit"), std::string::npos) << full;
  EXPECT_TRUE(c.out->is_empty());
}

TEST(SuppressTimeLimitTest, AStrictBufferWithinItsBoundNeverFails) {
  TableCase c = suppressed_table(
      Suppressed::until_time_limit(10ms, BufferConfig::max_bytes(40).shut_down_when_full()));
  ASSERT_NE(c.driver, nullptr);
  // Entries of at most 25 bytes (8 + 2 + 8 + 1 + 4 + 1 + 1 with an old value), one at a time
  // once the due ones went out: each key is due when the next one comes.
  for (Timestamp t = 0; t < 200; t += 10) {
    ASSERT_TRUE(c.in->pipe_input("k" + std::to_string(t % 7), "v", t).ok()) << t;
  }
  EXPECT_EQ(read_all(*c.out).size(), 19u);
}

class SuppressTimeLimitCachingTest : public ::testing::TestWithParam<bool> {};

// The upstream count's cache flushes at each commit (after every piped record here), so what
// suppress sees and forwards is the same with the cache on and off.
TEST_P(SuppressTimeLimitCachingTest, RateLimitsACountWithTheCacheOnOrOff) {
  StreamsBuilder builder;
  auto m = Materialized<S, I64>::as("counts");
  m.caching = GetParam();
  builder.stream<S, S>("in")
      .group_by_key()
      .count(m)
      .suppress(Suppressed::until_time_limit(10ms, BufferConfig::max_records(100)))
      .to_stream()
      .map_values([](const I64& n) { return std::to_string(n); })
      .to("out");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  for (Timestamp t = 0; t <= 30; ++t) ASSERT_TRUE(in.pipe_input(t % 3 ? "a" : "b", "x", t).ok());
  // b waits from 0 and goes out at 10, a from 1 to 11, b from 12 to 22, a from 13 to 23.
  EXPECT_EQ(read_all(out),
            (std::vector<Out>{
                {"b", v("4"), 9}, {"a", v("8"), 11}, {"b", v("8"), 21}, {"a", v("16"), 23}}));
}

INSTANTIATE_TEST_SUITE_P(CacheOnAndOff, SuppressTimeLimitCachingTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Cached" : "Uncached";
                         });

TEST(SuppressTimeLimitTest, WithNameNamesTheProcessorTheStoreAndItsChangelog) {
  StreamsBuilder builder;
  builder.table<S, S>("in")
      .suppress(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()).with_name("rate"))
      .to_stream()
      .to("out");
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_NE(topology.node("rate"), nullptr);
  const internal::StoreDef* def = topology.store("rate-store");
  ASSERT_NE(def, nullptr);
  EXPECT_TRUE(def->in_memory);
  EXPECT_TRUE(def->logging);
  EXPECT_FALSE(def->caching);
  EXPECT_TRUE(topology.is_internal_topic("rate-store-changelog"));

  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(std::move(topology), config);
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto in = (*driver)->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("a", "1", 0).ok());
  const std::vector<S> topics = (*driver)->produced_topic_names();
  EXPECT_NE(std::find(topics.begin(), topics.end(), "app-rate-store-changelog"), topics.end());
}

TEST(SuppressTimeLimitTest, WithNameNamesAWindowSuppressionToo) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10ms))
      .count()
      .suppress(Suppressed::until_window_closes().with_name("finals"));
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  EXPECT_NE(topology.node("finals"), nullptr);
  EXPECT_NE(topology.store("finals-store"), nullptr);
  EXPECT_TRUE(topology.is_internal_topic("finals-store-changelog"));
}

TEST(SuppressTimeLimitTest, UntilWindowClosesOnATableThatIsNotWindowedIsATopologyError) {
  StreamsBuilder builder;
  builder.table<S, S>("in").suppress(Suppressed::until_window_closes());
  Topology topology = builder.build();
  ASSERT_FALSE(topology.status().ok());
  EXPECT_NE(topology.status().message().find("until_time_limit"), std::string::npos)
      << topology.status();
}

// A plain model of Kafka Streams' suppress with a record-time buffer: per key the time of its
// first update since its last output, its latest value and timestamp and its prior value;
// evicted by (time, key) once due, then the earliest while over the record bound.
struct Model {
  struct Entry {
    std::optional<S> value;
    Timestamp timestamp;
    std::optional<S> prior;
  };
  I64 limit;
  std::size_t max_records;
  Timestamp observed = -1;
  std::map<std::pair<Timestamp, S>, Entry> buffer;
  std::map<S, Timestamp> time_of;
  std::map<S, S> table;       // The input table, for old values.
  std::map<S, S> downstream;  // What the outputs, applied in order, make.

  std::vector<Out> process(const S& key, const std::optional<S>& value, Timestamp t) {
    std::optional<S> old;
    if (table.count(key)) old = table[key];
    if (value) {
      table[key] = *value;
    } else {
      table.erase(key);
    }
    observed = std::max(observed, t);
    auto at = time_of.find(key);
    if (at == time_of.end()) {
      time_of[key] = t;
      buffer[{t, key}] = Entry{value, t, old};
    } else {
      Entry& e = buffer[{at->second, key}];
      e.value = value;
      e.timestamp = t;
    }
    std::vector<Out> out;
    auto pop = [&] {
      auto first = buffer.begin();
      const S& k = first->first.second;
      // The old value an output carries is what downstream held.
      EXPECT_EQ(first->second.prior,
                downstream.count(k) ? std::optional<S>(downstream[k]) : std::optional<S>());
      if (first->second.value) {
        downstream[k] = *first->second.value;
      } else {
        downstream.erase(k);
      }
      out.emplace_back(k, first->second.value, first->second.timestamp);
      time_of.erase(k);
      buffer.erase(first);
    };
    while (!buffer.empty() && buffer.begin()->first.first <= observed - limit) pop();
    while (buffer.size() > max_records) pop();
    return out;
  }
};

class SuppressTimeLimitModelTest : public ::testing::TestWithParam<std::tuple<I64, std::size_t>> {};

TEST_P(SuppressTimeLimitModelTest, ForwardsWhatAPlainModelOfKafkasSuppressForwards) {
  const auto [limit, max_records] = GetParam();
  const Suppressed suppressed =
      max_records == 0
          ? Suppressed::until_time_limit(std::chrono::milliseconds(limit),
                                         BufferConfig::unbounded())
          : Suppressed::until_time_limit(std::chrono::milliseconds(limit),
                                         BufferConfig::max_records(static_cast<I64>(max_records)));
  // The downstream table: the outputs applied in order, read back from a materialized copy.
  StreamsBuilder builder;
  KTable<S, S> suppressed_table = builder.table<S, S>("in").suppress(suppressed);
  suppressed_table.to_stream().to("out");
  auto driver = driver_for(builder);
  ASSERT_NE(driver, nullptr);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");

  Model model{limit, max_records == 0 ? SIZE_MAX : max_records};
  std::mt19937 rng(static_cast<unsigned>(limit * 131 + static_cast<I64>(max_records)));
  Timestamp next = 0;
  std::size_t outputs = 0;
  std::size_t tombstones = 0;
  for (int i = 0; i < 2000; ++i) {
    next += static_cast<Timestamp>(rng() % 3);
    Timestamp t = next;
    if (rng() % 5 == 0) t = std::max<Timestamp>(0, next - static_cast<Timestamp>(rng() % 30));
    const S key = "k" + std::to_string(rng() % 12);
    std::optional<S> value;
    if (rng() % 6 != 0) value = "v" + std::to_string(i);
    ASSERT_TRUE(in.pipe_input(key, value, t).ok());
    const std::vector<Out> expected = model.process(key, value, t);
    const std::vector<Out> got = read_all(out);
    ASSERT_EQ(got, expected) << "after record " << i << " (" << key << " at " << t << ")";
    outputs += got.size();
    for (const Out& o : got) tombstones += std::get<1>(o) ? 0 : 1;
  }
  // Enough happened for the comparison to mean something.
  EXPECT_GT(outputs, 200u);
  EXPECT_GT(tombstones, 10u);
}

INSTANTIATE_TEST_SUITE_P(LimitsAndBounds, SuppressTimeLimitModelTest,
                         ::testing::Values(std::make_tuple(I64{0}, std::size_t{0}),
                                           std::make_tuple(I64{7}, std::size_t{0}),
                                           std::make_tuple(I64{25}, std::size_t{0}),
                                           std::make_tuple(I64{25}, std::size_t{4}),
                                           std::make_tuple(I64{1000000}, std::size_t{3})),
                         [](const ::testing::TestParamInfo<std::tuple<I64, std::size_t>>& info) {
                           const std::size_t bound = std::get<1>(info.param);
                           return "Limit" + std::to_string(std::get<0>(info.param)) +
                                  (bound == 0 ? S("Unbounded")
                                              : "MaxRecords" + std::to_string(bound));
                         });

}  // namespace suppress_time_limit_test
}  // namespace runnel

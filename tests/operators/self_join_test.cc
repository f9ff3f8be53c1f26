// The single.store.self.join rewrite (KIP-862): an inner join of a stream with itself runs
// as one self-join processor over one window store, and its output is the two-store join's,
// record for record and in order, through late, out-of-order, equal-time and null records
// and a restart that restores the store from its changelog.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "operators/topology_optimization.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"
#include "runtime/streams_config.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace {

using S = std::string;
using namespace std::chrono_literals;

const StreamsProperties kOptimizeAll{{"topology.optimization", "all"}};

struct Input {
  std::optional<S> key;
  std::optional<S> value;
  Timestamp timestamp;
};

struct Output {
  std::optional<S> key;
  std::optional<S> value;
  Timestamp timestamp;
  bool operator==(const Output&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Output& o) {
  return os << (o.key ? *o.key : "null") << "=" << (o.value ? *o.value : "null") << "@"
            << o.timestamp;
}

// A stream joined with itself, with a branch of the same source before and after the join
// writing to the same topic, so that the order of the join's results among the source's
// other children is checked too.
Topology self_join_topology(const JoinWindows& windows, bool optimize) {
  StreamsBuilder builder;
  KStream<S, S> in = builder.stream<S, S>("in");
  in.map_values([](const S& v) { return "before:" + v; }).to("out");
  in.join(
        in, [](const S& a, const S& b) { return a + "+" + b; }, windows)
      .to("out");
  in.map_values([](const S& v) { return "after:" + v; }).to("out");
  return optimize ? builder.build(kOptimizeAll) : builder.build();
}

std::vector<Output> run_driver(const std::vector<Input>& inputs, const JoinWindows& windows,
                               bool optimize,
                               std::shared_ptr<StoreSupplier> store_supplier = nullptr) {
  TopologyTestDriver::Config config;
  config.application_id = "app";
  config.store_supplier = std::move(store_supplier);
  auto driver = TopologyTestDriver::create(self_join_topology(windows, optimize), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  if (!driver.ok()) return {};
  auto in = (*driver)->create_input_topic<S, S>("in");
  auto out = (*driver)->create_output_topic<S, S>("out");
  for (const Input& input : inputs) {
    EXPECT_TRUE(in.pipe_input(input.key, input.value, input.timestamp).ok());
  }
  std::vector<Output> got;
  auto records = out.read_records_to_list();
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return got;
  for (const auto& r : *records) got.push_back({r.key, r.value, r.timestamp});
  return got;
}

// Records of a few keys whose times mostly move forward, with runs of equal times, records
// out of order within and beyond the grace period, and some null keys and values.
std::vector<Input> random_inputs(std::mt19937& rng, std::size_t count) {
  std::vector<Input> inputs;
  Timestamp t = 100;
  for (std::size_t i = 0; i < count; ++i) {
    Input input;
    const std::uint32_t roll = rng() % 100;
    Timestamp at = t;
    if (roll < 50) {
      t += rng() % 4;  // 0 included: equal times.
      at = t;
    } else if (roll < 60) {
      t += 10 + rng() % 30;
      at = t;
    } else if (roll < 90) {
      at = std::max<Timestamp>(0, t - static_cast<Timestamp>(rng() % 15));  // Out of order.
    } else {
      at = std::max<Timestamp>(0, t - 20 - static_cast<Timestamp>(rng() % 60));  // Late.
    }
    if (rng() % 40 != 0) input.key = "k" + std::to_string(rng() % 3);
    if (rng() % 40 != 0) input.value = "v" + std::to_string(i);
    input.timestamp = at;
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::size_t join_results(const std::vector<Output>& outputs) {
  std::size_t n = 0;
  for (const Output& o : outputs) n += o.value && o.value->find('+') != S::npos;
  return n;
}

TEST(SelfJoinTest, OptimizedSelfJoinEmitsWhatTheTwoStoreJoinEmitsInTheSameOrder) {
  std::mt19937 rng(862);
  std::size_t total_joins = 0;
  for (int round = 0; round < 40; ++round) {
    // Mostly symmetric windows (one fetch per record), some not (one per side), some with a
    // negative side (partners only after, or only before).
    const std::int64_t before = static_cast<std::int64_t>(rng() % 12);
    std::int64_t after = before;
    if (rng() % 3 == 0) after = static_cast<std::int64_t>(rng() % 12);
    if (before > 0 && rng() % 6 == 0) after = -static_cast<std::int64_t>(rng() % before);
    const std::int64_t grace = static_cast<std::int64_t>(rng() % 3 == 0 ? 0 : rng() % 25);
    const JoinWindows windows = JoinWindows{before, after, grace};
    const std::vector<Input> inputs = random_inputs(rng, 250);
    const std::vector<Output> two_stores = run_driver(inputs, windows, false);
    const std::vector<Output> one_store = run_driver(inputs, windows, true);
    ASSERT_EQ(one_store, two_stores)
        << "round " << round << ", before " << before << ", after " << after << ", grace " << grace;
    total_joins += join_results(two_stores);
  }
  EXPECT_GT(total_joins, 1000u);  // The sequences did join, a lot.
}

TEST(SelfJoinTest, OptimizedSelfJoinOverRocksDbStoresEmitsWhatTheTwoStoreJoinEmits) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("runnel-self-join-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::mt19937 rng(14209);
  const JoinWindows windows = JoinWindows::of_time_difference_and_grace(10ms, 15ms);
  // The driver commits RocksDB after every record: few records keep the test quick.
  const std::vector<Input> inputs = random_inputs(rng, 120);
  const std::vector<Output> two_stores =
      run_driver(inputs, windows, false, std::make_shared<RocksDbStoreSupplier>(dir / "a", "app"));
  const std::vector<Output> one_store =
      run_driver(inputs, windows, true, std::make_shared<RocksDbStoreSupplier>(dir / "b", "app"));
  EXPECT_EQ(one_store, two_stores);
  EXPECT_GT(join_results(two_stores), 30u);
  std::filesystem::remove_all(dir);
}

TEST(SelfJoinTest, JoinsEachRecordWithItselfAndEarlierRecordsBothWays) {
  const std::vector<Input> inputs = {
      {"k", "a", 10}, {"k", "b", 10}, {"k", "c", 15}, {"k", "d", 12}, {"j", "e", 12}};
  const std::vector<Output> got =
      run_driver(inputs, JoinWindows::of_time_difference_with_no_grace(5ms), true);
  std::vector<S> joined;
  for (const Output& o : got) {
    if (o.value->find('+') != S::npos)
      joined.push_back(*o.value + "@" + std::to_string(o.timestamp));
  }
  // d at 12 (out of order): d with a, b, c; then a, b with d, d itself (time 12 comes before
  // c's 15), c with d.
  const std::vector<S> expected = {"a+a@10", "b+a@10", "a+b@10", "b+b@10", "c+a@15", "c+b@15",
                                   "a+c@15", "b+c@15", "c+c@15", "d+a@12", "d+b@12", "d+c@15",
                                   "a+d@12", "b+d@12", "d+d@12", "c+d@15", "e+e@12"};
  EXPECT_EQ(joined, expected);
}

std::vector<S> changelog_topics(const Topology& topology) {
  std::vector<S> out;
  for (const auto& topic : topology.internal_topics()) {
    if (topic.changelog) out.push_back(topic.name);
  }
  return out;
}

TEST(SelfJoinTest, DescribeShowsOneStoreAndOneChangelogWhenOptimizedAndTwoOtherwise) {
  const JoinWindows windows = JoinWindows::of_time_difference_with_no_grace(5ms);
  const Topology plain = self_join_topology(windows, false);
  ASSERT_TRUE(plain.status().ok()) << plain.status();
  EXPECT_EQ(plain.stores().size(), 2u);
  EXPECT_EQ(changelog_topics(plain),
            (std::vector<S>{"KSTREAM-JOINOTHER-0000000006-store-changelog",
                            "KSTREAM-JOINTHIS-0000000005-store-changelog"}));

  const Topology optimized = self_join_topology(windows, true);
  ASSERT_TRUE(optimized.status().ok()) << optimized.status();
  EXPECT_EQ(optimized.stores().size(), 1u);
  EXPECT_EQ(changelog_topics(optimized),
            (std::vector<S>{"KSTREAM-JOINTHIS-0000000005-store-changelog"}));
  EXPECT_EQ(optimized.describe().to_string(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
            "      --> KSTREAM-MAPVALUES-0000000001, KSTREAM-MAPVALUES-0000000009, "
            "KSTREAM-MERGE-0000000007\n"
            "    Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KSTREAM-MAPVALUES-0000000009 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000010\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KSTREAM-MERGE-0000000007 (stores: "
            "[KSTREAM-JOINTHIS-0000000005-store])\n"
            "      --> KSTREAM-SINK-0000000008\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Sink: KSTREAM-SINK-0000000002 (topic: out)\n"
            "      <-- KSTREAM-MAPVALUES-0000000001\n"
            "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
            "      <-- KSTREAM-MERGE-0000000007\n"
            "    Sink: KSTREAM-SINK-0000000010 (topic: out)\n"
            "      <-- KSTREAM-MAPVALUES-0000000009\n\n");
}

TEST(SelfJoinTest, OnlyInnerJoinsOfANodeWithItselfAreRewritten) {
  auto store_count = [](auto&& describe_join) {
    StreamsBuilder builder;
    describe_join(builder);
    Topology topology = builder.build(kOptimizeAll);
    EXPECT_TRUE(topology.status().ok()) << topology.status();
    return topology.stores().size();
  };
  const auto joiner = [](const S& a, const S& b) { return a + b; };
  const JoinWindows symmetric = JoinWindows::of_time_difference_with_no_grace(5ms);
  EXPECT_EQ(store_count([&](StreamsBuilder& b) {
              auto s = b.stream<S, S>("in");
              s.join(s, joiner, symmetric).to("out");
            }),
            1u);
  // A left join waits for partners and keeps unmatched records: Kafka rewrites inner only.
  EXPECT_EQ(store_count([&](StreamsBuilder& b) {
              auto s = b.stream<S, S>("in");
              s.left_join(
                   s, [](const S& a, const std::optional<S>&) { return a; }, symmetric)
                  .to("out");
            }),
            3u);
  // Windows not symmetric about the record: one store still, one fetch per side.
  EXPECT_EQ(store_count([&](StreamsBuilder& b) {
              auto s = b.stream<S, S>("in");
              s.join(s, joiner, symmetric.after(7ms)).to("out");
            }),
            1u);
  // Two nodes, even over the same records.
  EXPECT_EQ(store_count([&](StreamsBuilder& b) {
              auto s = b.stream<S, S>("in");
              auto t = s.filter([](const S&, const S&) { return true; });
              s.join(t, joiner, symmetric).to("out");
            }),
            2u);
}

TEST(SelfJoinTest, TheRewriteIsOffUnlessTopologyOptimizationAsksForIt) {
  auto stores = [](const StreamsProperties& properties) {
    StreamsBuilder builder;
    auto s = builder.stream<S, S>("in");
    s.join(
         s, [](const S& a, const S& b) { return a + b; },
         JoinWindows::of_time_difference_with_no_grace(5ms))
        .to("out");
    Topology topology = builder.build(properties);
    EXPECT_TRUE(topology.status().ok()) << topology.status();
    // The builder's description is not changed by a rewrite: build() again is not optimized.
    EXPECT_EQ(builder.build().stores().size(), 2u);
    return topology.stores().size();
  };
  EXPECT_EQ(stores({}), 2u);
  EXPECT_EQ(stores({{"topology.optimization", "none"}}), 2u);
  EXPECT_EQ(stores({{"topology.optimization", "all"}}), 1u);
  EXPECT_EQ(stores({{"topology.optimization", "single.store.self.join"}}), 1u);
  EXPECT_EQ(stores({{"topology.optimization",
                     " single.store.self.join , "
                     "single.store.self.join"}}),
            1u);
}

TEST(SelfJoinTest, BadOrUnimplementedOptimizationValuesAreRefused) {
  for (const char* value : {"bogus", "all,single.store.self.join", "none,single.store.self.join",
                            "reuse.ktable.source.topics", "merge.repartition.topics", ""}) {
    EXPECT_FALSE(TopologyOptimizations::parse(value).ok()) << value;
    StreamsBuilder builder;
    builder.stream<S, S>("in").to("out");
    Topology topology = builder.build({{"topology.optimization", value}});
    EXPECT_EQ(topology.status().code(), StatusCode::kInvalidArgument) << value;
  }
}

// Keeps what a task sends, per topic, in order.
class CapturingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value,
              Timestamp timestamp, const Headers&, std::optional<std::int32_t>) override {
    sent[topic].push_back({key ? NullableBytes(Bytes(*key)) : std::nullopt,
                           value ? NullableBytes(Bytes(*value)) : std::nullopt, timestamp});
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  struct Sent {
    NullableBytes key;
    NullableBytes value;
    Timestamp timestamp;
  };
  std::map<std::string, std::vector<Sent>> sent;
};

// Runs `inputs` through one task, then a second task that restores every store from the
// changelog records the first one sent and processes `more`; the second task's output.
std::vector<Output> run_with_restart(const std::vector<Input>& inputs,
                                     const std::vector<Input>& more, const JoinWindows& windows,
                                     bool optimize, std::size_t* changelogs) {
  const Topology topology = self_join_topology(windows, optimize);
  EXPECT_TRUE(topology.status().ok()) << topology.status();
  ManualClock clock(0);
  LogAndFailExceptionHandler handler;
  StringSerde strings;
  std::int64_t offset = 0;
  auto process = [&](StreamTask& task, const Input& input) {
    Bytes key;
    Bytes value;
    if (input.key) {
      EXPECT_TRUE(strings.serialize_to(*input.key, key).ok());
    }
    if (input.value) {
      EXPECT_TRUE(strings.serialize_to(*input.value, value).ok());
    }
    internal::RawRecordView raw{"in",
                                0,
                                offset++,
                                input.key ? NullableBytesView(key.view()) : std::nullopt,
                                input.value ? NullableBytesView(value.view()) : std::nullopt,
                                input.timestamp,
                                nullptr};
    EXPECT_TRUE(task.process(raw).ok());
  };
  CapturingCollector first;
  {
    auto task = StreamTask::create(topology, TaskId{0, 0},
                                   StreamTask::Options{"app", &first, &clock, &handler});
    EXPECT_TRUE(task.ok()) << task.status();
    if (!task.ok()) return {};
    for (const Input& input : inputs) process(**task, input);
  }
  CapturingCollector second;
  auto task = StreamTask::create(topology, TaskId{0, 0},
                                 StreamTask::Options{"app", &second, &clock, &handler});
  EXPECT_TRUE(task.ok()) << task.status();
  if (!task.ok()) return {};
  *changelogs = 0;
  for (const auto& [topic, records] : first.sent) {
    const S prefix = "app-";
    const S suffix = "-changelog";
    if (!topic.ends_with(suffix)) continue;
    ++*changelogs;
    std::vector<state::RestoreRecord> changelog;
    for (const auto& r : records) {
      changelog.push_back({r.key->view(), r.value ? NullableBytesView(r.value->view())
                                                  : NullableBytesView(std::nullopt)});
    }
    const S store = topic.substr(prefix.size(), topic.size() - prefix.size() - suffix.size());
    EXPECT_TRUE((*task)->restore(store, changelog).ok()) << store;
  }
  for (const Input& input : more) process(**task, input);
  std::vector<Output> out;
  for (const auto& r : second.sent["out"]) {
    out.push_back({r.key ? std::optional<S>(*strings.deserialize(r.key->view())) : std::nullopt,
                   r.value ? std::optional<S>(*strings.deserialize(r.value->view())) : std::nullopt,
                   r.timestamp});
  }
  return out;
}

TEST(SelfJoinTest, RestoredSelfJoinStoreJoinsLaterRecordsAsTheTwoStoreJoinDoes) {
  std::mt19937 rng(3);
  const JoinWindows windows = JoinWindows::of_time_difference_and_grace(10ms, 10ms);
  const std::vector<Input> inputs = random_inputs(rng, 300);
  std::vector<Input> more = random_inputs(rng, 100);
  // The second run starts where the first stopped, with values numbered on.
  for (std::size_t i = 0; i < more.size(); ++i) {
    more[i].timestamp += inputs.back().timestamp - 100;
    if (more[i].value) more[i].value = "v" + std::to_string(300 + i);
  }
  std::size_t optimized_changelogs = 0;
  std::size_t plain_changelogs = 0;
  const std::vector<Output> one_store =
      run_with_restart(inputs, more, windows, true, &optimized_changelogs);
  const std::vector<Output> two_stores =
      run_with_restart(inputs, more, windows, false, &plain_changelogs);
  EXPECT_EQ(optimized_changelogs, 1u);
  EXPECT_EQ(plain_changelogs, 2u);
  EXPECT_EQ(one_store, two_stores);
  // Some of the second run's results pair a record with one from before the restart.
  std::size_t across = 0;
  for (const Output& o : one_store) {
    if (!o.value) continue;
    const auto plus = o.value->find('+');
    if (plus == S::npos || o.value->rfind("after:", 0) == 0 || o.value->rfind("before:", 0) == 0)
      continue;
    const int a = std::stoi(o.value->substr(1, plus - 1));
    const int b = std::stoi(o.value->substr(plus + 2));
    across += (a < 300) != (b < 300);
  }
  EXPECT_GT(across, 0u);
}

}  // namespace
}  // namespace runnel

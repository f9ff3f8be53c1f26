// Interactive queries against an in-process runneld: a running application's stores read
// from user threads through KafkaStreams::store / window_store, checked against the output
// and the input, while records flow, across instances, and before and after the application
// runs.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "runtime/streams_metadata.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace interactive_queries_test {

using namespace std::chrono_literals;
using S = std::string;
using I64 = std::int64_t;
using State = KafkaStreams::State;
using testing::decode_int64;
using testing::Message;
using testing::wait_for;

constexpr I64 kWindowMs = 10'000;

// Counts per key in the key-value store "counts" (updates to counts-out) and per key and
// 10 s window in the window store "windowed-counts" (kept an hour, so that the tests' 30 s of
// input keep all their windows).
Topology counting_topology(bool caching = false) {
  StreamsBuilder builder;
  auto grouped = builder.stream<S, S>("words").group_by_key();
  auto counts = Materialized<S, I64>::as("counts");
  // Without caching (stated: it is on by default) every update reaches counts-out.
  counts.caching = caching;
  grouped.count(counts).to_stream().to("counts-out");
  grouped.windowed_by(TimeWindows::of_size(std::chrono::milliseconds(kWindowMs)))
      .count(Materialized<S, I64>::as("windowed-counts").with_retention(1h));
  return builder.build();
}

// Record i has key k<i % keys> and timestamp 1000 + 100 i; the producer picks the partition.
std::vector<Message> words(int from, int to, int keys) {
  std::vector<Message> out;
  for (int i = from; i < to; ++i) {
    out.push_back({"k" + std::to_string(i % keys), "v", -1, 0, 1000 + 100 * I64{i}});
  }
  return out;
}

std::map<S, I64> counts_of(const std::vector<Message>& input) {
  std::map<S, I64> out;
  for (const Message& m : input) ++out[*m.key];
  return out;
}

std::size_t task_count(const KafkaStreams& app) {
  std::size_t n = 0;
  for (const StreamThreadMetrics& t : app.metrics().threads) n += t.tasks.size();
  return n;
}

// Every entry of the instance's "counts", or nullopt when it cannot be queried now.
std::optional<std::map<S, I64>> local_counts(const KafkaStreams& app) {
  auto store = app.store<S, I64>("counts");
  if (!store.ok()) return std::nullopt;
  auto all = store->all();
  if (!all.ok()) return std::nullopt;
  return std::map<S, I64>(all->begin(), all->end());
}

class InteractiveQueriesTest : public testing::BrokerFixture {
 protected:
  StreamsProperties properties(const std::string& application_id,
                               StreamsProperties extra = {}) const {
    StreamsProperties p{{"application.id", application_id},
                        {"bootstrap.servers", bootstrap_},
                        {"state.dir", (dir_ / "state").string()},
                        {"commit.interval.ms", "100"},
                        {"consumer.heartbeat.interval.ms", "200"}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }
};

TEST_F(InteractiveQueriesTest, StoreReadsEqualTheOutputAndTheWindowsOfTheInput) {
  create_topic("words", 3);
  create_topic("counts-out", 3);
  const std::vector<Message> input = words(0, 300, 10);
  produce("words", input);
  KafkaStreams app(counting_topology(), properties("queried"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return record_count("counts-out") >= 300; }));
  ASSERT_TRUE(wait_for([&] { return app.state() == State::kRunning; }));

  std::map<S, I64> output;  // The last update of each key: its count.
  for (const Message& m : read_to_end("counts-out")) output[*m.key] = decode_int64(*m.value);
  ASSERT_EQ(output, counts_of(input));

  auto store = app.store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->name(), "counts");
  auto all = store->all();
  ASSERT_TRUE(all.ok()) << all.status();
  // One list over the three tasks, in key order.
  EXPECT_EQ(*all, (std::vector<std::pair<S, I64>>(output.begin(), output.end())));
  for (const auto& [key, count] : output) {
    auto got = store->get(key);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, std::optional<I64>(count)) << key;
  }
  auto absent = store->get("no-such-key");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, std::nullopt);
  auto range = store->range("k2", "k4");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range, (std::vector<std::pair<S, I64>>{{"k2", 30}, {"k3", 30}, {"k4", 30}}));
  auto entries = store->approximate_num_entries();
  ASSERT_TRUE(entries.ok());
  EXPECT_GT(*entries, 0u);

  // The windowed counts, against the same input windowed by hand.
  std::map<std::pair<S, I64>, I64> windows;  // (key, window start) -> count.
  for (const Message& m : input) ++windows[{*m.key, m.timestamp - m.timestamp % kWindowMs}];
  auto windowed = app.window_store<S, I64>("windowed-counts");
  ASSERT_TRUE(windowed.ok()) << windowed.status();
  auto k0 = windowed->fetch("k0", 0, 100'000);
  ASSERT_TRUE(k0.ok()) << k0.status();
  std::vector<std::pair<I64, I64>> expected_k0;
  for (const auto& [kw, n] : windows) {
    if (kw.first == "k0") expected_k0.emplace_back(kw.second, n);
  }
  EXPECT_EQ(*k0, expected_k0);
  auto one = windowed->fetch("k1", 10'000);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::optional<I64>(windows.at({"k1", 10'000})));
  auto every = windowed->fetch_all(0, 100'000);
  ASSERT_TRUE(every.ok()) << every.status();
  ASSERT_EQ(every->size(), windows.size());
  I64 previous_start = -1;
  for (const auto& [w, n] : *every) {
    EXPECT_EQ(n, windows.at({w.key, w.window.start_ms}));
    EXPECT_EQ(w.window.end_ms, w.window.start_ms + kWindowMs);
    EXPECT_GE(w.window.start_ms, previous_start);  // Ordered by window start across tasks.
    previous_start = w.window.start_ms;
  }
  app.close();
}

TEST_F(InteractiveQueriesTest, ReadsSeeUpdatesStillInTheCacheBeforeAnyCommit) {
  create_topic("words", 2);
  create_topic("counts-out", 2);
  const std::vector<Message> input = words(0, 50, 5);
  produce("words", input);
  // No commit for an hour: the cache keeps every update, so nothing reaches counts-out.
  KafkaStreams app(counting_topology(/*caching=*/true),
                   properties("cached", {{"commit.interval.ms", "3600000"}}));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(
      wait_for([&] { return app.state() == State::kRunning && app.metrics().processed == 50; }));
  auto store = app.store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  auto all = store->all();
  ASSERT_TRUE(all.ok()) << all.status();
  const std::map<S, I64> expected = counts_of(input);
  EXPECT_EQ(*all, (std::vector<std::pair<S, I64>>(expected.begin(), expected.end())));
  EXPECT_EQ(record_count("counts-out"), 0);

  // Closing commits: the cache flushes exactly what the queries read.
  app.close();
  std::map<S, I64> output;
  for (const Message& m : read_to_end("counts-out")) output[*m.key] = decode_int64(*m.value);
  EXPECT_EQ(output, expected);
}

TEST_F(InteractiveQueriesTest, QueriesOutsideRunningOrForUnknownStoresAreClearErrors) {
  create_topic("words", 2);
  create_topic("counts-out", 2);
  KafkaStreams app(counting_topology(), properties("errors"));

  EXPECT_EQ((app.store<S, I64>("counts").status().code()), StatusCode::kUnavailable);
  EXPECT_EQ(app.query_metadata_for_key<S>("counts", "k").status().code(), StatusCode::kUnavailable);
  auto unknown = app.store<S, I64>("no-such-store");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().to_string().find("no-such-store"), std::string::npos);
  auto wrong_kind = app.window_store<S, I64>("counts");
  EXPECT_EQ(wrong_kind.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_kind.status().to_string().find("key-value"), std::string::npos);

  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return app.state() == State::kRunning; }));
  EXPECT_EQ((app.store<S, S>("counts").status().code()), StatusCode::kInvalidArgument);
  EXPECT_EQ((app.store<S, I64>("no-such-store").status().code()), StatusCode::kNotFound);
  auto store = app.store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(store->get("k").ok());

  app.close();
  // The view outlives the running application and says so.
  EXPECT_EQ(store->get("k").status().code(), StatusCode::kAborted);
  EXPECT_EQ(store->all().status().code(), StatusCode::kAborted);
  EXPECT_EQ((app.store<S, I64>("counts").status().code()), StatusCode::kAborted);
}

TEST_F(InteractiveQueriesTest, AReaderThreadSeesMonotoneCountsWhileRecordsFlow) {
  create_topic("words", 4);
  create_topic("counts-out", 4);
  KafkaStreams app(counting_topology(/*caching=*/true),
                   properties("concurrent", {{"num.stream.threads", "2"}}));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return app.state() == State::kRunning && task_count(app) == 4; }));
  auto store = app.store<S, I64>("counts");
  ASSERT_TRUE(store.ok()) << store.status();

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::string failure;  // Written by the reader only; read after join.
  std::thread reader([&] {
    std::map<S, I64> last;
    I64 last_total = 0;
    I64 last_k0 = 0;
    while (!stop.load() && failure.empty()) {
      auto all = store->all();
      auto k0 = store->get("k0");
      if (!all.ok() || !k0.ok()) {
        const Status& s = all.ok() ? k0.status() : all.status();
        // A rebalance may make a read retryable; nothing else is expected.
        if (s.code() != StatusCode::kUnavailable) failure = s.to_string();
        std::this_thread::sleep_for(1ms);
        continue;
      }
      I64 total = 0;
      for (const auto& [key, count] : *all) {
        total += count;
        if (count < last[key])
          failure =
              key + " went from " + std::to_string(last[key]) + " to " + std::to_string(count);
        last[key] = count;
      }
      if (total < last_total) failure = "the total went down";
      if (k0->value_or(0) < last_k0) failure = "k0 went down";
      last_total = total;
      last_k0 = k0->value_or(0);
      reads.fetch_add(1);
      // Leaves the two cores to the stream threads and the broker between reads.
      std::this_thread::sleep_for(1ms);
    }
  });

  std::vector<Message> input;
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<Message> more = words(batch * 500, (batch + 1) * 500, 20);
    produce("words", more);
    input.insert(input.end(), more.begin(), more.end());
  }
  const std::map<S, I64> expected = counts_of(input);
  ASSERT_TRUE(wait_for([&] { return local_counts(app) == expected; }, 60s));
  stop.store(true);
  reader.join();
  EXPECT_EQ(failure, "");
  EXPECT_GT(reads.load(), 0);
  app.close();
}

TEST_F(InteractiveQueriesTest, QueriesSeeOnlyTheLocalTasksAsInstancesJoinAndLeave) {
  create_topic("words", 4);
  create_topic("counts-out", 4);
  const std::vector<Message> input = words(0, 40, 20);
  produce("words", input);
  const std::map<S, I64> expected = counts_of(input);
  std::map<S, std::int32_t> partition_of;  // Where the producer put each key.
  for (const Message& m : read_to_end("words")) partition_of[*m.key] = m.partition;
  ASSERT_EQ(partition_of.size(), 20u);

  // Separate state directories, as on two machines: the second restores from changelogs.
  auto first = std::make_unique<KafkaStreams>(
      counting_topology(), properties("shared", {{"state.dir", (dir_ / "state-1").string()},
                                                 // A static member does not leave on close: the
                                                 // other takes over after the session timeout.
                                                 {"consumer.session.timeout.ms", "6000"}}));
  ASSERT_TRUE(first->start().ok());
  ASSERT_TRUE(wait_for([&] { return local_counts(*first) == expected; }));
  auto second = std::make_unique<KafkaStreams>(
      counting_topology(), properties("shared", {{"state.dir", (dir_ / "state-2").string()},
                                                 // A static member does not leave on close: the
                                                 // other takes over after the session timeout.
                                                 {"consumer.session.timeout.ms", "6000"}}));
  ASSERT_TRUE(second->start().ok());

  std::map<S, I64> one;
  std::map<S, I64> two;
  ASSERT_TRUE(wait_for([&] {
    if (task_count(*first) != 2 || task_count(*second) != 2) return false;
    auto a = local_counts(*first);
    auto b = local_counts(*second);
    if (!a || !b) return false;
    one = *a;
    two = *b;
    std::map<S, I64> both = one;
    both.insert(two.begin(), two.end());
    return both == expected && one.size() + two.size() == expected.size();
  }));
  EXPECT_FALSE(one.empty());
  EXPECT_FALSE(two.empty());
  for (const auto& [key, count] : expected) {
    auto in_first = first->query_metadata_for_key<S>("counts", key);
    auto in_second = second->query_metadata_for_key<S>("counts", key);
    ASSERT_TRUE(in_first.ok()) << in_first.status();
    ASSERT_TRUE(in_second.ok()) << in_second.status();
    // Both agree with the producer on the partition, and exactly one runs its task.
    EXPECT_EQ(in_first->partition, partition_of.at(key)) << key;
    EXPECT_EQ(in_second->partition, partition_of.at(key)) << key;
    EXPECT_EQ(in_first->task, (TaskId{0, partition_of.at(key)}));
    EXPECT_NE(in_first->local, in_second->local) << key;
    EXPECT_EQ(in_first->local, one.count(key) == 1) << key;
  }

  second->close();
  ASSERT_TRUE(wait_for([&] {
    return first->state() == State::kRunning && task_count(*first) == 4 &&
           local_counts(*first) == expected;
  }));
  for (const auto& [key, count] : expected) {
    auto metadata = first->query_metadata_for_key<S>("counts", key);
    ASSERT_TRUE(metadata.ok()) << metadata.status();
    EXPECT_TRUE(metadata->local) << key;
  }
  first->close();
}

// The instance whose local "counts" holds `key`: 1 or 2 (0 when neither or both do).
int holder(const std::map<S, I64>& one, const std::map<S, I64>& two, const S& key) {
  const bool a = one.count(key) == 1;
  const bool b = two.count(key) == 1;
  return a == b ? 0 : (a ? 1 : 2);
}

TEST_F(InteractiveQueriesTest, EveryInstanceNamesTheSameOwnerOfEachKeyAcrossRebalances) {
  create_topic("words", 4);
  create_topic("counts-out", 4);
  const std::vector<Message> input = words(0, 200, 100);
  produce("words", input);
  const std::map<S, I64> expected = counts_of(input);
  const HostInfo host_one{"127.0.0.1", 7101};
  const HostInfo host_two{"127.0.0.1", 7102};

  auto first = std::make_unique<KafkaStreams>(
      counting_topology(), properties("remote", {{"state.dir", (dir_ / "state-1").string()},
                                                 {"application.server", host_one.to_string()},
                                                 // A static member does not leave on close: the
                                                 // other takes over after the session timeout.
                                                 {"consumer.session.timeout.ms", "6000"}}));
  ASSERT_TRUE(first->start().ok());
  ASSERT_TRUE(wait_for([&] { return local_counts(*first) == expected; }));
  // Alone, it owns every key and names itself.
  ASSERT_TRUE(wait_for([&] { return first->query_metadata_for_key<S>("counts", "k0").ok(); }));
  for (const auto& [key, count] : expected) {
    auto metadata = first->query_metadata_for_key<S>("counts", key);
    ASSERT_TRUE(metadata.ok()) << metadata.status();
    EXPECT_EQ(metadata->active_host, host_one) << key;
    EXPECT_TRUE(metadata->standby_hosts.empty());
  }

  auto second = std::make_unique<KafkaStreams>(
      counting_topology(), properties("remote", {{"state.dir", (dir_ / "state-2").string()},
                                                 {"application.server", host_two.to_string()},
                                                 {"consumer.session.timeout.ms", "6000"}}));
  ASSERT_TRUE(second->start().ok());

  // Once the group settles: the local stores split the keys, and both instances' metadata
  // answers exist (the group is Stable and each instance RUNNING).
  std::map<S, I64> one;
  std::map<S, I64> two;
  ASSERT_TRUE(wait_for([&] {
    if (task_count(*first) != 2 || task_count(*second) != 2) return false;
    auto a = local_counts(*first);
    auto b = local_counts(*second);
    if (!a || !b) return false;
    one = *a;
    two = *b;
    std::map<S, I64> both = one;
    both.insert(two.begin(), two.end());
    if (both != expected || one.size() + two.size() != expected.size()) return false;
    auto all_one = first->metadata_for_all_streams_clients();
    auto all_two = second->metadata_for_all_streams_clients();
    return all_one.ok() && all_two.ok() && all_one->size() == 2 && *all_one == *all_two;
  }));
  std::set<S> owned_by_one;
  std::set<S> owned_by_two;
  for (const auto& [key, count] : expected) {
    auto in_first = first->query_metadata_for_key<S>("counts", key);
    auto in_second = second->query_metadata_for_key<S>("counts", key);
    ASSERT_TRUE(in_first.ok()) << in_first.status();
    ASSERT_TRUE(in_second.ok()) << in_second.status();
    // Both name the same owner, and it is the one whose store holds the key.
    ASSERT_TRUE(in_first->active_host.has_value());
    EXPECT_EQ(in_first->active_host, in_second->active_host) << key;
    EXPECT_EQ(in_first->partition, in_second->partition) << key;
    const int owner = holder(one, two, key);
    ASSERT_NE(owner, 0) << key;
    EXPECT_EQ(*in_first->active_host, owner == 1 ? host_one : host_two) << key;
    EXPECT_EQ(in_first->local, owner == 1) << key;
    EXPECT_EQ(in_second->local, owner == 2) << key;
    (owner == 1 ? owned_by_one : owned_by_two).insert(key);
  }
  EXPECT_FALSE(owned_by_one.empty());
  EXPECT_FALSE(owned_by_two.empty());

  // The instances as every one of them sees them: each with the store and two of the four
  // input partitions, together all of them.
  auto all = first->metadata_for_all_streams_clients();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  std::set<client::TopicPartition> words_partitions;
  for (const StreamsMetadata& m : *all) {
    EXPECT_TRUE(m.host == host_one || m.host == host_two);
    EXPECT_EQ(m.state_store_names, (std::set<S>{"counts", "windowed-counts"}));
    EXPECT_TRUE(m.standby_topic_partitions.empty());
    EXPECT_EQ(m.topic_partitions.size(), 2u);
    words_partitions.insert(m.topic_partitions.begin(), m.topic_partitions.end());
  }
  EXPECT_EQ(words_partitions, (std::set<client::TopicPartition>{
                                  {"words", 0}, {"words", 1}, {"words", 2}, {"words", 3}}));
  auto for_store = second->streams_metadata_for_store("counts");
  ASSERT_TRUE(for_store.ok()) << for_store.status();
  EXPECT_EQ(*for_store, *all);
  EXPECT_EQ(second->streams_metadata_for_store("nope").status().code(), StatusCode::kNotFound);

  // A custom partitioner: the key goes where it says, and the host is that partition's owner.
  KafkaStreams::KeyPartitioner<S> to_partition_three = [](const std::string& topic, const S&,
                                                          std::int32_t partitions) {
    EXPECT_EQ(topic, "words");
    EXPECT_EQ(partitions, 4);
    return std::optional<std::int32_t>(3);
  };
  auto custom = first->query_metadata_for_key<S>("counts", "k0", to_partition_three);
  ASSERT_TRUE(custom.ok()) << custom.status();
  EXPECT_EQ(custom->partition, 3);
  for (const StreamsMetadata& m : *all) {
    if (m.topic_partitions.contains({"words", 3})) {
      EXPECT_EQ(custom->active_host, m.host);
    }
  }

  second->close();
  // After the group notices (the session timeout of the static member), the first owns
  // every key, and says so.
  ASSERT_TRUE(wait_for([&] {
    if (first->state() != State::kRunning || task_count(*first) != 4) return false;
    for (const auto& [key, count] : expected) {
      auto metadata = first->query_metadata_for_key<S>("counts", key);
      if (!metadata.ok() || metadata->active_host != host_one || !metadata->local) return false;
    }
    return local_counts(*first) == expected;
  }));
  auto alone = first->metadata_for_all_streams_clients();
  ASSERT_TRUE(alone.ok()) << alone.status();
  ASSERT_EQ(alone->size(), 1u);
  EXPECT_EQ(alone->front().host, host_one);
  EXPECT_EQ(alone->front().topic_partitions.size(), 4u);
  first->close();
}

TEST_F(InteractiveQueriesTest, AKeyIsLookedForWhereTheTopologysOwnPartitionerPutIt) {
  create_topic("words", 4);
  produce("words", words(0, 40, 20));
  // Keys k<n> go to partition n % 4 of the repartition topic, not where murmur2 would put them.
  Repartitioned<S, S> by_number = Repartitioned<S, S>::as("by-number");
  by_number.partitioner = [](const std::string&, const std::optional<S>& key,
                             const std::optional<S>&, std::int32_t partitions) {
    return std::optional<std::int32_t>(std::stoi(key->substr(1)) % partitions);
  };
  StreamsBuilder builder;
  builder.stream<S, S>("words")
      .repartition(std::move(by_number))
      .group_by_key()
      .count(Materialized<S, I64>::as("numbered-counts"));
  KafkaStreams app(builder.build(),
                   properties("numbered", {{"application.server", "127.0.0.1:7201"}}));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] {
    auto store = app.store<S, I64>("numbered-counts");
    if (!store.ok()) return false;
    auto all = store->all();
    return all.ok() && all->size() == 20u;
  }));
  std::map<S, std::int32_t> written_to;  // Where the sink actually wrote each key.
  for (const Message& m : read_to_end("numbered-by-number-repartition")) {
    written_to[*m.key] = m.partition;
  }
  ASSERT_EQ(written_to.size(), 20u);
  int unlike_murmur2 = 0;
  for (const auto& [key, partition] : written_to) {
    auto metadata = app.query_metadata_for_key<S>("numbered-counts", key);
    ASSERT_TRUE(metadata.ok()) << metadata.status();
    EXPECT_EQ(metadata->partition, partition) << key;
    EXPECT_EQ(metadata->partition, std::stoi(key.substr(1)) % 4) << key;
    EXPECT_EQ(metadata->task.partition, partition) << key;
    EXPECT_EQ(metadata->active_host, (HostInfo{"127.0.0.1", 7201}));
    auto murmur2 = app.query_metadata_for_key_bytes("numbered-counts", std::string_view(key));
    ASSERT_TRUE(murmur2.ok()) << murmur2.status();
    if (murmur2->partition != partition) ++unlike_murmur2;
  }
  EXPECT_GT(unlike_murmur2, 0);  // Otherwise the test could not tell the two apart.
  app.close();
}

TEST_F(InteractiveQueriesTest, WithoutApplicationServerOnlyLocalityIsKnown) {
  create_topic("words", 2);
  create_topic("counts-out", 2);
  produce("words", words(0, 10, 5));
  KafkaStreams app(counting_topology(), properties("no-server"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return app.state() == State::kRunning; }));
  ASSERT_TRUE(wait_for([&] { return app.query_metadata_for_key<S>("counts", "k1").ok(); }));
  auto metadata = app.query_metadata_for_key<S>("counts", "k1");
  EXPECT_TRUE(metadata->local);
  EXPECT_FALSE(metadata->active_host.has_value());
  EXPECT_EQ(app.metadata_for_all_streams_clients().status().code(), StatusCode::kInvalidArgument);
  app.close();
}

TEST_F(InteractiveQueriesTest, SessionStoresAreQueryableByKeyRangeAndSession) {
  create_topic("clicks", 2);
  // Sessions with a 1 s gap: user a at 1000, 1500, 2000 (one session [1000, 2000]) and 9000
  // (another); user b at 1200 and 5000 (two sessions).
  produce("clicks", {{"a", "x", -1, 0, 1000},
                     {"b", "x", -1, 0, 1200},
                     {"a", "x", -1, 0, 1500},
                     {"a", "x", -1, 0, 2000},
                     {"b", "x", -1, 0, 5000},
                     {"a", "x", -1, 0, 9000}});
  StreamsBuilder builder;
  builder.stream<S, S>("clicks")
      .group_by_key()
      .windowed_by(SessionWindows::with_inactivity_gap(1000ms))
      .count(Materialized<S, I64>::as("sessions").with_retention(1h));
  KafkaStreams app(builder.build(), properties("sessions"));
  ASSERT_TRUE(app.start().ok());

  using Sessions = std::vector<std::pair<state::Windowed<S>, I64>>;
  const Sessions of_a{{{"a", {1000, 2000}}, 3}, {{"a", {9000, 9000}}, 1}};
  const Sessions of_b{{{"b", {1200, 1200}}, 1}, {{"b", {5000, 5000}}, 1}};
  ASSERT_TRUE(wait_for([&] {
    auto store = app.session_store<S, I64>("sessions");
    if (!store.ok()) return false;
    auto a = store->fetch("a");
    auto b = store->fetch("b");
    return a.ok() && b.ok() && *a == of_a && *b == of_b;
  }));
  auto store = app.session_store<S, I64>("sessions");
  ASSERT_TRUE(store.ok()) << store.status();
  // Both keys, by session end, then start.
  auto both = store->fetch("a", "b");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(*both, (Sessions{{{"b", {1200, 1200}}, 1},
                             {{"a", {1000, 2000}}, 3},
                             {{"b", {5000, 5000}}, 1},
                             {{"a", {9000, 9000}}, 1}}));
  // Sessions of a overlapping [1800, 8000]: only the first.
  auto overlapping = store->find_sessions("a", 1800, 8000);
  ASSERT_TRUE(overlapping.ok()) << overlapping.status();
  EXPECT_EQ(*overlapping, (Sessions{{{"a", {1000, 2000}}, 3}}));
  EXPECT_EQ(store->fetch_session("a", 1000, 2000).value(), std::optional<I64>(3));
  EXPECT_EQ(store->fetch_session("a", 1000, 1500).value(), std::nullopt);
  EXPECT_TRUE(store->fetch("nobody").value().empty());
  // The other kinds of view refuse it, naming its kind.
  EXPECT_EQ((app.store<S, I64>("sessions").status().code()), StatusCode::kInvalidArgument);
  app.close();
}

}  // namespace interactive_queries_test
}  // namespace runnel

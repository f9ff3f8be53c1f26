// KafkaStreams applications against an in-process runneld: known input in, exact output out,
// through the consumer group, the producer and the internal topics.

#include "runtime/kafka_streams.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/processor.h"
#include "operators/streams_builder.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace kafka_streams_test {

using namespace std::chrono_literals;
using S = std::string;
using State = KafkaStreams::State;
using testing::Message;
using testing::wait_for;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class KafkaStreamsTest : public testing::BrokerFixture {
 protected:
  StreamsProperties properties(const std::string& application_id,
                               StreamsProperties extra = {}) const {
    StreamsProperties p{{"application.id", application_id},
                        {"bootstrap.servers", bootstrap_},
                        {"state.dir", (dir_ / "state").string()},
                        {"commit.interval.ms", "100"},
                        // Rebalances in tests should not wait for the default 3 s heartbeat.
                        {"consumer.heartbeat.interval.ms", "200"}};
    for (auto& [k, v] : extra) p[k] = v;
    return p;
  }

  static bool in_state(const KafkaStreams& app, State state) { return app.state() == state; }
};

TEST_F(KafkaStreamsTest, AStatelessAppTurnsKnownInputIntoExactOutput) {
  create_topic("words", 1);
  create_topic("shouted", 1);
  std::vector<Message> input;
  for (int i = 0; i < 50; ++i) {
    input.push_back({"k" + std::to_string(i), (i % 5 == 0 ? "drop" : "word") + std::to_string(i), 0,
                     0, 1000 + i});
  }
  produce("words", input);

  StreamsBuilder builder;
  builder.stream<S, S>("words")
      .filter([](const S&, const S& v) { return v.rfind("drop", 0) != 0; })
      .map_values([](const S& v) { return upper(v); })
      .to("shouted");
  KafkaStreams app(builder.build(), properties("shout"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return record_count("shouted") >= 40; }));
  app.close();
  EXPECT_EQ(app.state(), State::kNotRunning);

  std::vector<Message> out = read_to_end("shouted");
  std::vector<Message> expected;
  for (const Message& m : input) {
    if (m.value->rfind("drop", 0) == 0) continue;
    expected.push_back(
        {m.key, upper(*m.value), 0, static_cast<std::int64_t>(expected.size()), m.timestamp});
  }
  EXPECT_EQ(out, expected);
  KafkaStreams::Metrics metrics = app.metrics();
  EXPECT_EQ(metrics.processed, 50u);
  EXPECT_EQ(metrics.skipped_deserialization, 0u);
  ASSERT_EQ(metrics.threads.size(), 1u);
  EXPECT_GE(metrics.threads[0].commits, 1u);
}

TEST_F(KafkaStreamsTest, ATaskReadingTwoTopicsProcessesTheirRecordsInTimestampOrder) {
  // Both topics are written in full before the start, so every record is on the broker when
  // the task begins; fetched batches of one topic arrive before the other's, and without
  // idling (max.task.idle.ms) the task would process a whole batch of one topic first.
  create_topic("evens", 1);
  create_topic("odds", 1);
  create_topic("merged", 1);
  constexpr int kPerTopic = 3000;
  std::vector<Message> evens;
  std::vector<Message> odds;
  for (int i = 0; i < kPerTopic; ++i) {
    evens.push_back({"e", std::to_string(2 * i), 0, 0, 1'000 + 2 * i});
    odds.push_back({"o", std::to_string(2 * i + 1), 0, 0, 1'000 + 2 * i + 1});
  }
  produce("evens", evens);
  produce("odds", odds);

  StreamsBuilder builder;
  builder.stream<S, S>("evens").merge(builder.stream<S, S>("odds")).to("merged");
  KafkaStreams app(builder.build(), properties("merge", {{"max.task.idle.ms", "2000"}}));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return record_count("merged") >= 2 * kPerTopic; }, 60s));
  app.close();

  std::vector<Message> out = read_to_end("merged");
  ASSERT_EQ(out.size(), 2u * kPerTopic);
  for (std::size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(out[i].timestamp, 1'000 + static_cast<std::int64_t>(i)) << "at output " << i;
  }
}

// A task reading a table and a stream idles on an empty input only while records may still be
// on their way. After a restart (or a rebalance) the table's partition, committed at its end,
// has nothing to fetch, and librdkafka reports no position for it (it counts the records it
// returned); the committed offset says it is at its end, so a stream record is joined at once
// instead of after the task's idling runs out (it held the fraud demo's first alerts ~1 s).
TEST_F(KafkaStreamsTest, AnInputCommittedAtItsEndIsNotWaitedForAfterARestart) {
  create_topic("accounts", 1);
  create_topic("payments", 1);
  create_topic("enriched", 1);
  produce("accounts", {{"alice", "gold", 0, 0, 1'000}});
  auto topology = [] {
    StreamsBuilder builder;
    auto accounts = builder.table<S, S>("accounts");
    builder.stream<S, S>("payments")
        .join(accounts, [](const S& payment, const S& tier) { return payment + "@" + tier; })
        .to("enriched");
    return builder.build();
  };
  {
    KafkaStreams first(topology(), properties("enrich"));
    ASSERT_TRUE(first.start().ok());
    ASSERT_TRUE(wait_for([&] { return first.metrics().processed >= 1; }, 60s));
    first.close();  // commits the table's offset: its end
  }
  KafkaStreams app(topology(), properties("enrich"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return in_state(app, State::kRunning); }, 60s));
  produce("payments", {{"alice", "10", 0, 0, 2'000}});
  ASSERT_TRUE(wait_for([&] { return record_count("enriched") >= 1; }, 60s));
  const KafkaStreams::Metrics metrics = app.metrics();
  app.close();

  std::vector<Message> out = read_to_end("enriched");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, std::optional<S>("10@gold"));
  std::uint64_t enforced = 0;
  for (const auto& thread : metrics.threads) {
    for (const auto& task : thread.tasks) enforced += task.enforced_processing;
  }
  EXPECT_EQ(enforced, 0u) << "the task idled on the table's partition, which was at its end";
}

TEST_F(KafkaStreamsTest, MetricsGivePerTaskCountsLagDropsAndLatencies) {
  create_topic("metered", 2);
  create_topic("metered-out", 2);
  std::vector<Message> input;
  for (int i = 0; i < 20; ++i) input.push_back({"k", "v", i % 2, 0, i});
  input.push_back({"k", std::nullopt, 1, 0, 99});  // A null value map_values cannot take.
  produce("metered", input);
  StreamsBuilder builder;
  builder.stream<S, S>("metered").map_values([](const S& v) { return upper(v); }).to("metered-out");
  KafkaStreams app(builder.build(), properties("metered"));
  ASSERT_TRUE(app.start().ok());
  auto caught_up = [&] {
    KafkaStreams::Metrics m = app.metrics();
    if (m.threads.size() != 1 || m.threads[0].consumer_lag.size() != 2) return false;
    return m.processed == 21 && m.consumer_lag == 0 && m.threads[0].commits > 0;
  };
  ASSERT_TRUE(wait_for(caught_up));
  KafkaStreams::Metrics m = app.metrics();
  EXPECT_EQ(m.dropped, 1u);
  ASSERT_EQ(m.threads[0].tasks.size(), 2u);
  EXPECT_EQ(m.threads[0].tasks[0].id, (TaskId{0, 0}));
  EXPECT_EQ(m.threads[0].tasks[0].counts.processed, 10u);
  EXPECT_EQ(m.threads[0].tasks[1].counts.processed, 11u);
  EXPECT_GT(m.threads[0].process_latency_avg_ns, 0u);
  EXPECT_GT(m.threads[0].commit_latency_avg_us, 0u);
  EXPECT_EQ(m.threads[0].consumer_lag.at({"metered", 0}), 0);
  app.close();
  // Totals survive the tasks' closing.
  EXPECT_EQ(app.metrics().processed, 21u);
}

TEST_F(KafkaStreamsTest, TheStateListenerSeesTheLifecycle) {
  create_topic("in", 2);
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out-unused");
  KafkaStreams app(builder.build(), properties("lifecycle"));
  std::mutex mutex;
  std::vector<std::pair<State, State>> seen;
  ASSERT_TRUE(app.set_state_listener([&](State now, State before) {
                   std::lock_guard lock(mutex);
                   seen.emplace_back(now, before);
                 })
                  .ok());
  EXPECT_EQ(app.state(), State::kCreated);
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return in_state(app, State::kRunning); }));
  EXPECT_FALSE(app.set_state_listener(nullptr).ok());
  EXPECT_EQ(app.start().code(), StatusCode::kInvalidArgument);
  app.close();
  std::lock_guard lock(mutex);
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen.front(), std::make_pair(State::kRebalancing, State::kCreated));
  EXPECT_EQ(seen[seen.size() - 2].first, State::kPendingShutdown);
  EXPECT_EQ(seen.back(), std::make_pair(State::kNotRunning, State::kPendingShutdown));
  EXPECT_NE(
      std::find(seen.begin(), seen.end(), std::make_pair(State::kRunning, State::kRebalancing)),
      seen.end());
}

TEST_F(KafkaStreamsTest, RepartitionTopicsAreCreatedWithTheUpstreamPartitionCount) {
  create_topic("sentences", 3);
  create_topic("lengths", 2);
  std::vector<Message> input;
  const std::vector<S> words = {"kafka", "streams", "in", "c++", "on", "runneld"};
  for (int i = 0; i < 60; ++i)
    input.push_back({std::nullopt, words[i % words.size()], i % 3, 0, i});
  produce("sentences", input);

  StreamsBuilder builder;
  builder.stream<S, S>("sentences")
      .select_key([](const std::optional<S>&, const S& w) { return w; })
      .repartition(Repartitioned<S, S>::as("by-word"))
      .map_values([](const S& w) { return std::to_string(w.size()); })
      .to("lengths");
  KafkaStreams app(builder.build(), properties("lens", {{"num.stream.threads", "2"}}));
  ASSERT_TRUE(app.start().ok());
  EXPECT_EQ(partitions_of("lens-by-word-repartition"), 3);
  ASSERT_TRUE(wait_for([&] { return record_count("lengths") >= 60; }));
  app.close();
  std::vector<Message> out = read_to_end("lengths");
  ASSERT_EQ(out.size(), 60u);
  std::map<S, int> counts;
  for (const Message& m : out) {
    ASSERT_TRUE(m.key.has_value());
    EXPECT_EQ(*m.value, std::to_string(m.key->size()));
    ++counts[*m.key];
  }
  for (const S& w : words) EXPECT_EQ(counts[w], 10) << w;
  EXPECT_EQ(app.metrics().processed, 120u);  // Each record through both sub-topologies.
}

TEST_F(KafkaStreamsTest, ARepartitionTopicWithAnotherPartitionCountIsAClearError) {
  create_topic("src", 2);
  create_topic("mismatch-by-key-repartition", 5);
  StreamsBuilder builder;
  builder.stream<S, S>("src")
      .repartition(Repartitioned<S, S>::as("by-key").with_partitions(2))
      .to("sink");
  KafkaStreams app(builder.build(), properties("mismatch"));
  Status s = app.start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("mismatch-by-key-repartition exists with 5 partition(s) but the "
                             "topology needs 2"),
            std::string::npos)
      << s;
  EXPECT_EQ(app.state(), State::kError);
}

TEST_F(KafkaStreamsTest, AMissingSourceTopicOrBadConfigurationFailsStart) {
  StreamsBuilder builder;
  builder.stream<S, S>("absent").to("out");
  {
    KafkaStreams app(builder.build(), properties("absent-source"));
    Status s = app.start();
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << s;
    EXPECT_NE(s.message().find("source topic absent does not exist"), std::string::npos) << s;
  }
  create_topic("present", 1);
  StreamsBuilder b2;
  b2.stream<S, S>("present").to("out");
  Topology topology = b2.build();
  {
    // Kafka's first exactly-once (a producer per task), deprecated since Kafka 3.0.
    KafkaStreams app(topology, properties("eos", {{"processing.guarantee", "exactly_once"}}));
    Status s = app.start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("exactly_once_v2"), std::string::npos) << s;
  }
  {
    StreamsProperties p = properties("x");
    p.erase("application.id");
    KafkaStreams app(topology, p);
    EXPECT_EQ(app.start().code(), StatusCode::kInvalidArgument);
  }
  {
    KafkaStreams app(topology, properties("x", {{"consumer.group.id", "mine"}}));
    EXPECT_EQ(app.start().code(), StatusCode::kInvalidArgument);
  }
  {
    // librdkafka refuses a misspelt passed-through property.
    KafkaStreams app(topology, properties("x", {{"producer.lingerr.ms", "5"}}));
    Status s = app.start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("lingerr.ms"), std::string::npos) << s;
  }
}

// Counts records per key and forwards "<key>=<count>@<partition>:<offset>".
class CountingProcessor final : public Processor<S, S, S, S> {
 public:
  void init(ProcessorContext<S, S>& context) override { context_ = &context; }
  void process(Record<S, S> record) override {
    const auto& position = context_->record_metadata();
    const std::int64_t n = ++counts_[*record.key];
    Record<S, S> out = record;
    out.value = *record.key + "=" + std::to_string(n) + "@" + std::to_string(position->partition) +
                ":" + std::to_string(position->offset) + " " + context_->application_id() + " " +
                context_->task_id().to_string();
    context_->forward(std::move(out));
  }

 private:
  ProcessorContext<S, S>* context_ = nullptr;
  std::map<S, std::int64_t> counts_;
};

TEST_F(KafkaStreamsTest, AProcessorApiAppSeesItsContextAndForwards) {
  create_topic("events", 2);
  create_topic("counted", 1);
  produce("events", {{"a", "x", 0, 0, 1},
                     {"b", "x", 1, 0, 2},
                     {"a", "x", 0, 0, 3},
                     {"b", "x", 1, 0, 4},
                     {"a", "x", 0, 0, 5}});
  StreamsBuilder builder;
  builder.stream<S, S>("events")
      .process([] { return std::make_unique<CountingProcessor>(); }, Named::as("counter"))
      .to("counted");
  KafkaStreams app(builder.build(), properties("papi"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return record_count("counted") >= 5; }));
  app.close();
  std::vector<S> values;
  for (const Message& m : read_to_end("counted")) values.push_back(*m.value);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<S>{"a=1@0:0 papi 0_0", "a=2@0:1 papi 0_0", "a=3@0:2 papi 0_0",
                                    "b=1@1:0 papi 0_1", "b=2@1:1 papi 0_1"}));
}

// Forwards one "wall" record from a wall-clock punctuator and one "stream@<t>" record per
// stream-time punctuation, keyed by the task.
class PunctuatingProcessor final : public Processor<S, S, S, S> {
 public:
  void init(ProcessorContext<S, S>& context) override {
    context_ = &context;
    wall_ = context.schedule(std::chrono::milliseconds(20), PunctuationType::kWallClockTime,
                             [this](Timestamp) {
                               emit("wall");
                               wall_.cancel();
                             });
    context.schedule(std::chrono::milliseconds(10), PunctuationType::kStreamTime,
                     [this](Timestamp t) { emit("stream@" + std::to_string(t)); });
  }
  void process(Record<S, S>) override {}

 private:
  void emit(const S& what) {
    Record<S, S> r;
    r.key = context_->task_id().to_string();
    r.value = what;
    r.timestamp = 1;
    context_->forward(std::move(r));
  }
  ProcessorContext<S, S>* context_ = nullptr;
  Cancellable wall_;
};

TEST_F(KafkaStreamsTest, WallClockAndStreamTimePunctuatorsFire) {
  create_topic("ticks", 1);
  create_topic("punctuations", 1);
  produce("ticks", {{"k", "a", 0, 0, 5}, {"k", "b", 0, 0, 25}});
  StreamsBuilder builder;
  builder.stream<S, S>("ticks")
      .process([] { return std::make_unique<PunctuatingProcessor>(); })
      .to("punctuations");
  KafkaStreams app(builder.build(), properties("punctuate"));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return record_count("punctuations") >= 3; }));
  app.close();
  std::vector<S> values;
  for (const Message& m : read_to_end("punctuations")) values.push_back(*m.value);
  std::sort(values.begin(), values.end());
  // Stream time: aligned to 0, fired at the first record (t=5: 0) and when it passes 10 and
  // 20 (t=25: one punctuation at 25, skipped ones not replayed); wall clock once.
  EXPECT_EQ(values, (std::vector<S>{"stream@25", "stream@5", "wall"}));
}

TEST_F(KafkaStreamsTest, LogAndContinueSkipsAndCountsUndeserializableRecords) {
  create_topic("numbers", 1);
  create_topic("doubled", 1);
  const auto int32 = [](std::int32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i)
      s[i] = static_cast<char>((static_cast<std::uint32_t>(v) >> (24 - 8 * i)) & 0xff);
    return s;
  };
  produce("numbers", {{"k", int32(1), 0, 0, 1}, {"k", "bad", 0, 0, 2}, {"k", int32(3), 0, 0, 3}});
  StreamsBuilder builder;
  builder.stream<S, std::int32_t>("numbers")
      .map_values([](std::int32_t v) { return std::to_string(2 * v); })
      .to("doubled");
  KafkaStreams app(
      builder.build(),
      properties("skip", {{"default.deserialization.exception.handler", "log-and-continue"}}));
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for(
      [&] { return app.metrics().processed + app.metrics().skipped_deserialization >= 3; }));
  app.close();
  std::vector<S> values;
  for (const Message& m : read_to_end("doubled")) values.push_back(*m.value);
  EXPECT_EQ(values, (std::vector<S>{"2", "6"}));
  EXPECT_EQ(app.metrics().skipped_deserialization, 1u);
  EXPECT_EQ(app.state(), State::kNotRunning);
}

TEST_F(KafkaStreamsTest, LogAndFailStopsTheAppWithTheRecordsPosition) {
  create_topic("numbers", 1);
  create_topic("sink", 1);
  produce("numbers", {{"k", std::string(4, '\0'), 0, 0, 1}, {"k", "bad", 0, 0, 2}});
  StreamsBuilder builder;
  builder.stream<S, std::int32_t>("numbers").to("sink");
  KafkaStreams app(builder.build(), properties("fail"));
  std::mutex mutex;
  std::vector<std::pair<S, Status>> errors;
  ASSERT_TRUE(app.set_uncaught_error_handler([&](const S& thread, const Status& error) {
                   std::lock_guard lock(mutex);
                   errors.emplace_back(thread, error);
                 })
                  .ok());
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return in_state(app, State::kError); }));
  app.close();
  EXPECT_EQ(app.state(), State::kError);
  std::lock_guard lock(mutex);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, "fail-StreamThread-1");
  EXPECT_EQ(errors[0].second.code(), StatusCode::kCorruption);
  EXPECT_NE(errors[0].second.message().find("topic numbers partition 0 offset 1"),
            std::string::npos)
      << errors[0].second;
}

TEST_F(KafkaStreamsTest, AnExceptionFromUserCodeFailsTheAppInsteadOfTheProcess) {
  create_topic("in", 1);
  create_topic("out", 1);
  produce("in", {{"k", "boom", 0, 0, 1}});
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map_values([](const S& v) -> S { throw std::runtime_error("user bug on " + v); })
      .to("out");
  KafkaStreams app(builder.build(), properties("throws"));
  Status error;
  ASSERT_TRUE(app.set_uncaught_error_handler([&](const S&, const Status& e) { error = e; }).ok());
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return in_state(app, State::kError); }));
  app.close();
  EXPECT_EQ(error.code(), StatusCode::kInternal) << error;
  EXPECT_NE(error.message().find("user bug on boom"), std::string::npos) << error;
}

TEST_F(KafkaStreamsTest, AnOutputTopicThatDoesNotExistFailsTheAppClearly) {
  create_topic("in", 1);
  produce("in", {{"k", "v", 0, 0, 1}});
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("nowhere");
  KafkaStreams app(builder.build(), properties("nowhere"));
  Status error;
  ASSERT_TRUE(app.set_uncaught_error_handler([&](const S&, const Status& e) { error = e; }).ok());
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return in_state(app, State::kError); }));
  app.close();
  EXPECT_EQ(error.code(), StatusCode::kNotFound) << error;
  EXPECT_NE(error.message().find("nowhere"), std::string::npos) << error;
}

// Uppercases values; input keys are "<n>", so the output can be checked record by record.
Topology shouting_topology(const S& input, const S& output) {
  StreamsBuilder builder;
  builder.stream<S, S>(input).map_values([](const S& v) { return upper(v); }).to(output);
  return builder.build();
}

std::vector<Message> numbered(int from, int to) {
  std::vector<Message> out;
  for (int i = from; i < to; ++i) {
    out.push_back({std::to_string(i), "v" + std::to_string(i), -1, 0, 1000 + i});
  }
  return out;
}

// The keys of `messages`, sorted, with their values checked to be the shouted "v<key>".
std::vector<int> shouted_keys(const std::vector<Message>& messages) {
  std::vector<int> keys;
  for (const Message& m : messages) {
    EXPECT_EQ(*m.value, "V" + *m.key);
    keys.push_back(std::stoi(*m.key));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<int> range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

std::size_t task_count(const KafkaStreams& app) {
  std::size_t n = 0;
  for (const StreamThreadMetrics& t : app.metrics().threads) n += t.tasks.size();
  return n;
}

TEST_F(KafkaStreamsTest, TwoInstancesSplitTheTasksAndOneTakesOverWhenTheOtherCloses) {
  create_topic("input6", 6);
  create_topic("output6", 6);
  auto first =
      std::make_unique<KafkaStreams>(shouting_topology("input6", "output6"), properties("scaled"));
  ASSERT_TRUE(first->start().ok());
  ASSERT_TRUE(
      wait_for([&] { return in_state(*first, State::kRunning) && task_count(*first) == 6; }));
  auto second =
      std::make_unique<KafkaStreams>(shouting_topology("input6", "output6"), properties("scaled"));
  ASSERT_TRUE(second->start().ok());
  ASSERT_TRUE(wait_for([&] {
    return in_state(*first, State::kRunning) && in_state(*second, State::kRunning) &&
           task_count(*first) == 3 && task_count(*second) == 3;
  }));
  produce("input6", numbered(0, 300));
  ASSERT_TRUE(wait_for([&] { return record_count("output6") >= 300; }));
  // Both processed part of it. Metrics are published every 100 ms, and the output can be
  // visible before they are: wait for them too.
  EXPECT_TRUE(wait_for([&] {
    return second->metrics().processed > 0u && first->metrics().processed > 0u &&
           first->metrics().processed + second->metrics().processed == 300u;
  }));

  second->close();
  ASSERT_TRUE(
      wait_for([&] { return in_state(*first, State::kRunning) && task_count(*first) == 6; }));
  produce("input6", numbered(300, 600));
  ASSERT_TRUE(wait_for([&] { return record_count("output6") >= 600; }));
  first->close();
  // Both closed cleanly: every input record is in the output exactly once.
  EXPECT_EQ(shouted_keys(read_to_end("output6")), range(0, 600));
}

TEST_F(KafkaStreamsTest, ARestartResumesFromTheCommittedOffsetsWithoutReprocessing) {
  create_topic("input", 3);
  create_topic("output", 3);
  produce("input", numbered(0, 90));
  {
    KafkaStreams app(shouting_topology("input", "output"), properties("resume"));
    ASSERT_TRUE(app.start().ok());
    ASSERT_TRUE(wait_for([&] { return record_count("output") >= 90; }));
    app.close();
    EXPECT_EQ(app.metrics().processed, 90u);
  }
  produce("input", numbered(90, 150));
  {
    KafkaStreams app(shouting_topology("input", "output"), properties("resume"));
    ASSERT_TRUE(app.start().ok());
    ASSERT_TRUE(wait_for([&] { return record_count("output") >= 150; }));
    app.close();
    // Only the new records were read: the first run's were committed on close.
    EXPECT_EQ(app.metrics().processed, 60u);
  }
  EXPECT_EQ(shouted_keys(read_to_end("output")), range(0, 150));
}

}  // namespace kafka_streams_test
}  // namespace runnel

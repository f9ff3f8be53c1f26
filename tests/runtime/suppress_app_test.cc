// A suppressed windowed count (until_window_closes) and a rate-limited table
// (until_time_limit) in a KafkaStreams application stopped and started again on the same
// broker and state directory: the suppress buffer is in memory, so the second start rebuilds
// it from its changelog. A result that went out before the restart is not emitted again, and
// one still buffered at the restart is emitted once, after it; a record late before the
// restart is late after it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace {

using S = std::string;
using I64 = std::int64_t;
using testing::decode_int64;
using testing::Message;
using testing::wait_for;
using namespace std::chrono_literals;

Topology suppressed_count() {
  StreamsBuilder builder;
  builder.stream<S, S>("clicks")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10ms))
      .count()
      .suppress(Suppressed::until_window_closes())
      .to_stream()
      .map([](const Windowed<S>& k, const std::optional<I64>& v) {
        return KeyValue<S, I64>(k.key + "@" + std::to_string(k.window.start_ms), v);
      })
      .to("finals");
  return builder.build();
}

// A table of prices whose updates go out at most once per 10 ms per key. Without a cache
// before suppress, so that each update reaches it with its own timestamp (a cache would
// forward a's two updates as one, at the second's time, at the commit).
Topology rate_limited_prices() {
  StreamsBuilder builder;
  builder.table<S, S>("prices", {}, Materialized<S, S>().with_caching_disabled())
      .suppress(Suppressed::until_time_limit(10ms, BufferConfig::unbounded()).with_name("rate"))
      .to_stream()
      .to("rated");
  return builder.build();
}

class SuppressAppTest : public testing::BrokerFixture {
 protected:
  KafkaStreams::Metrics run_until(std::int64_t finals, Topology topology = suppressed_count(),
                                  const S& output = "finals",
                                  const S& guarantee = "at_least_once") {
    KafkaStreams app(std::move(topology), {{"application.id", "suppressed"},
                                           {"bootstrap.servers", bootstrap_},
                                           {"state.dir", (dir_ / "state").string()},
                                           {"commit.interval.ms", "100"},
                                           {"processing.guarantee", guarantee},
                                           {"consumer.heartbeat.interval.ms", "200"}});
    Status started = app.start();
    EXPECT_TRUE(started.ok()) << started;
    // Under exactly-once the output's offsets also hold transaction markers.
    EXPECT_TRUE(wait_for([&] {
      return guarantee == "at_least_once"
                 ? record_count(output) >= finals
                 : static_cast<std::int64_t>(read_committed(output).size()) >= finals;
    }));
    app.close();
    return app.metrics();
  }
};

TEST_F(SuppressAppTest, AFinalResultIsNeitherRepeatedNorLostAcrossARestart) {
  create_topic("clicks", 1);
  create_topic("finals", 1);
  // [0, 10) closes at stream time 12; a's [10, 20) stays buffered.
  produce("clicks",
          {{"a", "x", 0, 0, 1}, {"b", "x", 0, 0, 3}, {"a", "x", 0, 0, 5}, {"a", "x", 0, 0, 12}});
  run_until(2);
  // After the restart, stream time 25 closes [10, 20): a's from the restored buffer.
  produce("clicks", {{"c", "x", 0, 0, 14}, {"c", "x", 0, 0, 25}});
  const KafkaStreams::Metrics second = run_until(4);
  EXPECT_GT(second.restored_records, 0u);
  std::map<S, std::vector<I64>> finals;
  for (const Message& m : read_to_end("finals")) finals[*m.key].push_back(decode_int64(*m.value));
  EXPECT_EQ(finals, (std::map<S, std::vector<I64>>{
                        {"a@0", {2}}, {"b@0", {1}}, {"a@10", {1}}, {"c@10", {1}}}));
}

// The stream time is committed with the offsets (Kafka Streams' partition-time metadata), so
// a restart does not reopen windows that had closed: a record late before the restart is
// late after it too. Were the stream time to start again from the first record after the
// restart, a@3 would be counted into [0, 10) and a second "final" a@0 would go out.
class SuppressAppRestartTest : public SuppressAppTest, public ::testing::WithParamInterface<S> {};

TEST_P(SuppressAppRestartTest, ARecordLateBeforeARestartIsStillLateAfterIt) {
  create_topic("clicks", 1);
  create_topic("finals", 1);
  produce("clicks", {{"a", "x", 0, 0, 1}, {"a", "x", 0, 0, 12}});
  run_until(1, suppressed_count(), "finals", GetParam());
  produce("clicks", {{"a", "x", 0, 0, 3}, {"a", "x", 0, 0, 25}});
  const KafkaStreams::Metrics second = run_until(2, suppressed_count(), "finals", GetParam());
  EXPECT_EQ(second.dropped_late, 1u);
  std::map<S, std::vector<I64>> finals;
  for (const Message& m : read_committed("finals")) {
    finals[*m.key].push_back(decode_int64(*m.value));
  }
  EXPECT_EQ(finals, (std::map<S, std::vector<I64>>{{"a@0", {1}}, {"a@10", {1}}}));
}

// The time travels in the consumer's commit and in a transaction's offsets alike.
INSTANTIATE_TEST_SUITE_P(Guarantees, SuppressAppRestartTest,
                         ::testing::Values("at_least_once", "exactly_once_v2"));

TEST_F(SuppressAppTest, ARateLimitedKeyBufferedAtARestartGoesOutOnceWithItsLatestValue) {
  create_topic("prices", 1);
  create_topic("rated", 1);
  // Stream time 11 lets a (waiting since 1) out with its latest value; b (since 3) and c
  // (since 11) are still buffered when the application stops.
  produce(
      "prices",
      {{"a", "a1", 0, 0, 1}, {"b", "b1", 0, 0, 3}, {"a", "a2", 0, 0, 6}, {"c", "c1", 0, 0, 11}});
  run_until(1, rate_limited_prices(), "rated");
  // After the restart: 13 lets b out from the restored buffer; c's update at 16 replaces its
  // value but keeps its wait from 11 (the restored key index), so 21 lets it out; d waits.
  produce("prices", {{"d", "d1", 0, 0, 13}, {"c", "c2", 0, 0, 16}, {"e", "e1", 0, 0, 21}});
  const KafkaStreams::Metrics second = run_until(3, rate_limited_prices(), "rated");
  EXPECT_GT(second.restored_records, 0u);
  std::map<S, std::vector<S>> rated;
  for (const Message& m : read_to_end("rated")) rated[*m.key].push_back(*m.value);
  EXPECT_EQ(rated, (std::map<S, std::vector<S>>{{"a", {"a2"}}, {"b", {"b1"}}, {"c", {"c2"}}}));
  // The buffer's changelog is named by with_name.
  EXPECT_GT(record_count("suppressed-rate-store-changelog"), 0);
}

}  // namespace
}  // namespace runnel

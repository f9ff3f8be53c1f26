// A StreamTask on its own, as a StreamThread will drive it: serialized records in, serialized
// records out through a RecordCollector.

#include "runtime/stream_task.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"

namespace runnel {
namespace stream_task_test {

using S = std::string;

struct Sent {
  std::string topic;
  NullableBytes key;
  NullableBytes value;
  Timestamp timestamp;
  Headers headers;
  std::optional<std::int32_t> partition;
};

class ListCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value,
              Timestamp timestamp, const Headers& headers,
              std::optional<std::int32_t> partition) override {
    sent.push_back(Sent{topic, key ? NullableBytes(Bytes(*key)) : std::nullopt,
                        value ? NullableBytes(Bytes(*value)) : std::nullopt, timestamp, headers,
                        partition});
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::vector<Sent> sent;
};

class StreamTaskTest : public ::testing::Test {
 protected:
  std::unique_ptr<StreamTask> make_task(const Topology& topology, TaskId id) {
    auto task = StreamTask::create(topology, id, {"app", &collector_, &clock_, &handler_});
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? std::move(*task) : nullptr;
  }
  static internal::RawRecordView raw(std::string_view topic, std::int64_t offset,
                                     std::string_view key, std::string_view value, Timestamp t,
                                     const Headers* headers = nullptr) {
    return internal::RawRecordView{topic, 0, offset, BytesView(key), BytesView(value), t, headers};
  }

  ListCollector collector_;
  ManualClock clock_{0};
  LogAndFailExceptionHandler handler_;
};

TEST_F(StreamTaskTest, StreamTimeIsTheLargestTimestampProcessed) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out");
  Topology topology = builder.build();
  auto task = make_task(topology, {0, 0});
  EXPECT_EQ(task->stream_time(), kNoTimestamp);
  ASSERT_TRUE(task->process(raw("in", 0, "k", "a", 5)).ok());
  ASSERT_TRUE(task->process(raw("in", 1, "k", "b", 3)).ok());
  EXPECT_EQ(task->stream_time(), 5);
  ASSERT_TRUE(task->process(raw("in", 2, "k", "c", 9)).ok());
  EXPECT_EQ(task->stream_time(), 9);
  EXPECT_EQ(task->metrics().processed, 3u);
}

TEST_F(StreamTaskTest, SinksSendSerializedKeyValueTimestampAndHeaders) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").map_values([](const S& v) { return v + v; }).to("out");
  Topology topology = builder.build();
  auto task = make_task(topology, {0, 0});
  Headers headers{{"h", Bytes::from_string("1")}};
  ASSERT_TRUE(task->process(raw("in", 0, "key", "ab", 7, &headers)).ok());
  ASSERT_EQ(collector_.sent.size(), 1u);
  const Sent& s = collector_.sent[0];
  EXPECT_EQ(s.topic, "out");
  EXPECT_EQ(s.key, Bytes::from_string("key"));
  EXPECT_EQ(s.value, Bytes::from_string("abab"));
  EXPECT_EQ(s.timestamp, 7);
  EXPECT_EQ(s.headers, headers);
  EXPECT_EQ(s.partition, std::nullopt);
}

TEST_F(StreamTaskTest, RefusesARecordOfATopicItDoesNotRead) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out");
  Topology topology = builder.build();
  auto task = make_task(topology, {0, 0});
  EXPECT_EQ(task->process(raw("other", 0, "k", "v", 1)).code(), StatusCode::kInvalidArgument);
}

TEST_F(StreamTaskTest, RepartitionTopicsAreNamedWithTheApplicationId) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").repartition(Repartitioned<S, S>::as("x")).to("out");
  Topology topology = builder.build();
  ASSERT_EQ(topology.subtopologies().size(), 2u);
  // Sub-topologies are numbered by source name, as Kafka Streams numbers them:
  // KSTREAM-SOURCE-0000000000 (reading "in") sorts before x-repartition-source.
  auto upstream = make_task(topology, {0, 0});
  auto downstream = make_task(topology, {1, 0});
  EXPECT_EQ(upstream->source_topics(), std::vector<std::string>{"in"});
  EXPECT_EQ(downstream->source_topics(), std::vector<std::string>{"app-x-repartition"});
  ASSERT_TRUE(upstream->process(raw("in", 0, "k", "v", 1)).ok());
  ASSERT_EQ(collector_.sent.size(), 1u);
  EXPECT_EQ(collector_.sent[0].topic, "app-x-repartition");
  ASSERT_TRUE(downstream->process(raw("app-x-repartition", 0, "k", "v", 1)).ok());
  ASSERT_EQ(collector_.sent.size(), 2u);
  EXPECT_EQ(collector_.sent[1].topic, "out");
}

TEST_F(StreamTaskTest, TopologyWithAnErrorMakesNoTask) {
  StreamsBuilder builder;
  builder.stream<S, S>("in", Consumed<S, S>{.name = "same"});
  builder.stream<S, S>("in2", Consumed<S, S>{.name = "same"});
  Topology topology = builder.build();
  auto task = StreamTask::create(topology, {0, 0}, {"app", &collector_, &clock_, &handler_});
  EXPECT_FALSE(task.ok());
}

}  // namespace stream_task_test
}  // namespace runnel

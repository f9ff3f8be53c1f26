// The TopologyTestDriver as an application's tests use it: piping, reading, repartition round
// trips, the Processor API's context, and records that do not deserialize.

#include "runtime/topology_test_driver.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/processor.h"
#include "operators/streams_builder.h"
#include "runtime/internal/default_partitioner.h"

namespace runnel {
namespace topology_test_driver_test {

using S = std::string;
using KV = KeyValue<S, S>;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder,
                                               TopologyTestDriver::Config config = {}) {
  auto driver = TopologyTestDriver::create(builder.build(), std::move(config));
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

TEST(TopologyTestDriverTest, RepartitionWritesTheInternalTopicAndReadsItBack) {
  StreamsBuilder builder;
  builder
      .stream<S, S>("words")
      // The input is unkeyed: a key parameter must be an optional to be called.
      .select_key([](const std::optional<S>&, const S& w) { return w; })
      .repartition(Repartitioned<S, S>::as("by-word").with_partitions(3))
      .map_values([](const S& w) { return static_cast<std::int64_t>(w.size()); })
      .to("lengths");
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = driver_for(builder, config);
  auto in = driver->create_input_topic<S, S>("words");
  auto internal = driver->create_output_topic<S, S>("app-by-word-repartition");
  auto out = driver->create_output_topic<S, std::int64_t>("lengths");
  const std::vector<S> words = {"kafka", "streams", "in", "c++", "kafka"};
  for (const S& w : words) ASSERT_TRUE(in.pipe_input(std::nullopt, w, 10).ok());

  // The repartition topic holds every record, in the partition of its new key.
  auto repartitioned = internal.read_records_to_list();
  ASSERT_TRUE(repartitioned.ok());
  ASSERT_EQ(repartitioned->size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    const Record<S, S>& r = (*repartitioned)[i];
    EXPECT_EQ(r.key, words[i]);
    EXPECT_EQ(r.position->partition, internal::default_partition(std::string_view(words[i]), 3));
  }
  // Read back by the second sub-topology, one task per partition.
  auto lengths = out.read_records_to_list();
  ASSERT_TRUE(lengths.ok());
  ASSERT_EQ(lengths->size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    EXPECT_EQ((*lengths)[i].key, words[i]);
    EXPECT_EQ((*lengths)[i].value, static_cast<std::int64_t>(words[i].size()));
    EXPECT_EQ((*lengths)[i].timestamp, 10);
  }
  EXPECT_EQ(driver->metrics().processed, 2 * words.size());
}

TEST(TopologyTestDriverTest, RepartitionUsesTheGivenPartitioner) {
  StreamsBuilder builder;
  Repartitioned<S, S> r = Repartitioned<S, S>::as("r").with_partitions(4);
  r.partitioner = [](const S&, const std::optional<S>& key, const std::optional<S>&,
                     std::int32_t n) -> std::optional<std::int32_t> {
    return static_cast<std::int32_t>(key->size()) % n;
  };
  builder.stream<S, S>("in").repartition(r).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("abc", "v", 1).ok());
  auto& queue = driver->output_queue("topology-test-driver-r-repartition");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.front().partition, 3);
  EXPECT_EQ(driver->output_queue("out").size(), 1u);
}

// Counts records per key and forwards the count; forwards a copy to a named child when the
// value is "audit"; reports what its context says about the record.
class CountingProcessor final : public Processor<S, S, S, std::int64_t> {
 public:
  explicit CountingProcessor(std::vector<S>* log) : log_(log) {}
  void init(ProcessorContext<S, std::int64_t>& context) override { context_ = &context; }
  void process(Record<S, S> record) override {
    const auto& meta = context_->record_metadata();
    log_->push_back(context_->application_id() + " " + context_->task_id().to_string() + " " +
                    meta->topic + "@" + std::to_string(meta->offset) +
                    " t=" + std::to_string(context_->current_stream_time()));
    const std::int64_t n = ++counts_[*record.key];
    Record<S, std::int64_t> out{record.key, n, record.timestamp, record.headers, std::nullopt};
    if (record.value == "audit") {
      context_->forward(out, "audit");
    } else {
      context_->forward(out);
    }
  }
  void close() override { log_->push_back("closed"); }

 private:
  std::vector<S>* log_;
  ProcessorContext<S, std::int64_t>* context_ = nullptr;
  std::map<S, std::int64_t> counts_;
};

TEST(TopologyTestDriverTest, ProcessorApiSeesItsContextAndForwardsToAllOrOneChild) {
  StreamsBuilder builder;
  std::vector<S> log;
  auto counts = builder.stream<S, S>("events").process(
      [&log] { return std::make_unique<CountingProcessor>(&log); }, Named::as("counter"));
  static_assert(std::is_same_v<decltype(counts), KStream<S, std::int64_t>>);
  counts.to("counts", Produced<S, std::int64_t>{.name = "all"});
  counts.filter([](std::int64_t) { return true; }, Named::as("audit")).to("audit");
  TopologyTestDriver::Config config;
  config.application_id = "shop";
  {
    auto driver = driver_for(builder, config);
    auto in = driver->create_input_topic<S, S>("events");
    auto all = driver->create_output_topic<S, std::int64_t>("counts");
    auto audit = driver->create_output_topic<S, std::int64_t>("audit");
    ASSERT_TRUE(in.pipe_input("a", "x", 5).ok());
    ASSERT_TRUE(in.pipe_input("a", "audit", 4).ok());
    ASSERT_TRUE(in.pipe_input("b", "x", 8).ok());
    using KL = KeyValue<S, std::int64_t>;
    // forward(record) reaches both children; forward(record, "audit") only the audit one.
    EXPECT_EQ(*all.read_key_values_to_list(), (std::vector<KL>{{"a", 1}, {"b", 1}}));
    EXPECT_EQ(*audit.read_key_values_to_list(), (std::vector<KL>{{"a", 1}, {"a", 2}, {"b", 1}}));
  }
  EXPECT_EQ(log, (std::vector<S>{"shop 0_0 events@0 t=5", "shop 0_0 events@1 t=5",
                                 "shop 0_0 events@2 t=8", "closed"}));
}

TEST(TopologyTestDriverTest, LogAndFailStopsAtARecordThatDoesNotDeserialize) {
  StreamsBuilder builder;
  builder.stream<S, std::int32_t>("numbers").to("out");
  auto driver = driver_for(builder);
  auto good = driver->create_input_topic<S, std::int32_t>("numbers");
  auto bad = driver->create_input_topic<S, S>("numbers");
  ASSERT_TRUE(good.pipe_input("k", 1, 1).ok());
  Status s = bad.pipe_input("k", "abc", 2);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("topic numbers partition 0 offset 1"), std::string::npos) << s;
  EXPECT_NE(s.message().find("int32"), std::string::npos) << s;
  EXPECT_EQ(driver->output_queue("out").size(), 1u);
}

TEST(TopologyTestDriverTest, LogAndContinueSkipsAndCountsARecordThatDoesNotDeserialize) {
  StreamsBuilder builder;
  builder.stream<S, std::int32_t>("numbers").to("out");
  auto handler = std::make_shared<LogAndContinueExceptionHandler>();
  TopologyTestDriver::Config config;
  config.deserialization_handler = handler;
  auto driver = driver_for(builder, config);
  auto good = driver->create_input_topic<S, std::int32_t>("numbers");
  auto bad = driver->create_input_topic<S, S>("numbers");
  auto out = driver->create_output_topic<S, std::int32_t>("out");
  ASSERT_TRUE(good.pipe_input("k", 1, 1).ok());
  ASSERT_TRUE(bad.pipe_input("k", "abc", 2).ok());
  ASSERT_TRUE(good.pipe_input("k", 3, 3).ok());
  using KI = KeyValue<S, std::int32_t>;
  EXPECT_EQ(*out.read_key_values_to_list(), (std::vector<KI>{{"k", 1}, {"k", 3}}));
  EXPECT_EQ(handler->skipped(), 1u);
  EXPECT_EQ(driver->metrics().skipped_deserialization, 1u);
}

TEST(TopologyTestDriverTest, PipingIntoATopicTheTopologyDoesNotReadFails) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out");
  auto driver = driver_for(builder);
  auto other = driver->create_input_topic<S, S>("elsewhere");
  EXPECT_EQ(other.pipe_input("k", "v", 1).code(), StatusCode::kNotFound);
}

TEST(TopologyTestDriverTest, ReadingAnEmptyOutputTopicIsNotFound) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out");
  auto driver = driver_for(builder);
  auto out = driver->create_output_topic<S, S>("out");
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(out.read_key_value().status().code(), StatusCode::kNotFound);
}

TEST(TopologyTestDriverTest, OutputRecordsCarryTopicPartitionAndOffset) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  in.set_current_time(100);
  in.set_auto_advance(std::chrono::milliseconds(5));
  ASSERT_TRUE(in.pipe_input("a", "1").ok());
  ASSERT_TRUE(in.pipe_input("b", "2").ok());
  auto records = out.read_records_to_list();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].position, (RecordPosition{"out", 0, 1}));
  EXPECT_EQ((*records)[0].timestamp, 100);
  EXPECT_EQ((*records)[1].timestamp, 105);
}

TEST(TopologyTestDriverTest, ASinkThatCannotSerializeFailsThePipe) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").map_values([](const S&) { return Void{}; }).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  Status s = in.pipe_input("k", "v", 1);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("KSTREAM-SINK-0000000002"), std::string::npos) << s;
}

}  // namespace topology_test_driver_test
}  // namespace runnel

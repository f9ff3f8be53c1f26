// Each stateless KStream operator, run through the TopologyTestDriver: what a user of the DSL
// relies on, from the input topic to the output topic.

#include "operators/kstream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace kstream_test {

using S = std::string;
using KV = KeyValue<S, S>;

std::unique_ptr<TopologyTestDriver> driver_for(StreamsBuilder& builder) {
  auto driver = TopologyTestDriver::create(builder.build());
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

template <typename K, typename V>
std::vector<KeyValue<K, V>> drain(TestOutputTopic<K, V>& topic) {
  auto all = topic.read_key_values_to_list();
  EXPECT_TRUE(all.ok()) << all.status();
  return all.ok() ? *all : std::vector<KeyValue<K, V>>{};
}

TEST(KStreamTest, FilterKeepsRecordsWhosePredicateHolds) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").filter([](const S&, const S& v) { return v.size() > 2; }).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "xy", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "xyz", 2).ok());
  ASSERT_TRUE(in.pipe_input("c", "", 3).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"b", "xyz"}}));
}

TEST(KStreamTest, FilterNotDropsRecordsWhosePredicateHolds) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").filter_not([](const S& v) { return v == "drop"; }).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "keep", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "drop", 2).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"a", "keep"}}));
}

TEST(KStreamTest, MapValuesDeducesTheOutputTypeFromTheLambda) {
  StreamsBuilder builder;
  auto doubled = builder.stream<S, S>("in").map_values([](const S& v) { return v.size() * 1.5; });
  static_assert(std::is_same_v<decltype(doubled), KStream<S, double>>);
  doubled.to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, double>("out");
  ASSERT_TRUE(in.pipe_input("k", "abcd", 7).ok());
  auto record = out.read_record();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->key, "k");
  EXPECT_EQ(record->value, 6.0);
  EXPECT_EQ(record->timestamp, 7);
}

TEST(KStreamTest, MapValuesWithKeySeesTheKeyAndKeepsTimestampAndHeaders) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map_values([](const S& k, const S& v) { return k + ":" + v; })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  Record<S, S> input{"k", "v", 42, Headers{{"trace", Bytes::from_string("t1")}}, std::nullopt};
  ASSERT_TRUE(in.pipe_record(input).ok());
  auto record = out.read_record();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->value, "k:v");
  EXPECT_EQ(record->timestamp, 42);
  EXPECT_EQ(record->headers, input.headers);
}

TEST(KStreamTest, MapChangesKeyAndValueTypes) {
  StreamsBuilder builder;
  auto mapped = builder.stream<S, S>("in").map([](const S& k, const S& v) {
    return std::make_pair(static_cast<std::int64_t>(v.size()), k);
  });
  static_assert(std::is_same_v<decltype(mapped), KStream<std::int64_t, S>>);
  mapped.to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<std::int64_t, S>("out");
  ASSERT_TRUE(in.pipe_input("key", "12345", 1).ok());
  EXPECT_EQ(drain(out), (std::vector<KeyValue<std::int64_t, S>>{{5, "key"}}));
}

TEST(KStreamTest, MapMayProduceANullValue) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map([](const S& k, const S&) { return KeyValue<S, S>(k, std::nullopt); })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("k", "v", 1).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"k", std::nullopt}}));
}

TEST(KStreamTest, SelectKeyReplacesTheKeyAndKeepsTheValue) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .select_key([](const S&, const S& v) { return v.substr(0, 1); })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("old", "hello", 1).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"h", "hello"}}));
}

TEST(KStreamTest, FlatMapEmitsZeroOrMoreRecordsInOrder) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .flat_map([](const S& k, const S& v) {
        std::vector<KeyValue<S, std::int32_t>> out;
        for (char c : v) out.emplace_back(k + c, static_cast<std::int32_t>(c));
        return out;
      })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, std::int32_t>("out");
  ASSERT_TRUE(in.pipe_input("k", "ab", 5).ok());
  ASSERT_TRUE(in.pipe_input("k", "", 6).ok());
  auto records = out.read_records_to_list();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].key, "ka");
  EXPECT_EQ((*records)[0].value, 'a');
  EXPECT_EQ((*records)[1].key, "kb");
  EXPECT_EQ((*records)[1].timestamp, 5);
}

// Sees whether records arrive with the position of an input record.
class PositionProbe final : public Processor<S, S, S, S> {
 public:
  explicit PositionProbe(std::vector<bool>* seen) : seen_(seen) {}
  void process(Record<S, S> record) override { seen_->push_back(record.position.has_value()); }

 private:
  std::vector<bool>* seen_;
};

TEST(KStreamTest, MappedRecordsKeepTheInputPositionAndFlatMappedOnesHaveNone) {
  StreamsBuilder builder;
  std::vector<bool> mapped, flat_mapped;
  auto s = builder.stream<S, S>("in");
  s.map_values([](const S& v) { return v; }).process([&mapped] {
    return std::make_unique<PositionProbe>(&mapped);
  });
  s.flat_map_values([](const S& v) { return std::vector<S>{v}; }).process([&flat_mapped] {
    return std::make_unique<PositionProbe>(&flat_mapped);
  });
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 1).ok());
  EXPECT_EQ(mapped, std::vector<bool>{true});
  EXPECT_EQ(flat_mapped, std::vector<bool>{false});
}

TEST(KStreamTest, FlatMapValuesSplitsEachValueAndKeepsTheKey) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .flat_map_values([](const S& line) {
        std::vector<S> words;
        std::size_t start = 0;
        while (start < line.size()) {
          std::size_t end = line.find(' ', start);
          if (end == S::npos) end = line.size();
          if (end > start) words.push_back(line.substr(start, end - start));
          start = end + 1;
        }
        return words;
      })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("doc", "to be or", 1).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"doc", "to"}, {"doc", "be"}, {"doc", "or"}}));
}

TEST(KStreamTest, PeekSeesEveryRecordAndForwardsIt) {
  StreamsBuilder builder;
  std::vector<KV> seen;
  builder.stream<S, S>("in")
      .peek([&seen](const S& k, const S& v) { seen.emplace_back(k, v); })
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "1", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "2", 2).ok());
  EXPECT_EQ(seen, (std::vector<KV>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(drain(out), seen);
}

TEST(KStreamTest, ForeachCallsTheActionForEveryRecord) {
  StreamsBuilder builder;
  std::vector<KV> seen;
  builder.stream<S, S>("in").foreach ([&seen](const S& k, const S& v) { seen.emplace_back(k, v); });
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("a", "1", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "2", 2).ok());
  EXPECT_EQ(seen, (std::vector<KV>{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(driver->produced_topic_names().empty());
}

TEST(KStreamTest, SplitSendsEachRecordToTheFirstMatchingBranchElseTheDefault) {
  StreamsBuilder builder;
  auto branches =
      builder.stream<S, std::int64_t>("in")
          .split(Named::as("size-"))
          .branch([](const S&, std::int64_t v) { return v > 100; }, Branched::as("large"))
          .branch([](std::int64_t v) { return v > 10; }, Branched::as("medium"))
          .default_branch(Branched::as("small"));
  ASSERT_EQ(branches.size(), 3u);
  branches.at("size-large").to("large");
  branches.at("size-medium").to("medium");
  branches.at("size-small").to("small");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, std::int64_t>("in");
  auto large = driver->create_output_topic<S, std::int64_t>("large");
  auto medium = driver->create_output_topic<S, std::int64_t>("medium");
  auto small = driver->create_output_topic<S, std::int64_t>("small");
  for (std::int64_t v : {500, 50, 5, 1000}) ASSERT_TRUE(in.pipe_input("k", v, 1).ok());
  using KL = KeyValue<S, std::int64_t>;
  EXPECT_EQ(drain(large), (std::vector<KL>{{"k", 500}, {"k", 1000}}));
  EXPECT_EQ(drain(medium), (std::vector<KL>{{"k", 50}}));
  EXPECT_EQ(drain(small), (std::vector<KL>{{"k", 5}}));
}

TEST(KStreamTest, SplitWithoutDefaultBranchDropsRecordsNoBranchTakes) {
  StreamsBuilder builder;
  auto branches = builder.stream<S, S>("in")
                      .split()
                      .branch([](const S& v) { return v == "x"; })
                      .no_default_branch();
  ASSERT_EQ(branches.size(), 1u);
  // Unnamed: <generated split name><1-based position>.
  branches.at("KSTREAM-BRANCH-00000000011").to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "x", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "y", 2).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"a", "x"}}));
}

TEST(KStreamTest, MergeInterleavesTwoStreamsInProcessingOrder) {
  StreamsBuilder builder;
  auto left = builder.stream<S, S>("left");
  auto right = builder.stream<S, S>("right").map_values([](const S& v) { return v + "!"; });
  left.merge(right).to("out");
  auto driver = driver_for(builder);
  auto l = driver->create_input_topic<S, S>("left");
  auto r = driver->create_input_topic<S, S>("right");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(l.pipe_input("a", "1", 1).ok());
  ASSERT_TRUE(r.pipe_input("b", "2", 2).ok());
  ASSERT_TRUE(l.pipe_input("c", "3", 3).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"a", "1"}, {"b", "2!"}, {"c", "3"}}));
}

TEST(KStreamTest, ToWithATopicNameExtractorRoutesEachRecord) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to(
      TopicNameExtractor<S, S>([](const Record<S, S>& r) { return "out-" + *r.key; }));
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto a = driver->create_output_topic<S, S>("out-a");
  auto b = driver->create_output_topic<S, S>("out-b");
  ASSERT_TRUE(in.pipe_input("a", "1", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "2", 2).ok());
  ASSERT_TRUE(in.pipe_input("a", "3", 3).ok());
  EXPECT_EQ(drain(a), (std::vector<KV>{{"a", "1"}, {"a", "3"}}));
  EXPECT_EQ(drain(b), (std::vector<KV>{{"b", "2"}}));
}

TEST(KStreamTest, ToWritesWithProducedSerdes) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map_values([](const S& v) { return static_cast<std::int32_t>(v.size()); })
      .to("out", Produced<S, std::int32_t>{.value_serde = std::make_shared<Int32Serde>()});
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "abc", 1).ok());
  auto& queue = driver->output_queue("out");
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.front().value, (Bytes{0, 0, 0, 3}));
}

TEST(KStreamTest, ConsumedTimestampExtractorSetsRecordTimestamps) {
  StreamsBuilder builder;
  Consumed<S, std::int64_t> consumed;
  consumed.timestamp_extractor = [](const Record<S, std::int64_t>& r, Timestamp) {
    return *r.value * 1000;
  };
  builder.stream<S, std::int64_t>("in", consumed).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, std::int64_t>("in");
  auto out = driver->create_output_topic<S, std::int64_t>("out");
  ASSERT_TRUE(in.pipe_input("k", 7, 1).ok());
  auto record = out.read_record();
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->timestamp, 7000);
}

TEST(KStreamTest, NegativeExtractedTimestampDropsTheRecord) {
  StreamsBuilder builder;
  Consumed<S, S> consumed;
  consumed.timestamp_extractor = [](const Record<S, S>&, Timestamp) { return Timestamp{-5}; };
  builder.stream<S, S>("in", consumed).to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("k", "v", 1).ok());
  EXPECT_TRUE(out.is_empty());
  EXPECT_EQ(driver->metrics().dropped, 1u);
}

TEST(KStreamTest, NullAndEmptyKeysAndValuesStayDistinctThroughOperators) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .filter([](const std::optional<S>&, const std::optional<S>&) { return true; })
      .map_values([](const std::optional<S>& v) { return v; })
      .peek([](const S&, const S&) {})
      .to("out");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input(std::nullopt, "", 1).ok());
  ASSERT_TRUE(in.pipe_input("", std::nullopt, 2).ok());
  ASSERT_TRUE(in.pipe_input(std::nullopt, std::nullopt, 3).ok());
  ASSERT_TRUE(in.pipe_input("", "", 4).ok());
  auto& queue = driver->output_queue("out");
  ASSERT_EQ(queue.size(), 4u);
  EXPECT_EQ(queue[0].key, std::nullopt);
  EXPECT_EQ(queue[0].value, Bytes());
  EXPECT_EQ(queue[1].key, Bytes());
  EXPECT_EQ(queue[1].value, std::nullopt);
  EXPECT_EQ(queue[2].key, std::nullopt);
  EXPECT_EQ(queue[2].value, std::nullopt);
  EXPECT_EQ(queue[3].key, Bytes());
  EXPECT_EQ(queue[3].value, Bytes());
}

TEST(KStreamTest, PlainTypedCallablesAreNotGivenNulls) {
  StreamsBuilder builder;
  int mapper_calls = 0;
  auto stream = builder.stream<S, S>("in");
  stream.filter_not([](const S&, const S&) { return true; }).to("kept-by-filter-not");
  stream
      .map_values([&mapper_calls](const S& v) {
        ++mapper_calls;
        return v;
      })
      .to("mapped");
  auto driver = driver_for(builder);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", std::nullopt, 1).ok());
  // filter_not's predicate cannot be asked, so it does not hold: the record is kept.
  EXPECT_EQ(driver->output_queue("kept-by-filter-not").size(), 1u);
  // map_values' mapper cannot be called: the record is dropped and counted.
  EXPECT_EQ(mapper_calls, 0);
  EXPECT_TRUE(driver->output_queue("mapped").empty());
  EXPECT_EQ(driver->metrics().dropped, 1u);
}

TEST(KStreamTest, TopologyWithoutASerdeForItsTypesIsRefused) {
  struct NoSerde {};
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map_values([](const S&) { return NoSerde{}; })
      .peek([](const S&, const NoSerde&) {});
  EXPECT_TRUE(builder.build().status().ok());
  // The stream knows no serde for NoSerde, and the type has no default: refused when built.
  // (Reading a topic as NoSerde with no Consumed serde does not compile: the compile-fail
  // checks in tests/operators/compile_fail.)
  builder.stream<S, S>("other").map_values([](const S&) { return NoSerde{}; }).to("out");
  Topology topology = builder.build();
  EXPECT_EQ(topology.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(TopologyTestDriver::create(topology).ok());
}

TEST(KStreamTest, DuplicateProcessorNamesAreRefused) {
  StreamsBuilder builder;
  auto s = builder.stream<S, S>("in");
  s.filter([](const S&) { return true; }, Named::as("f"));
  s.filter([](const S&) { return true; }, Named::as("f"));
  EXPECT_EQ(builder.build().status().code(), StatusCode::kInvalidArgument);
}

TEST(KStreamTest, TheReadmeExampleRunsAsWritten) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("words")
      .filter([](const std::string&, const std::string& w) { return !w.empty(); })
      .map_values([](const std::string& w) { return static_cast<std::int64_t>(w.size()); })
      .to("lengths");
  auto driver = *TopologyTestDriver::create(builder.build());
  auto in = driver->create_input_topic<std::string, std::string>("words");
  auto out = driver->create_output_topic<std::string, std::int64_t>("lengths");
  ASSERT_TRUE(in.pipe_input("k", "stream", 1).ok());
  ASSERT_TRUE(in.pipe_input("k", "", 2).ok());
  auto kv = out.read_key_value();
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(*kv, (KeyValue<std::string, std::int64_t>("k", 6)));
  EXPECT_TRUE(out.is_empty());
}

TEST(KStreamTest, StreamOfSeveralTopicsReadsThemAllThroughOneSource) {
  StreamsBuilder builder;
  builder.stream<S, S>(std::vector<S>{"a", "b"}).to("out");
  Topology topology = builder.build();
  ASSERT_EQ(topology.subtopologies().size(), 1u);
  auto driver = driver_for(builder);
  auto a = driver->create_input_topic<S, S>("a");
  auto b = driver->create_input_topic<S, S>("b");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(a.pipe_input("k", "1", 1).ok());
  ASSERT_TRUE(b.pipe_input("k", "2", 2).ok());
  EXPECT_EQ(drain(out), (std::vector<KV>{{"k", "1"}, {"k", "2"}}));
}

TEST(KStreamTest, ATopicReadByTwoSourcesIsRefused) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").to("x");
  builder.stream<S, S>("in").to("y");
  EXPECT_EQ(builder.build().status().code(), StatusCode::kInvalidArgument);
}

}  // namespace kstream_test
}  // namespace runnel

// default.timestamp.extractor: the built-in extractors a source without its own uses, as the
// TopologyTestDriver (and so every task) applies them to records with valid and invalid
// timestamps.

#include "operators/timestamp_extractor.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace timestamp_extractor_test {

using S = std::string;

class DefaultTimestampExtractorTest : public ::testing::Test {
 protected:
  void make(DefaultTimestampExtractor extractor) {
    StreamsBuilder builder;
    builder.stream<S, S>("in").to("out");
    TopologyTestDriver::Config config;
    config.default_timestamp_extractor = extractor;
    config.initial_wall_clock_ms = 5'000;
    auto driver = TopologyTestDriver::create(builder.build(), std::move(config));
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
  }
  // The timestamps of what reached "out".
  std::vector<Timestamp> output_timestamps() {
    auto records = driver_->create_output_topic<S, S>("out").read_records_to_list();
    EXPECT_TRUE(records.ok()) << records.status();
    std::vector<Timestamp> out;
    if (records.ok()) {
      for (const auto& r : *records) out.push_back(r.timestamp);
    }
    return out;
  }

  std::unique_ptr<TopologyTestDriver> driver_;
};

TEST_F(DefaultTimestampExtractorTest, FailOnInvalidTimestampStopsAtANegativeTimestamp) {
  make(DefaultTimestampExtractor::kFailOnInvalidTimestamp);
  auto in = driver_->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 100).ok());
  Status s = in.pipe_input("k", "v", -1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("invalid (negative) timestamp"), std::string::npos) << s;
  EXPECT_NE(s.message().find("in-0 offset 1"), std::string::npos) << s;  // Which record.
  EXPECT_EQ(output_timestamps(), (std::vector<Timestamp>{100}));
}

TEST_F(DefaultTimestampExtractorTest, LogAndSkipDropsAndCountsARecordWithANegativeTimestamp) {
  make(DefaultTimestampExtractor::kLogAndSkipOnInvalidTimestamp);
  auto in = driver_->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 100).ok());
  ASSERT_TRUE(in.pipe_input("k", "v", -1).ok());
  ASSERT_TRUE(in.pipe_input("k", "v", 200).ok());
  EXPECT_EQ(output_timestamps(), (std::vector<Timestamp>{100, 200}));
  EXPECT_EQ(driver_->metrics().dropped, 1u);
}

TEST_F(DefaultTimestampExtractorTest, UsePartitionTimeStampsAnInvalidRecordWithStreamTime) {
  make(DefaultTimestampExtractor::kUsePartitionTimeOnInvalidTimestamp);
  auto in = driver_->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", -1).ok());  // No stream time yet: dropped.
  ASSERT_TRUE(in.pipe_input("k", "v", 300).ok());
  ASSERT_TRUE(in.pipe_input("k", "v", 100).ok());  // Valid, if out of order: kept as is.
  ASSERT_TRUE(in.pipe_input("k", "v", -1).ok());
  EXPECT_EQ(output_timestamps(), (std::vector<Timestamp>{300, 100, 300}));
  EXPECT_EQ(driver_->metrics().dropped, 1u);
}

TEST_F(DefaultTimestampExtractorTest, WallclockStampsRecordsWithTheProcessingTime) {
  make(DefaultTimestampExtractor::kWallclockTimestampExtractor);
  auto in = driver_->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 100).ok());
  ASSERT_TRUE(driver_->advance_wall_clock_time(std::chrono::milliseconds(250)).ok());
  ASSERT_TRUE(in.pipe_input("k", "v", -1).ok());
  EXPECT_EQ(output_timestamps(), (std::vector<Timestamp>{5'000, 5'250}));
}

TEST_F(DefaultTimestampExtractorTest, AConsumedExtractorTakesPrecedenceOverTheDefault) {
  StreamsBuilder builder;
  Consumed<S, S> consumed;
  consumed.timestamp_extractor = [](const Record<S, S>& r, Timestamp) {
    return static_cast<Timestamp>(r.value->size());
  };
  builder.stream<S, S>("in", consumed).to("out");
  TopologyTestDriver::Config config;
  config.default_timestamp_extractor = DefaultTimestampExtractor::kFailOnInvalidTimestamp;
  auto driver = TopologyTestDriver::create(builder.build(), std::move(config));
  ASSERT_TRUE(driver.ok()) << driver.status();
  driver_ = std::move(*driver);
  auto in = driver_->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "four", -1).ok());
  EXPECT_EQ(output_timestamps(), (std::vector<Timestamp>{4}));
}

TEST(ParseDefaultTimestampExtractorTest, AcceptsKafkaClassNamesAndShortForms) {
  EXPECT_EQ(*parse_default_timestamp_extractor(
                "org.apache.kafka.streams.processor.WallclockTimestampExtractor"),
            DefaultTimestampExtractor::kWallclockTimestampExtractor);
  EXPECT_EQ(*parse_default_timestamp_extractor("LogAndSkipOnInvalidTimestamp"),
            DefaultTimestampExtractor::kLogAndSkipOnInvalidTimestamp);
  EXPECT_EQ(*parse_default_timestamp_extractor("use-partition-time-on-invalid"),
            DefaultTimestampExtractor::kUsePartitionTimeOnInvalidTimestamp);
  EXPECT_EQ(*parse_default_timestamp_extractor("fail-on-invalid"),
            DefaultTimestampExtractor::kFailOnInvalidTimestamp);
  Result<DefaultTimestampExtractor> bad = parse_default_timestamp_extractor("MyExtractor");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("MyExtractor"), std::string::npos);
}

}  // namespace timestamp_extractor_test
}  // namespace runnel

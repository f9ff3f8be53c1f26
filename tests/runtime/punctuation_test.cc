// Punctuators scheduled through the Processor API, driven by stream time and by the driver's
// mock wall clock, with Kafka Streams' timing rules.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "operators/processor.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace punctuation_test {

using S = std::string;
using std::chrono::milliseconds;

// Schedules one punctuator in init; each call forwards ("tick", <time>) downstream.
class Ticker final : public Processor<S, S, S, Timestamp> {
 public:
  Ticker(PunctuationType type, milliseconds interval, std::vector<Timestamp>* calls,
         Cancellable* handle)
      : type_(type), interval_(interval), calls_(calls), handle_(handle) {}

  void init(ProcessorContext<S, Timestamp>& context) override {
    context_ = &context;
    Cancellable h = context.schedule(interval_, type_, [this](Timestamp t) {
      calls_->push_back(t);
      context_->forward(Record<S, Timestamp>{"tick", t, t});
    });
    if (handle_ != nullptr) *handle_ = h;
  }
  void process(Record<S, S> record) override { (void)record; }

 private:
  PunctuationType type_;
  milliseconds interval_;
  std::vector<Timestamp>* calls_;
  Cancellable* handle_;
  ProcessorContext<S, Timestamp>* context_ = nullptr;
};

std::unique_ptr<TopologyTestDriver> ticker_driver(PunctuationType type, milliseconds interval,
                                                  std::vector<Timestamp>* calls,
                                                  Cancellable* handle = nullptr,
                                                  std::int64_t wall_clock_start = 0) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .process([=] { return std::make_unique<Ticker>(type, interval, calls, handle); })
      .to("ticks");
  TopologyTestDriver::Config config;
  config.initial_wall_clock_ms = wall_clock_start;
  auto driver = TopologyTestDriver::create(builder.build(), config);
  EXPECT_TRUE(driver.ok()) << driver.status();
  return std::move(*driver);
}

TEST(PunctuationTest, StreamTimePunctuatorFiresWithTheFirstRecordThenOnIntervalBoundaries) {
  std::vector<Timestamp> calls;
  auto driver = ticker_driver(PunctuationType::kStreamTime, milliseconds(10), &calls);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 3).ok());   // First record: fires at stream time 3.
  ASSERT_TRUE(in.pipe_input("k", "v", 9).ok());   // Next due at 10: nothing.
  ASSERT_TRUE(in.pipe_input("k", "v", 10).ok());  // Fires at 10.
  ASSERT_TRUE(in.pipe_input("k", "v", 5).ok());   // Out of order: stream time stays 10.
  ASSERT_TRUE(in.pipe_input("k", "v", 47).ok());  // Fires once, not once per missed interval.
  ASSERT_TRUE(in.pipe_input("k", "v", 49).ok());  // Next due at 50.
  ASSERT_TRUE(in.pipe_input("k", "v", 50).ok());
  EXPECT_EQ(calls, (std::vector<Timestamp>{3, 10, 47, 50}));
}

TEST(PunctuationTest, StreamTimePunctuatorDoesNotFireOnWallClockTime) {
  std::vector<Timestamp> calls;
  auto driver = ticker_driver(PunctuationType::kStreamTime, milliseconds(10), &calls);
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(1000)).ok());
  EXPECT_TRUE(calls.empty());
}

TEST(PunctuationTest, WallClockPunctuatorFiresOneIntervalAfterSchedulingAndThenEveryInterval) {
  std::vector<Timestamp> calls;
  auto driver =
      ticker_driver(PunctuationType::kWallClockTime, milliseconds(100), &calls, nullptr, 1000);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 5000).ok());  // Records do not move the wall clock.
  EXPECT_TRUE(calls.empty());
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(99)).ok());
  EXPECT_TRUE(calls.empty());
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(1)).ok());
  EXPECT_EQ(calls, (std::vector<Timestamp>{1100}));
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(250)).ok());
  EXPECT_EQ(calls, (std::vector<Timestamp>{1100, 1350}));
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(50)).ok());
  EXPECT_EQ(calls, (std::vector<Timestamp>{1100, 1350, 1400}));
}

TEST(PunctuationTest, RecordsForwardedByAPunctuatorReachTheSink) {
  std::vector<Timestamp> calls;
  auto driver = ticker_driver(PunctuationType::kWallClockTime, milliseconds(10), &calls);
  auto ticks = driver->create_output_topic<S, Timestamp>("ticks");
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(10)).ok());
  auto record = ticks.read_record();
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->key, "tick");
  EXPECT_EQ(record->value, 10);
  EXPECT_EQ(record->timestamp, 10);
}

TEST(PunctuationTest, CancelledPunctuatorIsNotCalledAgain) {
  std::vector<Timestamp> calls;
  Cancellable handle;
  auto driver = ticker_driver(PunctuationType::kWallClockTime, milliseconds(10), &calls, &handle);
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(10)).ok());
  handle.cancel();
  ASSERT_TRUE(driver->advance_wall_clock_time(milliseconds(100)).ok());
  EXPECT_EQ(calls, (std::vector<Timestamp>{10}));
}

}  // namespace punctuation_test
}  // namespace runnel

// processing.exception.handler (KIP-1033) and dead-letter records (KIP-1034): an exception
// thrown by user code fails the task by default, naming the record; log-and-continue skips
// the record; a handler of one's own sees where it happened and may send dead letters.
#include "runtime/processing_exception_handler.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "operators/processor.h"
#include "operators/streams_builder.h"
#include "runtime/streams_config.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace processing_exception_handler_test {

using S = std::string;
using KS = KeyValue<S, S>;

// Upper-cases values; throws on "boom".
Topology shouting_topology() {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .map_values([](const S& v) {
        if (v == "boom") throw std::invalid_argument("cannot shout " + v);
        S out = v;
        for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return out;
      })
      .to("out");
  return builder.build();
}

std::unique_ptr<TopologyTestDriver> driver_for(Topology topology,
                                               TopologyTestDriver::Config config = {}) {
  auto driver = TopologyTestDriver::create(std::move(topology), std::move(config));
  EXPECT_TRUE(driver.ok()) << driver.status();
  return driver.ok() ? std::move(*driver) : nullptr;
}

S header_text(const Headers& headers, const char* key) {
  const Header* h = headers.last(key);
  return h != nullptr && h->value ? S(h->value->as_string_view()) : "<none>";
}

TEST(ProcessingExceptionHandlerTest, ByDefaultAnExceptionFailsNamingTheRecordAndTheException) {
  auto driver = driver_for(shouting_topology());
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "hi", 1).ok());
  const Status s = in.pipe_input("k", "boom", 2);
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s;
  EXPECT_NE(s.message().find("std::invalid_argument"), std::string::npos) << s;
  EXPECT_NE(s.message().find("cannot shout boom"), std::string::npos) << s;
  EXPECT_NE(s.message().find("topic in partition 0 offset 1"), std::string::npos) << s;
}

TEST(ProcessingExceptionHandlerTest, LogAndContinueSkipsTheRecordAndCountsItAsDropped) {
  TopologyTestDriver::Config config;
  auto handler = std::make_shared<LogAndContinueProcessingExceptionHandler>();
  config.processing_handler = handler;
  auto driver = driver_for(shouting_topology(), config);
  auto in = driver->create_input_topic<S, S>("in");
  auto out = driver->create_output_topic<S, S>("out");
  ASSERT_TRUE(in.pipe_input("a", "hi", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "boom", 2).ok());
  ASSERT_TRUE(in.pipe_input("c", "yo", 3).ok());
  EXPECT_EQ(*out.read_key_values_to_list(), (std::vector<KS>{{"a", "HI"}, {"c", "YO"}}));
  EXPECT_EQ(handler->resumed(), 1u);
  EXPECT_EQ(driver->metrics().dropped, 1u);
  EXPECT_TRUE(driver->output_queue("dead-letters").empty());
}

TEST(ProcessingExceptionHandlerTest, WithADeadLetterTopicTheFailingRecordGoesThereWithTheError) {
  TopologyTestDriver::Config config;
  config.processing_handler =
      std::make_shared<LogAndContinueProcessingExceptionHandler>("dead-letters");
  auto driver = driver_for(shouting_topology(), config);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("a", "hi", 1).ok());
  ASSERT_TRUE(in.pipe_input("b", "boom", 7).ok());
  const auto& dead = driver->output_queue("dead-letters");
  ASSERT_EQ(dead.size(), 1u);
  const TopologyTestDriver::ProducedRecord& r = dead.front();
  EXPECT_EQ(S(r.key->as_string_view()), "b");  // The source record's bytes, as read.
  EXPECT_EQ(S(r.value->as_string_view()), "boom");
  EXPECT_EQ(r.timestamp, 7);
  EXPECT_EQ(header_text(r.headers, "__streams.errors.exception"), "std::invalid_argument");
  EXPECT_EQ(header_text(r.headers, "__streams.errors.message"), "cannot shout boom");
  EXPECT_EQ(header_text(r.headers, "__streams.errors.topic"), "in");
  EXPECT_EQ(header_text(r.headers, "__streams.errors.partition"), "0");
  EXPECT_EQ(header_text(r.headers, "__streams.errors.offset"), "1");
}

TEST(ProcessingExceptionHandlerTest, LogAndFailSendsTheDeadLetterAndThenFails) {
  TopologyTestDriver::Config config;
  config.processing_handler =
      std::make_shared<LogAndFailProcessingExceptionHandler>("dead-letters");
  auto driver = driver_for(shouting_topology(), config);
  auto in = driver->create_input_topic<S, S>("in");
  EXPECT_EQ(in.pipe_input("b", "boom", 1).code(), StatusCode::kInternal);
  EXPECT_EQ(driver->output_queue("dead-letters").size(), 1u);
}

// Records every context it is given; resumes, sending a dead letter of its own.
class RecordingHandler final : public ProcessingExceptionHandler {
 public:
  ProcessingHandlerResponse handle(const ProcessingErrorContext& context) override {
    std::lock_guard lock(mutex_);
    seen.push_back(context);
    DeadLetterRecord mine{.topic = "mine", .value = Bytes::from_string(context.message)};
    return {.result = ProcessingHandlerResponse::Result::kResume, .dead_letters = {mine}};
  }
  std::mutex mutex_;
  std::vector<ProcessingErrorContext> seen;
};

TEST(ProcessingExceptionHandlerTest, AHandlerOfOnesOwnSeesTheTaskTheRecordAndTheException) {
  TopologyTestDriver::Config config;
  auto handler = std::make_shared<RecordingHandler>();
  config.processing_handler = handler;
  auto driver = driver_for(shouting_topology(), config);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("x", "boom", 42).ok());
  ASSERT_EQ(handler->seen.size(), 1u);
  const ProcessingErrorContext& c = handler->seen[0];
  EXPECT_EQ(c.task_id.to_string(), "0_0");
  EXPECT_EQ(c.topic, "in");
  EXPECT_EQ(c.partition, 0);
  EXPECT_EQ(c.offset, 0);
  EXPECT_EQ(c.timestamp, 42);
  EXPECT_EQ(S(c.source_key->as_string_view()), "x");
  EXPECT_EQ(c.exception_type, "std::invalid_argument");
  EXPECT_EQ(c.message, "cannot shout boom");
  ASSERT_EQ(driver->output_queue("mine").size(), 1u);
  EXPECT_EQ(S(driver->output_queue("mine").front().value->as_string_view()), "cannot shout boom");
}

// Throws from a stream-time punctuator every 10 ms.
class ThrowingPunctuator final : public Processor<S, S, S, S> {
 public:
  void init(ProcessorContext<S, S>& context) override {
    context.schedule(std::chrono::milliseconds(10), PunctuationType::kStreamTime,
                     [](Timestamp) { throw std::runtime_error("punctuator broke"); });
  }
  void process(Record<S, S> record) override { (void)record; }
};

TEST(ProcessingExceptionHandlerTest, APunctuatorsExceptionReachesTheHandlerWithNoRecord) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .process([] { return std::make_unique<ThrowingPunctuator>(); })
      .to("out");
  TopologyTestDriver::Config config;
  auto handler = std::make_shared<RecordingHandler>();
  config.processing_handler = handler;
  auto driver = driver_for(builder.build(), config);
  auto in = driver->create_input_topic<S, S>("in");
  ASSERT_TRUE(in.pipe_input("k", "v", 10).ok());
  ASSERT_EQ(handler->seen.size(), 1u);
  EXPECT_EQ(handler->seen[0].topic, "");
  EXPECT_EQ(handler->seen[0].offset, -1);
  EXPECT_EQ(handler->seen[0].exception_type, "std::runtime_error");
  EXPECT_EQ(handler->seen[0].message, "punctuator broke");
}

TEST(ProcessingExceptionHandlerTest, ConfigNamesTheBuiltInsAndTheDeadLetterTopic) {
  auto defaults =
      StreamsConfig::parse({{"application.id", "a"}, {"bootstrap.servers", "127.0.0.1:1"}});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_NE(dynamic_cast<LogAndFailProcessingExceptionHandler*>(defaults->processing_handler.get()),
            nullptr);
  EXPECT_EQ(defaults->dead_letter_queue_topic, "");
  for (const char* name :
       {"log-and-continue",
        "org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler"}) {
    auto config = StreamsConfig::parse({{"application.id", "a"},
                                        {"bootstrap.servers", "127.0.0.1:1"},
                                        {"processing.exception.handler", name},
                                        {"errors.dead.letter.queue.topic.name", "dlq"}});
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_NE(
        dynamic_cast<LogAndContinueProcessingExceptionHandler*>(config->processing_handler.get()),
        nullptr)
        << name;
    EXPECT_EQ(config->dead_letter_queue_topic, "dlq");
  }
  auto alias = StreamsConfig::parse({{"application.id", "a"},
                                     {"bootstrap.servers", "127.0.0.1:1"},
                                     {"errors.deadletterqueue.topic.name", "dlq2"}});
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->dead_letter_queue_topic, "dlq2");
  EXPECT_EQ(StreamsConfig::parse({{"application.id", "a"},
                                  {"bootstrap.servers", "127.0.0.1:1"},
                                  {"processing.exception.handler", "ignore-everything"}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace processing_exception_handler_test
}  // namespace runnel

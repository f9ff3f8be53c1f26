// StreamsConfig: Kafka Streams' property names, their defaults and their errors.

#include "runtime/streams_config.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace runnel {
namespace {

StreamsProperties required(StreamsProperties extra = {}) {
  StreamsProperties p{{"application.id", "app"}, {"bootstrap.servers", "127.0.0.1:9092"}};
  for (auto& [k, v] : extra) p[k] = v;
  return p;
}

TEST(StreamsConfigTest, DefaultsAreKafkaStreamsDefaults) {
  Result<StreamsConfig> config = StreamsConfig::parse(required());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->num_stream_threads, 1);
  EXPECT_EQ(config->commit_interval, std::chrono::milliseconds(30'000));
  EXPECT_EQ(config->default_timestamp_extractor,
            DefaultTimestampExtractor::kFailOnInvalidTimestamp);
  EXPECT_EQ(config->cache_max_bytes, 10u << 20);
  EXPECT_EQ(config->max_task_idle, std::chrono::milliseconds(0));
  EXPECT_EQ(config->consumer.at("bootstrap.servers"), "127.0.0.1:9092");
}

TEST(StreamsConfigTest, ParsesTimestampExtractorCacheSizeAndTaskIdling) {
  Result<StreamsConfig> config = StreamsConfig::parse(
      required({{"default.timestamp.extractor",
                 "org.apache.kafka.streams.processor.WallclockTimestampExtractor"},
                {"statestore.cache.max.bytes", "0"},
                {"max.task.idle.ms", "-1"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->default_timestamp_extractor,
            DefaultTimestampExtractor::kWallclockTimestampExtractor);
  EXPECT_EQ(config->cache_max_bytes, 0u);
  EXPECT_EQ(config->max_task_idle, std::chrono::milliseconds(-1));

  config = StreamsConfig::parse(required({{"cache.max.bytes.buffering", "1048576"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cache_max_bytes, 1u << 20);
}

TEST(StreamsConfigTest, BadValuesNameTheProperty) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"default.timestamp.extractor", "com.example.MyExtractor"},
           {"cache.max.bytes.buffering", "-1"},
           {"max.task.idle.ms", "-2"},
           {"max.task.idle.ms", "soon"},
           {"num.stream.threads", "0"}}) {
    Result<StreamsConfig> config = StreamsConfig::parse(required({{name, value}}));
    ASSERT_FALSE(config.ok()) << name << "=" << value;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(name), std::string::npos) << config.status();
  }
}

TEST(StreamsConfigTest, DefaultSerdesAreRefusedWithTheCPlusPlusWayToSetThem) {
  Result<StreamsConfig> config = StreamsConfig::parse(
      required({{"default.value.serde", "org.apache.kafka.common.serialization.Serdes$Long"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("DefaultSerde"), std::string::npos) << config.status();
}

TEST(StreamsConfigTest, TheGroupAndOffsetCommitsBelongToTheRuntime) {
  EXPECT_FALSE(StreamsConfig::parse(required({{"group.id", "other"}})).ok());
  EXPECT_FALSE(StreamsConfig::parse(required({{"consumer.enable.auto.commit", "true"}})).ok());
}

}  // namespace
}  // namespace runnel

// StreamsConfig: Kafka Streams' property names, their defaults and their errors.

#include "runtime/streams_config.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace runnel {
namespace streams_config_test {

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
  EXPECT_EQ(config->buffered_records_per_partition, 1000);
  EXPECT_FALSE(config->record_store_metrics) << "metrics.recording.level is INFO by default";
  EXPECT_EQ(config->consumer.at("bootstrap.servers"), "127.0.0.1:9092");
}

TEST(StreamsConfigTest, RecordingLevelsDebugAndTraceMeterTheStores) {
  for (const auto& [level, metered] : std::vector<std::pair<std::string, bool>>{
           {"INFO", false}, {"DEBUG", true}, {"TRACE", true}}) {
    Result<StreamsConfig> config =
        StreamsConfig::parse(required({{"metrics.recording.level", level}}));
    ASSERT_TRUE(config.ok()) << level << ": " << config.status();
    EXPECT_EQ(config->record_store_metrics, metered) << level;
  }
  EXPECT_FALSE(StreamsConfig::parse(required({{"metrics.recording.level", "debug"}})).ok());
}

TEST(StreamsConfigTest, ApplicationServerIsAHostAndPortKeptFromTheClients) {
  Result<StreamsConfig> none = StreamsConfig::parse(required());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->application_server.has_value());
  Result<StreamsConfig> config =
      StreamsConfig::parse(required({{"application.server", "127.0.0.1:7070"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->application_server, (HostInfo{"127.0.0.1", 7070}));
  EXPECT_EQ(config->consumer.count("application.server"), 0u);
  Result<StreamsConfig> bad = StreamsConfig::parse(required({{"application.server", "nowhere"}}));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("application.server"), std::string::npos);
}

TEST(StreamsConfigTest, ParsesBufferedRecordsPerPartitionAndRefusesLessThanOne) {
  Result<StreamsConfig> config =
      StreamsConfig::parse(required({{"buffered.records.per.partition", "50"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->buffered_records_per_partition, 50);
  for (const char* bad : {"0", "-1", "x", "4294967296"}) {
    config = StreamsConfig::parse(required({{"buffered.records.per.partition", bad}}));
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.status().message().find("buffered.records.per.partition"), std::string::npos)
        << config.status();
  }
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

TEST(StreamsConfigTest, TopologyOptimizationIsCheckedAndKeptFromTheClients) {
  for (const char* value : {"none", "all", "single.store.self.join"}) {
    Result<StreamsConfig> config =
        StreamsConfig::parse(required({{"topology.optimization", value}}));
    ASSERT_TRUE(config.ok()) << value << ": " << config.status();
    // librdkafka refuses properties it does not know.
    EXPECT_EQ(config->consumer.count("topology.optimization"), 0u);
    EXPECT_EQ(config->producer.count("topology.optimization"), 0u);
    EXPECT_EQ(config->admin.count("topology.optimization"), 0u);
  }
  for (const char* value : {"merge.repartition.topics", "everything"}) {
    Result<StreamsConfig> config =
        StreamsConfig::parse(required({{"topology.optimization", value}}));
    ASSERT_FALSE(config.ok()) << value;
    EXPECT_NE(config.status().message().find("topology.optimization"), std::string::npos)
        << config.status();
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

TEST(StreamsConfigTest, ExactlyOnceV2SetsKafkaStreamsEosDefaults) {
  for (const char* name : {"exactly_once_v2", "exactly_once_beta"}) {
    Result<StreamsConfig> config = StreamsConfig::parse(required({{"processing.guarantee", name}}));
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_TRUE(config->exactly_once()) << name;
    EXPECT_EQ(config->commit_interval, std::chrono::milliseconds(100));
    EXPECT_EQ(config->consumer.at("isolation.level"), "read_committed");
    EXPECT_EQ(config->producer.at("enable.idempotence"), "true");
    EXPECT_EQ(config->producer.at("transaction.timeout.ms"), "10000");
    EXPECT_EQ(config->producer.count("transactional.id"), 0u);  // Per thread, by the runtime.
  }
}

TEST(StreamsConfigTest, UnderExactlyOnceAUserCommitIntervalAndTransactionTimeoutWin) {
  Result<StreamsConfig> config =
      StreamsConfig::parse(required({{"processing.guarantee", "exactly_once_v2"},
                                     {"commit.interval.ms", "2000"},
                                     {"producer.transaction.timeout.ms", "30000"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->commit_interval, std::chrono::milliseconds(2000));
  EXPECT_EQ(config->producer.at("transaction.timeout.ms"), "30000");
}

TEST(StreamsConfigTest, AtLeastOnceLeavesIsolationAndIdempotenceAlone) {
  Result<StreamsConfig> config = StreamsConfig::parse(required());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->exactly_once());
  EXPECT_EQ(config->consumer.count("isolation.level"), 0u);
  EXPECT_EQ(config->producer.count("transaction.timeout.ms"), 0u);
}

TEST(StreamsConfigTest, TheDeprecatedExactlyOnceIsRefusedPointingToV2) {
  Result<StreamsConfig> config =
      StreamsConfig::parse(required({{"processing.guarantee", "exactly_once"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("exactly_once_v2"), std::string::npos)
      << config.status();
  EXPECT_FALSE(StreamsConfig::parse(required({{"processing.guarantee", "exactly-once"}})).ok());
}

TEST(StreamsConfigTest, SettingsThatWouldBreakExactlyOnceAreRefused) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"consumer.isolation.level", "read_uncommitted"},
           {"isolation.level", "read_uncommitted"},
           {"producer.enable.idempotence", "false"}}) {
    Result<StreamsConfig> config = StreamsConfig::parse(
        required({{"processing.guarantee", "exactly_once_v2"}, {name, value}}));
    ASSERT_FALSE(config.ok()) << name;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  }
  // The runtime owns the transactional.id under any guarantee.
  EXPECT_FALSE(StreamsConfig::parse(required({{"producer.transactional.id", "mine"}})).ok());
}

TEST(StreamsConfigTest, GroupInstanceIdIsAPerThreadPrefixAndEmptyTurnsStaticMembershipOff) {
  Result<StreamsConfig> config = StreamsConfig::parse(required());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->group_instance_id.has_value());  // The runtime's default.
  config = StreamsConfig::parse(required({{"consumer.group.instance.id", "ledger-a"}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->group_instance_id, "ledger-a");
  EXPECT_EQ(config->consumer.count("group.instance.id"), 0u);
  config = StreamsConfig::parse(required({{"group.instance.id", ""}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->group_instance_id, "");
}

}  // namespace streams_config_test
}  // namespace runnel

#include "broker/storage/topic_config.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

TopicConfig parsed(const std::string& name, const std::string& value) {
  auto config = TopicConfig().with_overrides({{name, value}});
  EXPECT_TRUE(config.ok()) << name << "=" << value << ": " << config.status().to_string();
  return config.ok() ? *config : TopicConfig();
}

void expect_refused(const std::string& name, const std::string& value) {
  auto config = TopicConfig().with_overrides({{name, value}});
  ASSERT_FALSE(config.ok()) << name << "=" << value << " was accepted";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(name), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find(value), std::string::npos) << config.status().message();
}

TEST(TopicConfigTest, HasKafkasDefaults) {
  const TopicConfig config;
  EXPECT_EQ(config.cleanup_policy, "delete");
  EXPECT_EQ(config.segment_bytes, 1073741824);
  EXPECT_EQ(config.retention_ms, 604800000);
  EXPECT_EQ(config.retention_bytes, -1);
  EXPECT_EQ(config.max_message_bytes, 1048588);
  EXPECT_FALSE(config.log_append_time());
}

TEST(TopicConfigTest, ParsesEachConfig) {
  EXPECT_EQ(parsed("cleanup.policy", "compact").cleanup_policy, "compact");
  EXPECT_EQ(parsed("cleanup.policy", "compact,delete").cleanup_policy, "compact,delete");
  EXPECT_EQ(parsed("segment.bytes", "1048576").segment_bytes, 1048576);
  EXPECT_EQ(parsed("segment.ms", "60000").segment_ms, 60000);
  EXPECT_EQ(parsed("retention.ms", "-1").retention_ms, -1);
  EXPECT_EQ(parsed("retention.ms", "3600000").retention_ms, 3600000);
  EXPECT_EQ(parsed("retention.bytes", "1073741824").retention_bytes, 1073741824);
  EXPECT_EQ(parsed("max.message.bytes", "2000000").max_message_bytes, 2000000);
  EXPECT_TRUE(parsed("message.timestamp.type", "LogAppendTime").log_append_time());
  EXPECT_FALSE(parsed("message.timestamp.type", "CreateTime").log_append_time());
  EXPECT_EQ(parsed("flush.messages", "1").flush_messages, 1);
  EXPECT_EQ(parsed("flush.ms", "1000").flush_ms, 1000);
  EXPECT_EQ(parsed("index.interval.bytes", "128").index_interval_bytes, 128);
  EXPECT_DOUBLE_EQ(parsed("min.cleanable.dirty.ratio", "0.25").min_cleanable_dirty_ratio, 0.25);
  EXPECT_EQ(parsed("delete.retention.ms", "5").delete_retention_ms, 5);
}

TEST(TopicConfigTest, AppliesSeveralOverridesAndLeavesTheRestAtTheBase) {
  TopicConfig base;
  base.retention_ms = 1000;
  auto config = base.with_overrides({{"segment.bytes", "4096"}, {"flush.messages", "10"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->segment_bytes, 4096);
  EXPECT_EQ(config->flush_messages, 10);
  EXPECT_EQ(config->retention_ms, 1000);
  EXPECT_EQ(base.segment_bytes, 1073741824);  // the base is not modified
  EXPECT_EQ(*base.with_overrides({}), base);
}

TEST(TopicConfigTest, RejectsAnUnknownConfigNamingIt) {
  auto config = TopicConfig().with_overrides({{"retention.msec", "1000"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("retention.msec"), std::string::npos);
}

TEST(TopicConfigTest, RejectsBadValuesNamingTheConfigAndTheValue) {
  expect_refused("retention.ms", "soon");
  expect_refused("retention.ms", "12abc");
  expect_refused("retention.ms", "");
  expect_refused("retention.ms", "-2");
  expect_refused("retention.bytes", "-5");
  expect_refused("segment.bytes", "13");
  expect_refused("segment.bytes", "2147483648");
  expect_refused("segment.ms", "0");
  expect_refused("max.message.bytes", "99999999999");
  expect_refused("flush.messages", "0");
  expect_refused("flush.ms", "-1");
  expect_refused("cleanup.policy", "forever");
  expect_refused("message.timestamp.type", "WallClock");
  expect_refused("min.cleanable.dirty.ratio", "1.5");
  expect_refused("min.cleanable.dirty.ratio", "half");
  expect_refused("index.interval.bytes", "1.5");
}

TEST(TopicConfigTest, AcceptsEveryKafkaTopicConfigAndChecksItsValue) {
  // What clients and Kafka Streams set on topics; refused with INVALID_CONFIG until issue #16.
  const std::map<std::string, std::string> standard = {
      {"compression.type", "zstd"},
      {"min.insync.replicas", "2"},
      {"unclean.leader.election.enable", "true"},
      {"min.compaction.lag.ms", "1000"},
      {"max.compaction.lag.ms", "600000"},
      {"message.timestamp.difference.max.ms", "86400000"},
      {"preallocate", "true"},
      {"segment.index.bytes", "1048576"},
      {"segment.jitter.ms", "10"},
      {"file.delete.delay.ms", "1000"},
      {"message.downconversion.enable", "false"},
      {"follower.replication.throttled.replicas", "*"},
      {"leader.replication.throttled.replicas", "0:0"},
      {"local.retention.ms", "1000"},
      {"remote.storage.enable", "false"},
  };
  auto config = TopicConfig().with_overrides(standard);
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  std::map<std::string, ConfigEntry> by_name;
  for (const ConfigEntry& entry : config->describe(TopicConfig())) by_name[entry.name] = entry;
  for (const auto& [name, value] : standard) {
    ASSERT_TRUE(by_name.contains(name)) << name;
    EXPECT_EQ(by_name[name].value, value) << name;
    EXPECT_EQ(by_name[name].is_default, name == "remote.storage.enable") << name;
  }
  EXPECT_EQ(by_name["message.format.version"].value, "3.0-IV1");
  EXPECT_TRUE(by_name["message.format.version"].is_default);

  expect_refused("compression.type", "brotli");
  expect_refused("min.insync.replicas", "0");
  expect_refused("preallocate", "yes");
  expect_refused("segment.index.bytes", "3");
  expect_refused("max.compaction.lag.ms", "0");
  expect_refused("local.retention.bytes", "-3");
}

TEST(TopicConfigTest, DescribeListsEveryConfigAndMarksDefaults) {
  const TopicConfig defaults;
  auto config = defaults.with_overrides({{"retention.ms", "1000"}, {"cleanup.policy", "compact"}});
  ASSERT_TRUE(config.ok());
  const auto entries = config->describe(defaults);
  std::map<std::string, ConfigEntry> by_name;
  for (const ConfigEntry& entry : entries) by_name[entry.name] = entry;
  EXPECT_EQ(by_name.size(), entries.size()) << "a config is listed twice";
  for (const char* name :
       {"cleanup.policy", "segment.bytes", "segment.ms", "retention.ms", "retention.bytes",
        "max.message.bytes", "message.timestamp.type", "flush.messages", "flush.ms",
        "index.interval.bytes", "min.cleanable.dirty.ratio", "delete.retention.ms"}) {
    ASSERT_TRUE(by_name.contains(name)) << name;
  }
  EXPECT_EQ(by_name["retention.ms"].value, "1000");
  EXPECT_FALSE(by_name["retention.ms"].is_default);
  EXPECT_EQ(by_name["cleanup.policy"].value, "compact");
  EXPECT_FALSE(by_name["cleanup.policy"].is_default);
  EXPECT_EQ(by_name["segment.bytes"].value, "1073741824");
  EXPECT_TRUE(by_name["segment.bytes"].is_default);
  EXPECT_EQ(by_name["retention.bytes"].value, "-1");
  EXPECT_TRUE(by_name["retention.bytes"].is_default);
  // Every described value parses back to the same config.
  std::map<std::string, std::string> round_trip;
  for (const ConfigEntry& entry : entries) round_trip[entry.name] = entry.value;
  auto again = TopicConfig().with_overrides(round_trip);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(*again, *config);
}

TEST(TopicConfigTest, DescribeComparesWithTheBrokersDefaultsNotKafkas) {
  TopicConfig broker_defaults;
  broker_defaults.retention_ms = 1000;
  const auto entries = broker_defaults.describe(broker_defaults);
  for (const ConfigEntry& entry : entries) EXPECT_TRUE(entry.is_default) << entry.name;
  for (const ConfigEntry& entry : TopicConfig().describe(broker_defaults)) {
    EXPECT_EQ(entry.is_default, entry.name != "retention.ms") << entry.name;
  }
}

TEST(TopicConfigTest, AcceptsLegalTopicNames) {
  for (const std::string& name :
       std::vector<std::string>{"a", "orders", "Orders.v2", "__consumer_offsets", "a-b_c.d", "0",
                                "...", std::string(249, 'x')}) {
    EXPECT_TRUE(validate_topic_name(name).ok()) << name;
  }
}

TEST(TopicConfigTest, RejectsIllegalTopicNamesSayingWhy) {
  struct Case {
    std::string name;
    std::string reason;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{".", "not allowed"}, Case{"..", "not allowed"},
        Case{std::string(250, 'x'), "249"}, Case{"with space", "' '"}, Case{"slash/name", "'/'"},
        Case{"caf\xc3\xa9", "only ASCII"}, Case{"colon:", "':'"}, Case{"star*", "'*'"}}) {
    const Status status = validate_topic_name(c.name);
    ASSERT_FALSE(status.ok()) << c.name;
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.reason), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace runnel::broker

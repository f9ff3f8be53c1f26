#include "broker/storage/log_manager.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::make_batch;
using testing::offsets_in;
using testing::TempDir;

class LogManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogManager> open_manager() {
    auto manager = LogManager::open(dir_.path() / "data", defaults_, clock_);
    EXPECT_TRUE(manager.ok()) << manager.status().to_string();
    return manager.ok() ? std::move(manager).value() : nullptr;
  }

  std::vector<std::string> names(const LogManager& manager) const {
    std::vector<std::string> result;
    for (const TopicInfo& info : manager.list_topics()) result.push_back(info.name);
    return result;
  }

  std::vector<std::string> entries() const {
    std::vector<std::string> result;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / "data")) {
      result.push_back(entry.path().filename().string());
    }
    std::sort(result.begin(), result.end());
    return result;
  }

  TempDir dir_;
  TopicConfig defaults_;
  ManualClock clock_;
};

TEST_F(LogManagerTest, CreatesListsAndDescribesTopics) {
  auto manager = open_manager();
  EXPECT_TRUE(manager->list_topics().empty());
  ASSERT_TRUE(manager->create_topic("orders", 3, {}, false).ok());
  ASSERT_TRUE(manager->create_topic("audit", 1, {{"retention.ms", "1000"}}, false).ok());
  EXPECT_EQ(names(*manager), (std::vector<std::string>{"audit", "orders"}));

  auto orders = manager->describe_topic("orders");
  ASSERT_TRUE(orders.has_value());
  EXPECT_EQ(orders->partitions, 3);
  EXPECT_TRUE(orders->overrides.empty());
  EXPECT_EQ(orders->config, defaults_);
  auto audit = manager->describe_topic("audit");
  ASSERT_TRUE(audit.has_value());
  EXPECT_EQ(audit->config.retention_ms, 1000);
  EXPECT_EQ(audit->config.segment_bytes, defaults_.segment_bytes);
  EXPECT_EQ(audit->overrides, (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
  EXPECT_FALSE(manager->describe_topic("missing").has_value());

  for (int32_t p = 0; p < 3; ++p) EXPECT_NE(manager->log("orders", p), nullptr) << p;
  EXPECT_EQ(manager->log("orders", 3), nullptr);
  EXPECT_EQ(manager->log("orders", -1), nullptr);
  EXPECT_EQ(manager->log("missing", 0), nullptr);
  EXPECT_EQ(entries(), (std::vector<std::string>{"audit-0", "orders-0", "orders-1", "orders-2",
                                                 "topics.meta"}));
}

TEST_F(LogManagerTest, PartitionsAreIndependentLogs) {
  auto manager = open_manager();
  ASSERT_TRUE(manager->create_topic("t", 2, {}, false).ok());
  ASSERT_EQ(manager->log("t", 0)->append(make_batch(3), clock_.now_ms()).base_offset, 0);
  ASSERT_EQ(manager->log("t", 1)->append(make_batch(1), clock_.now_ms()).base_offset, 0);
  EXPECT_EQ(manager->log("t", 0)->log_end_offset(), 3);
  EXPECT_EQ(manager->log("t", 1)->log_end_offset(), 1);
}

TEST_F(LogManagerTest, ValidateOnlyChecksButChangesNothing) {
  auto manager = open_manager();
  ASSERT_TRUE(manager->create_topic("t", 2, {{"segment.bytes", "1000"}}, true).ok());
  EXPECT_TRUE(manager->list_topics().empty());
  EXPECT_EQ(manager->log("t", 0), nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "t-0"));
  // Validation still refuses what a real create would.
  EXPECT_EQ(manager->create_topic("bad name", 1, {}, true).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_topic("t", 1, {{"nope", "1"}}, true).code(),
            StatusCode::kInvalidArgument);

  ASSERT_TRUE(manager->create_topic("t", 2, {}, false).ok());
  ASSERT_TRUE(manager->create_partitions("t", 5, true).ok());
  EXPECT_EQ(manager->describe_topic("t")->partitions, 2);
  EXPECT_EQ(manager->log("t", 2), nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "t-2"));
  EXPECT_EQ(manager->create_topic("t", 1, {}, true).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(manager->create_partitions("t", 2, true).code(), StatusCode::kInvalidArgument);
}

TEST_F(LogManagerTest, RefusesBadCreatesWithTheRightError) {
  auto manager = open_manager();
  ASSERT_TRUE(manager->create_topic("t", 1, {}, false).ok());
  EXPECT_EQ(manager->create_topic("t", 4, {}, false).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(manager->create_topic("", 1, {}, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_topic("..", 1, {}, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_topic("a/b", 1, {}, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_topic("u", 0, {}, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_topic("u", -3, {}, false).code(), StatusCode::kInvalidArgument);
  const Status bad_config = manager->create_topic("u", 1, {{"retention.ms", "soon"}}, false);
  EXPECT_EQ(bad_config.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_config.message().find("retention.ms"), std::string::npos);
  EXPECT_EQ(manager->create_topic("u", 1, {{"unknown.config", "1"}}, false).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(names(*manager), (std::vector<std::string>{"t"}));
  EXPECT_EQ(manager->describe_topic("t")->partitions, 1);
  EXPECT_EQ(entries(), (std::vector<std::string>{"t-0", "topics.meta"}));
}

TEST_F(LogManagerTest, DeletesATopicAndItsDirectories) {
  auto manager = open_manager();
  ASSERT_TRUE(manager->create_topic("gone", 2, {}, false).ok());
  ASSERT_TRUE(manager->create_topic("kept", 1, {}, false).ok());
  auto held = manager->log("gone", 0);
  ASSERT_EQ(held->append(make_batch(1), clock_.now_ms()).error, AppendError::kNone);
  ASSERT_TRUE(manager->delete_topic("gone").ok());
  EXPECT_EQ(names(*manager), (std::vector<std::string>{"kept"}));
  EXPECT_EQ(manager->log("gone", 0), nullptr);
  EXPECT_EQ(entries(), (std::vector<std::string>{"kept-0", "topics.meta"}));
  EXPECT_EQ(manager->delete_topic("gone").code(), StatusCode::kNotFound);
  // A holder of the deleted partition's log fails cleanly.
  EXPECT_FALSE(held->read(0, 100).ok());
  EXPECT_NE(held->append(make_batch(1), clock_.now_ms()).error, AppendError::kNone);
  // The name can be used again, from offset 0.
  ASSERT_TRUE(manager->create_topic("gone", 1, {}, false).ok());
  EXPECT_EQ(manager->log("gone", 0)->log_end_offset(), 0);
}

TEST_F(LogManagerTest, CreatePartitionsGrowsATopicAndRefusesToShrinkIt) {
  auto manager = open_manager();
  ASSERT_TRUE(manager->create_topic("t", 2, {{"segment.bytes", "5000"}}, false).ok());
  ASSERT_EQ(manager->log("t", 1)->append(make_batch(2), clock_.now_ms()).error, AppendError::kNone);
  ASSERT_TRUE(manager->create_partitions("t", 4, false).ok());
  EXPECT_EQ(manager->describe_topic("t")->partitions, 4);
  ASSERT_NE(manager->log("t", 3), nullptr);
  EXPECT_EQ(manager->log("t", 1)->log_end_offset(), 2);
  EXPECT_EQ(manager->log("t", 3)->log_end_offset(), 0);
  EXPECT_EQ(manager->create_partitions("t", 4, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_partitions("t", 1, false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->create_partitions("missing", 3, false).code(), StatusCode::kNotFound);
  EXPECT_EQ(manager->describe_topic("t")->partitions, 4);
}

TEST_F(LogManagerTest, EverythingPersistsAcrossReopen) {
  {
    auto manager = open_manager();
    ASSERT_TRUE(manager->create_topic("orders", 2, {{"retention.ms", "5000"}}, false).ok());
    ASSERT_TRUE(manager->create_topic("audit", 1, {{"cleanup.policy", "compact"}}, false).ok());
    ASSERT_TRUE(manager->create_topic("dropped", 1, {}, false).ok());
    ASSERT_TRUE(manager->create_partitions("orders", 3, false).ok());
    ASSERT_TRUE(manager->delete_topic("dropped").ok());
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(manager->log("orders", 2)->append(make_batch(2), clock_.now_ms()).error,
                AppendError::kNone);
    }
    ASSERT_EQ(manager->log("audit", 0)->append(make_batch(1), clock_.now_ms()).error,
              AppendError::kNone);
  }
  auto manager = open_manager();
  EXPECT_EQ(names(*manager), (std::vector<std::string>{"audit", "orders"}));
  auto orders = manager->describe_topic("orders");
  ASSERT_TRUE(orders.has_value());
  EXPECT_EQ(orders->partitions, 3);
  EXPECT_EQ(orders->config.retention_ms, 5000);
  EXPECT_EQ(orders->overrides, (std::map<std::string, std::string>{{"retention.ms", "5000"}}));
  EXPECT_EQ(manager->describe_topic("audit")->config.cleanup_policy, "compact");
  EXPECT_EQ(offsets_in(*manager->log("orders", 2)), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(manager->log("orders", 0)->log_end_offset(), 0);
  EXPECT_EQ(manager->log("audit", 0)->log_end_offset(), 1);
  EXPECT_EQ(manager->log("audit", 0)->append(make_batch(1), clock_.now_ms()).base_offset, 1);
  EXPECT_EQ(entries(), (std::vector<std::string>{"audit-0", "orders-0", "orders-1", "orders-2",
                                                 "topics.meta"}));
}

TEST_F(LogManagerTest, ReopenAppliesTheCurrentBrokerDefaultsUnderTheOverrides) {
  {
    auto manager = open_manager();
    ASSERT_TRUE(manager->create_topic("t", 1, {{"retention.ms", "5000"}}, false).ok());
  }
  defaults_.segment_bytes = 4096;
  defaults_.retention_ms = 1;
  auto manager = open_manager();
  const TopicConfig config = manager->describe_topic("t")->config;
  EXPECT_EQ(config.segment_bytes, 4096);
  EXPECT_EQ(config.retention_ms, 5000);
}

TEST_F(LogManagerTest, SetTopicConfigTakesEffectAtOnceAndPersistsAcrossReopen) {
  {
    auto manager = open_manager();
    ASSERT_TRUE(manager->create_topic("tuned", 2, {{"retention.ms", "1000"}}, false).ok());
    EXPECT_TRUE(manager->set_topic_config("tuned", {{"max.message.bytes", "100"}}, true).ok());
    EXPECT_EQ(manager->describe_topic("tuned")->config.max_message_bytes,
              1048588);  // validate only
    ASSERT_TRUE(manager->set_topic_config("tuned", {{"max.message.bytes", "100"}}, false).ok());
    const TopicInfo info = *manager->describe_topic("tuned");
    EXPECT_EQ(info.overrides, (std::map<std::string, std::string>{{"max.message.bytes", "100"}}));
    EXPECT_EQ(info.config.max_message_bytes, 100);
    EXPECT_EQ(info.config.retention_ms, TopicConfig().retention_ms);  // no longer overridden
    // Every partition's log has it now: a larger batch is refused.
    for (int32_t p = 0; p < 2; ++p) {
      EXPECT_EQ(manager->log("tuned", p)->append(make_batch(3, 200), clock_.now_ms()).error,
                AppendError::kMessageTooLarge);
    }
    EXPECT_EQ(manager->set_topic_config("tuned", {{"max.message.bytes", "x"}}, false).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(manager->set_topic_config("missing", {}, false).code(), StatusCode::kNotFound);
    EXPECT_EQ(manager->describe_topic("tuned")->config.max_message_bytes, 100);
  }
  auto manager = open_manager();
  EXPECT_EQ(manager->describe_topic("tuned")->config.max_message_bytes, 100);
  EXPECT_EQ(manager->describe_topic("tuned")->overrides.size(), 1u);
}

TEST_F(LogManagerTest, RemovesPartitionDirectoriesNoTopicOwnsAtOpen) {
  {
    auto manager = open_manager();
    ASSERT_TRUE(manager->create_topic("t", 1, {}, false).ok());
  }
  // What a crash between making directories and rewriting topics.meta leaves behind, and a
  // partition beyond the topic's count.
  const auto data = dir_.path() / "data";
  std::filesystem::create_directories(data / "orphan-0");
  std::filesystem::create_directories(data / "t-1");
  {
    auto log = Log::open(data / "orphan-0", TopicConfig(), clock_.now_ms());
    ASSERT_TRUE(log.ok());
    ASSERT_EQ((*log)->append(make_batch(1), clock_.now_ms()).error, AppendError::kNone);
  }
  auto manager = open_manager();
  EXPECT_EQ(entries(), (std::vector<std::string>{"t-0", "topics.meta"}));
  EXPECT_EQ(manager->log("orphan", 0), nullptr);
  EXPECT_EQ(manager->describe_topic("t")->partitions, 1);
  // Creating the topic afterwards starts it empty.
  ASSERT_TRUE(manager->create_topic("orphan", 1, {}, false).ok());
  EXPECT_EQ(manager->log("orphan", 0)->log_end_offset(), 0);
}

TEST_F(LogManagerTest, RunRetentionAppliesEachTopicsOwnConfigAtTheClocksTime) {
  auto manager = open_manager();
  ASSERT_TRUE(
      manager->create_topic("short", 1, {{"segment.bytes", "100"}, {"retention.ms", "1000"}}, false)
          .ok());
  ASSERT_TRUE(manager->create_topic("long", 1, {{"segment.bytes", "100"}}, false).ok());
  for (const char* topic : {"short", "long"}) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(manager->log(topic, 0)
                    ->append(make_batch(2, 100, clock_.now_ms()), clock_.now_ms())
                    .error,
                AppendError::kNone);
    }
  }
  clock_.advance_ms(1001);
  manager->run_retention();
  EXPECT_EQ(manager->log("short", 0)->segment_count(), 1u);
  EXPECT_EQ(manager->log("short", 0)->log_start_offset(), 4);
  EXPECT_EQ(manager->log("long", 0)->segment_count(), 3u);
  EXPECT_EQ(manager->log("long", 0)->log_start_offset(), 0);
  EXPECT_TRUE(manager->flush_all().ok());
}

TEST_F(LogManagerTest, RefusesToOpenOverUnreadableMetadata) {
  std::filesystem::create_directories(dir_.path() / "data");
  {
    std::ofstream meta(dir_.path() / "data" / "topics.meta", std::ios::binary);
    meta << "\xff\xff\xff\xff not a protobuf";
  }
  auto manager = LogManager::open(dir_.path() / "data", defaults_, clock_);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace runnel::broker

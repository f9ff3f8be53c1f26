#include <fstream>

#include <gtest/gtest.h>

#include "broker/storage/log_manager.h"
#include "core/clock.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::TempDir;

// A data dir pointed at a directory that also holds other things (a home directory, /tmp)
// must not lose them: only directories shaped like abandoned partitions are cleaned up.
TEST(DataDirTest, OpeningNeverDeletesDirectoriesRunnelDidNotWrite) {
  TempDir dir;
  ManualClock clock;
  std::filesystem::create_directories(dir.path() / "photos");
  std::ofstream(dir.path() / "photos" / "cat.jpg") << "meow";
  std::filesystem::create_directories(dir.path() / "backup-2024");
  std::ofstream(dir.path() / "backup-2024" / "notes.txt") << "keep";
  std::filesystem::create_directories(dir.path() / "orders-3");  // Empty: an abandoned create.
  {
    auto manager = LogManager::open(dir.path(), TopicConfig{}, clock);
    ASSERT_TRUE(manager.ok()) << manager.status().to_string();
    ASSERT_TRUE((*manager)->create_topic("t", 1, {}, false).ok());
  }
  auto manager = LogManager::open(dir.path(), TopicConfig{}, clock);
  ASSERT_TRUE(manager.ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "photos" / "cat.jpg"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "backup-2024" / "notes.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "orders-3"));
  EXPECT_NE((*manager)->log("t", 0), nullptr);
}

}  // namespace
}  // namespace runnel::broker

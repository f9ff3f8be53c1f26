#include "broker/coordinator/producer_id_manager.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

class ProducerIdManagerTest : public ::testing::Test {
 protected:
  ProducerIdManagerTest() {
    std::string pattern = "/tmp/runnel-producer-ids-test-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
  }
  ~ProducerIdManagerTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<ProducerIdManager> open() {
    auto manager = ProducerIdManager::open(dir_);
    EXPECT_TRUE(manager.ok()) << manager.status().to_string();
    return std::move(manager).value();
  }

  std::filesystem::path dir_;
};

TEST_F(ProducerIdManagerTest, IdsAreNeverHandedOutTwiceAcrossRestarts) {
  std::set<int64_t> seen;
  for (int restart = 0; restart < 3; ++restart) {
    auto manager = open();
    // More than a block, so that a restart happens both mid-block and after a new block.
    for (int i = 0; i < ProducerIdManager::kBlockSize + 10; ++i) {
      auto id = manager->next_id();
      ASSERT_TRUE(id.ok());
      EXPECT_GE(*id, 0);
      EXPECT_TRUE(seen.insert(*id).second) << "id " << *id << " handed out twice";
    }
  }
}

TEST_F(ProducerIdManagerTest, AnUnreadableFileIsAnErrorNotAFreshStart) {
  {
    std::ofstream out(dir_ / "producer_ids.meta", std::ios::binary);
    out << "\xff\xff\xff garbage";
  }
  EXPECT_FALSE(ProducerIdManager::open(dir_).ok());
}

}  // namespace
}  // namespace runnel::broker

// The instance identity kept in the state directory (kafka-streams-process-metadata).
#include "runtime/internal/process_id.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace runnel::internal {
namespace process_id_test {

class ProcessIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-process-id-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ProcessIdTest, RandomIdsAreVersion4UuidsAndDiffer) {
  const std::string a = random_process_id();
  const std::string b = random_process_id();
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST_F(ProcessIdTest, TheIdIsMadeOnceAndReadBackAsKafkaStreamsWritesIt) {
  auto first = load_or_create_process_id(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  std::ifstream in(dir_ / kProcessMetadataFileName);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "{\"version\":0,\"processId\":\"" + *first + "\"}");
  EXPECT_FALSE(std::filesystem::exists(dir_ / (std::string(kProcessMetadataFileName) + ".tmp")));
  auto again = load_or_create_process_id(dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
}

TEST_F(ProcessIdTest, AFileThatDoesNotParseIsReplacedByANewId) {
  std::ofstream(dir_ / kProcessMetadataFileName) << "garbage";
  auto id = load_or_create_process_id(dir_);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->size(), 36u);
  auto again = load_or_create_process_id(dir_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
}

}  // namespace process_id_test
}  // namespace runnel::internal

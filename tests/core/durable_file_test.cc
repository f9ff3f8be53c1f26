// replace_file_durably: the file afterwards holds exactly the new contents, with the mode
// asked for, and a failure leaves the old file as it was.
#include "core/durable_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace runnel {
namespace {

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-durable-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  std::filesystem::path dir_;
};

TEST_F(DurableFileTest, CreatesThenReplacesTheWholeFile) {
  const auto path = dir_ / "state.meta";
  ASSERT_TRUE(replace_file_durably(path, "a longer first version").ok());
  EXPECT_EQ(read(path), "a longer first version");
  ASSERT_TRUE(replace_file_durably(path, std::string("v2\0bin", 6)).ok());
  EXPECT_EQ(read(path), std::string("v2\0bin", 6));  // binary, and no tail of the old one
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state.meta.tmp"));
}

TEST_F(DurableFileTest, GivesTheModeAskedForEvenOverAStaleTemporary) {
  const auto path = dir_ / "secrets";
  std::ofstream(dir_ / "secrets.tmp") << "left by a crash";
  std::filesystem::permissions(dir_ / "secrets.tmp", std::filesystem::perms::all);
  ASSERT_TRUE(replace_file_durably(path, "keys", 0600).ok());
  EXPECT_EQ(read(path), "keys");
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(DurableFileTest, AFailureNamesTheFileAndLeavesTheOldOneAlone) {
  const auto path = dir_ / "kept";
  ASSERT_TRUE(replace_file_durably(path, "old").ok());
  // A directory where the temporary file would go: the open fails.
  std::filesystem::create_directories(dir_ / "kept.tmp");
  const Status s = replace_file_durably(path, "new");
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s;
  EXPECT_NE(s.message().find("kept.tmp"), std::string::npos) << s;
  EXPECT_EQ(read(path), "old");
}

}  // namespace
}  // namespace runnel

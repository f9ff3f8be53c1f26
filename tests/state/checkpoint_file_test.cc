#include "state/checkpoint_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace checkpoint_file_test {

using testing::TempDir;

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

const CheckpointOffsets kOffsets = {{{"app-counts-changelog", 0}, 42},
                                    {{"app-counts-changelog", 7}, 0},
                                    {{"app-windows-changelog", 0}, 1'234'567'890'123}};

TEST(CheckpointFileTest, MissingFileMeansNoCheckpoint) {
  TempDir dir;
  auto offsets = CheckpointFile(dir.path() / ".checkpoint").read();
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  EXPECT_EQ(*offsets, std::nullopt);
}

TEST(CheckpointFileTest, WrittenOffsetsReadBack) {
  TempDir dir;
  CheckpointFile file(dir.path() / CheckpointFile::kFileName);
  ASSERT_TRUE(file.write(kOffsets).ok());
  auto offsets = file.read();
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  EXPECT_EQ(*offsets, kOffsets);
  // Rewriting replaces, and no temporary file is left behind.
  ASSERT_TRUE(file.write({{{"t", 1}, 5}}).ok());
  EXPECT_EQ(**file.read(), (CheckpointOffsets{{{"t", 1}, 5}}));
  EXPECT_FALSE(std::filesystem::exists(file.path().string() + ".tmp"));
  ASSERT_TRUE(file.write({}).ok());
  EXPECT_EQ(**file.read(), CheckpointOffsets());
}

// A crash between writing the temporary file and renaming it leaves a stray temporary file:
// readers ignore it and the next write replaces it.
TEST(CheckpointFileTest, LeftoverTemporaryFileFromACrashIsIgnored) {
  TempDir dir;
  CheckpointFile file(dir.path() / ".checkpoint");
  ASSERT_TRUE(file.write(kOffsets).ok());
  write_bytes(file.path().string() + ".tmp", "half a checkp");
  EXPECT_EQ(**file.read(), kOffsets);
  ASSERT_TRUE(file.write({{{"t", 0}, 1}}).ok());
  EXPECT_EQ(**file.read(), (CheckpointOffsets{{{"t", 0}, 1}}));
}

TEST(CheckpointFileTest, FailedWriteLeavesTheOldCheckpointAndNamesThePath) {
  TempDir dir;
  CheckpointFile file(dir.path() / ".checkpoint");
  ASSERT_TRUE(file.write(kOffsets).ok());
  // The temporary file cannot be created where a directory is in the way.
  std::filesystem::create_directory(file.path().string() + ".tmp");
  Status status = file.write({{{"t", 0}, 1}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find(file.path().string()), std::string_view::npos) << status;
  EXPECT_EQ(**file.read(), kOffsets);

  CheckpointFile nowhere(dir.path() / "missing-dir" / ".checkpoint");
  EXPECT_EQ(nowhere.write(kOffsets).code(), StatusCode::kIoError);
}

TEST(CheckpointFileTest, EveryKindOfCorruptionIsAClearError) {
  TempDir dir;
  CheckpointFile file(dir.path() / ".checkpoint");
  ASSERT_TRUE(file.write(kOffsets).ok());
  const std::string good = read_bytes(file.path());

  auto expect_corrupt = [&](const std::string& bytes, std::string_view why) {
    write_bytes(file.path(), bytes);
    auto offsets = file.read();
    ASSERT_FALSE(offsets.ok()) << why;
    EXPECT_EQ(offsets.status().code(), StatusCode::kCorruption) << why;
    EXPECT_NE(offsets.status().message().find(file.path().string()), std::string_view::npos);
    EXPECT_NE(offsets.status().message().find(why), std::string_view::npos) << offsets.status();
  };
  expect_corrupt("", "shorter than the header");
  expect_corrupt(good.substr(0, good.size() - 1), "header says");  // torn tail
  expect_corrupt(good + "x", "header says");
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  expect_corrupt(bad_magic, "bad magic");
  std::string bad_version = good;
  bad_version[7] = 9;
  expect_corrupt(bad_version, "format version");
  // Every single flipped bit of the body is caught by the checksum.
  for (std::size_t i = 16; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    expect_corrupt(flipped, "checksum mismatch");
  }
}

TEST(CheckpointFileTest, RemoveDeletesTheFileAndToleratesItsAbsence) {
  TempDir dir;
  CheckpointFile file(dir.path() / ".checkpoint");
  ASSERT_TRUE(file.write(kOffsets).ok());
  ASSERT_TRUE(file.remove().ok());
  EXPECT_EQ(*file.read(), std::nullopt);
  EXPECT_TRUE(file.remove().ok());
}

}  // namespace checkpoint_file_test
}  // namespace runnel::state

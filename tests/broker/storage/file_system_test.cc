// The log through the FileSystem interface, with faults injected: a full disk, a short
// write, a failed fsync and a crash in the middle of a write never lose an acknowledged
// record and never leave a partial batch for a reader or a restart.

#include "broker/storage/file_system.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::make_batch;
using testing::offsets_in;
using testing::TempDir;

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> all;
  for (int64_t o = from; o < to; ++o) all.push_back(o);
  return all;
}

TopicConfig small_segments() { return *TopicConfig().with_overrides({{"segment.bytes", "600"}}); }

std::unique_ptr<Log> open_log(const std::filesystem::path& dir, FileSystem& fs,
                              TopicConfig config = small_segments()) {
  auto log = Log::open(dir, std::move(config), 0, LogOpenOptions{.file_system = &fs});
  EXPECT_TRUE(log.ok()) << log.status().to_string();
  return log.ok() ? std::move(*log) : nullptr;
}

TEST(FileSystemTest, WritesAreReadBackAndReplacedAtomically) {
  TempDir dir;
  FileSystem& fs = FileSystem::posix();
  const auto path = dir.path() / "file";
  ASSERT_TRUE(write_file_atomically(fs, path, std::string_view("first")).ok());
  ASSERT_TRUE(write_file_atomically(fs, path, std::string_view("second")).ok());
  auto read = read_whole_file(fs, path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->to_string(), "second");
  EXPECT_FALSE(fs.exists(dir.path() / "file.tmp"));
  EXPECT_EQ(read_whole_file(fs, dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

TEST(FileSystemTest, ANoSpaceAppendFailsClearlyAndLosesNothingAcknowledged) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  auto log = open_log(dir.path(), fs);
  ASSERT_TRUE(log);
  for (int i = 0; i < 6; ++i) ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  const uint64_t size = log->size_bytes();
  fs.set_no_space(true);
  const AppendResult refused = log->append(make_batch(3), 0);
  EXPECT_EQ(refused.error, AppendError::kKafkaStorageError);
  EXPECT_NE(refused.message.find("No space left on device"), std::string::npos) << refused.message;
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(offsets_in(*log), range(0, 18));
  fs.set_no_space(false);
  const AppendResult next = log->append(make_batch(3), 0);
  ASSERT_EQ(next.error, AppendError::kNone);
  EXPECT_EQ(next.base_offset, 18);
  log.reset();
  auto reopened = open_log(dir.path(), FileSystem::posix());
  EXPECT_EQ(offsets_in(*reopened), range(0, 21));
}

TEST(FileSystemTest, AShortWriteIsCutBackSoNoPartialBatchIsEverRead) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  auto log = open_log(dir.path(), fs);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  const uint64_t size = log->size_bytes();
  fs.short_write_next(40);
  EXPECT_EQ(log->append(make_batch(3), 0).error, AppendError::kKafkaStorageError);
  EXPECT_EQ(log->size_bytes(), size);
  EXPECT_EQ(std::filesystem::file_size(Segment::log_path(dir.path(), 0)), size);
  ASSERT_EQ(log->append(make_batch(3), 0).base_offset, 3);
  log.reset();
  EXPECT_EQ(offsets_in(*open_log(dir.path(), FileSystem::posix())), range(0, 6));
}

TEST(FileSystemTest, AFailedFsyncIsReportedAndTheRecoveryPointDoesNotMove) {
  TempDir dir;
  FaultInjectingFileSystem fs;
  TopicConfig config = small_segments();
  config.flush_messages = 1;
  auto log = open_log(dir.path(), fs, config);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->append(make_batch(3), 0).error, AppendError::kNone);
  EXPECT_EQ(log->recovery_point(), 3);
  fs.set_sync_fails(true);
  const AppendResult failed = log->append(make_batch(3), 0);
  EXPECT_EQ(failed.error, AppendError::kKafkaStorageError);
  EXPECT_NE(failed.message.find("EIO on fsync"), std::string::npos) << failed.message;
  EXPECT_EQ(log->recovery_point(), 3);
  EXPECT_FALSE(log->flush().ok());
  fs.set_sync_fails(false);
  EXPECT_TRUE(log->flush().ok());
  EXPECT_EQ(log->recovery_point(), 6);
}

// A crash every 7 bytes into a run of appends that rolls segments (segment and index writes
// both count): reopening keeps every acknowledged append, and of the one being written
// either nothing or all of it.
TEST(FileSystemTest, ATornWriteAtAnyCrashPointRecoversToTheAcknowledgedAppends) {
  constexpr int kAppends = 8;
  const uint64_t batch_size = make_batch(3).size();
  for (uint64_t crash_at = 0; crash_at < kAppends * batch_size; crash_at += 7) {
    SCOPED_TRACE("crash after byte " + std::to_string(crash_at));
    TempDir dir;
    int64_t acknowledged = 0;
    {
      FaultInjectingFileSystem fs;
      auto log = open_log(dir.path(), fs);
      ASSERT_TRUE(log);
      fs.crash_after_bytes(crash_at);
      for (int i = 0; i < kAppends && !fs.crashed(); ++i) {
        if (log->append(make_batch(3), 0).error == AppendError::kNone) acknowledged += 3;
      }
      ASSERT_TRUE(fs.crashed());
    }
    auto reopened = open_log(dir.path(), FileSystem::posix());
    ASSERT_TRUE(reopened);
    // The append the crash interrupted was not acknowledged: it is gone, or whole when only
    // its index entry was cut.
    const int64_t end = reopened->log_end_offset();
    EXPECT_TRUE(end == acknowledged || end == acknowledged + 3) << end;
    EXPECT_EQ(offsets_in(*reopened), range(0, end));
    EXPECT_EQ(reopened->append(make_batch(1), 0).base_offset, end);
  }
}

}  // namespace
}  // namespace runnel::broker

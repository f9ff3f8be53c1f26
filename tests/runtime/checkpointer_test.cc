// The checkpointer writes a task's checkpoint only after every deferred flush of its stores
// succeeded, in the order submitted, and reports a failure to the stream thread.

#include "runtime/internal/checkpointer.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "state/checkpoint_file.h"
#include "tests/state/temp_dir.h"

namespace runnel::internal {
namespace checkpointer_test {

using state::CheckpointFile;
using state::CheckpointOffsets;
using state::TopicPartition;

CheckpointOffsets offsets_at(std::int64_t offset) {
  return CheckpointOffsets{{TopicPartition{"app-store-changelog", 0}, offset}};
}

std::int64_t read_offset(const std::filesystem::path& path) {
  auto read = CheckpointFile(path).read();
  EXPECT_TRUE(read.ok()) << read.status();
  if (!read.ok() || !read->has_value()) return -1;
  return (**read).begin()->second;
}

class CheckpointerTest : public ::testing::Test {
 protected:
  std::filesystem::path path() const { return dir_.path() / "0_0" / ".checkpoint"; }
  state::testing::TempDir dir_;
};

TEST_F(CheckpointerTest, WritesTheCheckpointAfterEveryFlushOfItsJob) {
  Checkpointer checkpointer;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> flushed{0};
  Checkpointer::Job job{.what = "task 0_0", .checkpoint_path = path(), .offsets = offsets_at(42)};
  job.flushes.push_back([&] {
    released.wait();  // A flush still waiting for the disk.
    ++flushed;
    return Status();
  });
  job.flushes.push_back([&] {
    ++flushed;
    return Status();
  });
  ASSERT_TRUE(checkpointer.submit(std::move(job)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(std::filesystem::exists(path())) << "checkpoint written before its flushes";
  release.set_value();
  ASSERT_TRUE(checkpointer.drain().ok());
  EXPECT_EQ(flushed.load(), 2);
  EXPECT_EQ(read_offset(path()), 42);
}

TEST_F(CheckpointerTest, CheckpointsOfATaskLandInTheOrderSubmitted) {
  Checkpointer checkpointer;
  for (std::int64_t offset : {10, 20, 30}) {
    Checkpointer::Job job{
        .what = "task 0_0", .checkpoint_path = path(), .offsets = offsets_at(offset)};
    job.flushes.push_back([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      return Status();
    });
    ASSERT_TRUE(checkpointer.submit(std::move(job)).ok());
  }
  ASSERT_TRUE(checkpointer.drain().ok());
  EXPECT_EQ(read_offset(path()), 30);
}

TEST_F(CheckpointerTest, AFailedFlushLeavesTheCheckpointUnwrittenAndIsReportedOnce) {
  Checkpointer checkpointer;
  Checkpointer::Job ok_job{.what = "task 0_0", .checkpoint_path = path(), .offsets = offsets_at(5)};
  ASSERT_TRUE(checkpointer.submit(std::move(ok_job)).ok());
  ASSERT_TRUE(checkpointer.drain().ok());

  Checkpointer::Job failing{
      .what = "task 0_0", .checkpoint_path = path(), .offsets = offsets_at(50)};
  failing.flushes.push_back([] { return io_error("disk full"); });
  ASSERT_TRUE(checkpointer.submit(std::move(failing)).ok());
  Status reported = checkpointer.drain();
  EXPECT_FALSE(reported.ok());
  EXPECT_NE(reported.to_string().find("disk full"), std::string::npos) << reported;
  EXPECT_NE(reported.to_string().find("task 0_0"), std::string::npos) << reported;
  EXPECT_EQ(read_offset(path()), 5) << "the checkpoint moved past stores not on disk";
  EXPECT_TRUE(checkpointer.drain().ok());
}

TEST_F(CheckpointerTest, DestroyingItRunsTheJobsStillQueued) {
  {
    Checkpointer checkpointer;
    Checkpointer::Job job{.what = "task 0_0", .checkpoint_path = path(), .offsets = offsets_at(7)};
    job.flushes.push_back([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return Status();
    });
    ASSERT_TRUE(checkpointer.submit(std::move(job)).ok());
  }
  EXPECT_EQ(read_offset(path()), 7);
}

}  // namespace checkpointer_test
}  // namespace runnel::internal

// The state-directory lock: one holder at a time, and a holder that dies (kill -9) leaves
// the directory free for the restart.
#include "runtime/internal/directory_lock.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace runnel::internal {
namespace directory_lock_test {

class DirectoryLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-directory-lock-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(DirectoryLockTest, ASecondHolderIsRefusedUntilTheFirstReleases) {
  Result<DirectoryLock> first = DirectoryLock::try_lock(dir_ / "app" / "1_0");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->held());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "app" / "1_0" / DirectoryLock::kFileName));

  // Another open of the same lock file, as another thread or instance would make it.
  Result<DirectoryLock> second = DirectoryLock::try_lock(dir_ / "app" / "1_0");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status();
  // Other directories are not affected.
  EXPECT_TRUE(DirectoryLock::try_lock(dir_ / "app" / "1_1").ok());

  first->release();
  EXPECT_FALSE(first->held());
  Result<DirectoryLock> third = DirectoryLock::try_lock(dir_ / "app" / "1_0");
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(DirectoryLockTest, MovingALockKeepsItHeldAndDestroyingItReleases) {
  {
    Result<DirectoryLock> lock = DirectoryLock::try_lock(dir_);
    ASSERT_TRUE(lock.ok()) << lock.status();
    DirectoryLock moved = std::move(*lock);
    EXPECT_TRUE(moved.held());
    EXPECT_FALSE(lock->held());
    EXPECT_EQ(DirectoryLock::try_lock(dir_).status().code(), StatusCode::kUnavailable);
  }
  EXPECT_TRUE(DirectoryLock::try_lock(dir_).ok());
}

TEST_F(DirectoryLockTest, AKilledHolderDoesNotKeepTheDirectoryLocked) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child locks, says so, and waits to be killed.
    Result<DirectoryLock> lock = DirectoryLock::try_lock(dir_);
    const char c = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    while (true) ::pause();
  }
  // Whatever fails below, the child does not outlive the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    }
  } reaper{child};
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(c, 'y');
  EXPECT_EQ(DirectoryLock::try_lock(dir_).status().code(), StatusCode::kUnavailable);

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  reaper.pid = -1;
  ASSERT_TRUE(WIFSIGNALED(status));
  // No clean-up ran in the child, yet the lock is free: the kernel dropped it.
  Result<DirectoryLock> after = DirectoryLock::try_lock(dir_);
  EXPECT_TRUE(after.ok()) << after.status();
}

}  // namespace directory_lock_test
}  // namespace runnel::internal

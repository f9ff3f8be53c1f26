#pragma once

#include <filesystem>

#include "core/result.h"

namespace runnel::internal {

// An exclusive lock on a state directory, as Kafka Streams' StateDirectory takes them: an
// advisory flock() on the file `.lock` inside it. A flock belongs to one open file
// description, so two KafkaStreams instances, or two threads of one instance, that try the
// same directory exclude each other; the kernel drops it when its holder's process dies,
// kill -9 included, so a crash never leaves a directory locked for the restart.
//
// The `.lock` file is never deleted: a holder that removed it could not stop another process
// from locking a fresh file of the same name while a third still holds the old one.
//
// Thread-compatible; movable, not copyable.
class DirectoryLock {
 public:
  static constexpr const char* kFileName = ".lock";

  // Creates `dir` if needed and locks it without waiting. Unavailable when another holder
  // has it (retry later); IoError when the directory or the lock file cannot be made.
  [[nodiscard]] static Result<DirectoryLock> try_lock(const std::filesystem::path& dir);

  DirectoryLock() = default;
  // Releases the lock.
  ~DirectoryLock();
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  bool held() const { return fd_ >= 0; }
  // Unlocks now (no-op when not held).
  void release();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace runnel::internal

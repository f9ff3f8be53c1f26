#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// One open file of the log (a segment, a checkpoint), read and written at explicit
// positions: pread/pwrite, so concurrent readers never share a file position.
//
// Thread safety: read_at may run concurrently with itself; everything else is serialized
// by the owner (Log's mutex).
class File {
 public:
  virtual ~File() = default;

  // Reads exactly `out.size()` bytes at `position`; corruption_error when the file ends
  // first, io_error on a failed read.
  [[nodiscard]] virtual Status read_at(uint64_t position, std::span<uint8_t> out) const = 0;
  // Writes all of `data` at `position`. On error some prefix of `data` may be in the file
  // (a short write): the caller cuts it back with truncate(). no_space_error for ENOSPC,
  // io_error otherwise.
  [[nodiscard]] virtual Status write_at(uint64_t position, BytesView data) = 0;
  // fdatasync: the data written so far survives a power loss once this returns OK.
  [[nodiscard]] virtual Status sync() = 0;
  [[nodiscard]] virtual Status truncate(uint64_t size) = 0;
  [[nodiscard]] virtual Result<uint64_t> size() const = 0;
  // The file's mtime in milliseconds, and setting it (the log cleaner keeps a segment's).
  [[nodiscard]] virtual Result<int64_t> modified_ms() const = 0;
  [[nodiscard]] virtual Status set_modified_ms(int64_t ms) = 0;

  const std::filesystem::path& path() const { return path_; }

 protected:
  explicit File(std::filesystem::path path) : path_(std::move(path)) {}

 private:
  std::filesystem::path path_;
};

// How the log reaches the disk (LevelDB's Env is the model): segments, their recovery and
// the recovery point checkpoint go through it, so that tests can inject faults
// (FaultInjectingFileSystem) where the real thing would need a broken disk.
//
// Implementations are thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide POSIX implementation; never destroyed.
  static FileSystem& posix();

  // Opens `path` for reading and writing, creating it (mode 0644) when `create` and it is
  // missing; not_found_error when it is missing and not `create`.
  [[nodiscard]] virtual Result<std::unique_ptr<File>> open(const std::filesystem::path& path,
                                                           bool create) = 0;
  // Atomic replace of `to` (rename(2)); the caller syncs the directory to make it durable.
  [[nodiscard]] virtual Status rename(const std::filesystem::path& from,
                                      const std::filesystem::path& to) = 0;
  // Deletes a file; OK when it does not exist.
  [[nodiscard]] virtual Status remove(const std::filesystem::path& path) = 0;
  // The names (not paths) of the entries of `dir`.
  [[nodiscard]] virtual Result<std::vector<std::string>> list(const std::filesystem::path& dir) = 0;
  // Deletes `path` and, for a directory, everything in it; OK when it does not exist.
  [[nodiscard]] virtual Status remove_all(const std::filesystem::path& path) = 0;
  [[nodiscard]] virtual Status create_dirs(const std::filesystem::path& dir) = 0;
  // Creates one directory whose parent must exist (the log cleaner must not bring back the
  // directory of a topic deleted meanwhile); OK when it already exists.
  [[nodiscard]] virtual Status create_dir(const std::filesystem::path& dir) = 0;
  // fsync of a directory: makes the creation, renaming or removal of its entries durable.
  [[nodiscard]] virtual Status sync_dir(const std::filesystem::path& dir) = 0;
  virtual bool exists(const std::filesystem::path& path) = 0;
};

// Replaces `path` with `contents` so that a crash leaves the old or the new file, never a
// mix: writes `path`.tmp, syncs it, renames it over `path` and syncs the directory.
[[nodiscard]] Status write_file_atomically(FileSystem& fs, const std::filesystem::path& path,
                                           BytesView contents);
// The whole of `path`; not_found_error when it does not exist.
[[nodiscard]] Result<Bytes> read_whole_file(FileSystem& fs, const std::filesystem::path& path);

// A FileSystem over another (normally posix()) that fails on demand, for tests of what the
// log does when the disk misbehaves. Each fault is armed by a call and applies to files
// opened before or after it. Thread-safe.
class FaultInjectingFileSystem : public FileSystem {
 public:
  explicit FaultInjectingFileSystem(FileSystem& base = FileSystem::posix()) : base_(base) {}

  // Every write fails with ENOSPC (no_space_error), writing nothing, until cleared.
  void set_no_space(bool on) { no_space_ = on; }
  // The next write lands only its first `bytes` bytes and then fails with EIO.
  void short_write_next(uint64_t bytes) { short_write_bytes_ = static_cast<int64_t>(bytes); }
  // Every sync fails with EIO until cleared.
  void set_sync_fails(bool on) { sync_fails_ = on; }
  // ENOSPC, short writes and failed syncs apply only to files whose name ends with `suffix`
  // ("" for all, the default), e.g. ".txnindex" to fail one kind of file and no other.
  void only_fault_files_ending_with(std::string suffix) {
    std::lock_guard lock(write_mutex_);
    fault_suffix_ = std::move(suffix);
  }
  // A crash after `bytes` more bytes are written: the write crossing that point lands only
  // its first part (a torn write), and from then on every write, sync, truncate, rename and
  // remove fails, as if the process were gone. What is on disk then is what a restart sees.
  void crash_after_bytes(uint64_t bytes) { bytes_before_crash_ = static_cast<int64_t>(bytes); }
  bool crashed() const { return crashed_; }
  // Syncs that succeeded (for tests asserting that a sync happened).
  uint64_t syncs() const { return syncs_; }

  Result<std::unique_ptr<File>> open(const std::filesystem::path& path, bool create) override;
  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status remove(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> list(const std::filesystem::path& dir) override;
  Status remove_all(const std::filesystem::path& path) override;
  Status create_dirs(const std::filesystem::path& dir) override;
  Status create_dir(const std::filesystem::path& dir) override;
  Status sync_dir(const std::filesystem::path& dir) override;
  bool exists(const std::filesystem::path& path) override;

 private:
  class FaultyFile;
  friend class FaultyFile;
  // How many bytes of a `size`-byte write may land, and the error to return after them
  // (OK: all of it).
  Status admit_write(const std::filesystem::path& path, uint64_t size, uint64_t& allowed);
  Status admit_sync(const std::filesystem::path& path);
  bool faults_apply_to(const std::filesystem::path& path);
  Status check_alive(const std::filesystem::path& path) const;

  FileSystem& base_;
  std::atomic<bool> no_space_{false};
  std::atomic<int64_t> short_write_bytes_{-1};
  std::atomic<bool> sync_fails_{false};
  std::atomic<int64_t> bytes_before_crash_{-1};
  std::atomic<bool> crashed_{false};
  std::atomic<uint64_t> syncs_{0};
  std::mutex write_mutex_;    // orders admit_write's read-modify-write of the counters
  std::string fault_suffix_;  // GUARDED_BY(write_mutex_)
};

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>

#include "core/result.h"
#include "core/status.h"
#include "state/changelog_collector.h"

namespace runnel::state {

// Per changelog partition, the offset of the next changelog record a task's stores have not
// yet applied: restoration resumes there.
using CheckpointOffsets = std::map<TopicPartition, std::int64_t>;

// A task's checkpoint file, <task directory>/.checkpoint: the changelog offsets its stores
// reflect, written at each commit after the stores were flushed.
//
// Format: "RNCP" | format version (4 bytes, big-endian, = 1) | body length (4, big-endian) |
// CRC-32C of the body (4, big-endian) | body, a CheckpointProto message
// (state/internal/checkpoint.proto). The checksum makes a torn or scribbled file a clear
// error rather than wrong offsets (protobuf alone accepts many random byte strings).
//
// Thread safety: reads and writes of one file must not overlap; the task that owns the file
// is its only user. Distinct files are independent.
class CheckpointFile {
 public:
  static constexpr const char* kFileName = ".checkpoint";

  explicit CheckpointFile(std::filesystem::path path) : path_(std::move(path)) {}

  const std::filesystem::path& path() const { return path_; }

  // Replaces the file with `offsets` atomically: the bytes go to "<path>.tmp", which is
  // fsynced and renamed over the file, then the directory is fsynced so the rename itself is
  // durable. After a crash at any point the file holds either the old or the new offsets.
  // IoError (NoSpace for a full disk) naming the path on failure; the old file is intact.
  [[nodiscard]] Status write(const CheckpointOffsets& offsets) const;

  // The offsets in the file; nullopt if there is no file (nothing was checkpointed: restore
  // from the start of the changelog). Corruption naming the path if the file does not
  // decode; IoError if it cannot be read.
  [[nodiscard]] Result<std::optional<CheckpointOffsets>> read() const;

  // Deletes the file (e.g. when a task's stores are wiped); OK if there is none.
  [[nodiscard]] Status remove() const;

 private:
  std::filesystem::path path_;
};

}  // namespace runnel::state

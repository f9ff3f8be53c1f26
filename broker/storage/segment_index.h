#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "broker/storage/file_system.h"
#include "core/result.h"

namespace runnel::broker {

// A segment's sparse indexes, each kept in memory and mirrored to its own file so that a
// restart can use them without re-reading the segment:
// - the offset index (`.index`): (offset relative to the segment's base, byte position of
//   the batch starting there), one entry every index.interval.bytes of log;
// - the time index (`.timeindex`): (largest timestamp so far, relative offset of the batch
//   that reached it), appended when the largest timestamp grows, at the same interval.
// Entries are big-endian, fixed size (8 and 12 bytes). Both only grow, except when recovery
// truncates the log and rebuilds them.
//
// Not thread-safe: the owning Log serializes writers and lets readers in under its lock.
class SegmentIndex {
 public:
  struct OffsetEntry {
    uint32_t relative_offset;
    uint32_t position;
  };
  struct TimeEntry {
    int64_t timestamp;
    uint32_t relative_offset;
  };

  // Opens (creating if missing) both files. With `trust_files`, loads their entries if they
  // are well-formed and point inside a log of `log_size` bytes; returns false (and starts
  // empty, files truncated) when they are not, and the caller rebuilds them.
  static Result<SegmentIndex> open(FileSystem& fs, const std::filesystem::path& offset_index_path,
                                   const std::filesystem::path& time_index_path, uint64_t log_size,
                                   bool trust_files, bool& loaded);

  SegmentIndex() = default;
  SegmentIndex(SegmentIndex&& other) noexcept = default;
  SegmentIndex& operator=(SegmentIndex&& other) noexcept = default;
  ~SegmentIndex() = default;

  Status append_offset(uint32_t relative_offset, uint32_t position);
  Status append_time(int64_t timestamp, uint32_t relative_offset);

  // Position of the last indexed batch at or before `relative_offset` (0 if none).
  uint32_t position_at_or_before(uint32_t relative_offset) const;
  // The last entry at or before `relative_offset` ({0, 0} if none).
  OffsetEntry entry_at_or_before(uint32_t relative_offset) const;
  // Relative offset from which to scan for the first batch with a timestamp >= `timestamp`:
  // the batch that last raised the maximum below `timestamp` (0 if none).
  uint32_t scan_start_for_timestamp(int64_t timestamp) const;
  const std::vector<TimeEntry>& time_entries() const { return time_entries_; }

  // Drops every entry and empties both files (before a rebuild).
  Status clear();
  Status flush();

 private:
  std::vector<OffsetEntry> offset_entries_;
  std::vector<TimeEntry> time_entries_;
  // Entries are written at the end of what is known good (offset_size_, time_size_), so a
  // short write is overwritten by the next append rather than left between entries.
  std::unique_ptr<File> offset_file_;
  std::unique_ptr<File> time_file_;
  uint64_t offset_size_ = 0;
  uint64_t time_size_ = 0;
};

}  // namespace runnel::broker

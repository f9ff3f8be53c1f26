#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "broker/storage/file_system.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/segment_index.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// How Log::open opens a segment: what recovery checks in it (docs/DURABILITY.md).
struct SegmentOpenOptions {
  // Check every batch's CRC32C, not only its framing: for segments at or after the
  // partition's recovery point, which a crash may have torn.
  bool verify_crcs = false;
  // Cut damage after which no valid batch follows (a torn write at the end of the file).
  // Without it such a tail is kept and reported as damaged, like damage in the middle.
  bool truncate_torn_tail = false;
  // The next segment's base offset, when there is one: this segment's offsets end before
  // it, and a damaged tail stands for the offsets up to it.
  std::optional<int64_t> next_segment_base;
};

// Bytes of a segment that hold no readable batch, found at open, and the offsets they stood
// for: [first_offset, end_offset). Kept in the file (never cut unless it is a torn tail
// being recovered) and skipped by reads, which answer CORRUPT_MESSAGE for those offsets.
struct DamagedRange {
  uint64_t position = 0;
  uint64_t end_position = 0;  // where the next readable batch starts, or the file's end
  int64_t first_offset = 0;
  int64_t end_offset = 0;  // the next readable batch's base offset
};

// One file of a partition's log, `<base offset, 20 digits>.log`, with its indexes. Holds
// whole record batches back to back, exactly as stored (base offsets assigned).
//
// Not thread-safe by itself: Log serializes appends and lets reads run concurrently with
// each other (pread does not move a file position) but not with appends.
class Segment {
 public:
  // A new, empty segment. Fails if its files exist already.
  static Result<std::unique_ptr<Segment>> create(FileSystem& fs, const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 int64_t now_ms);
  static Result<std::unique_ptr<Segment>> create(const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 int64_t now_ms) {
    return create(FileSystem::posix(), dir, base_offset, index_interval_bytes, now_ms);
  }
  // An existing segment. Every batch's framing is walked (lengths, magic, increasing
  // offsets), and with `verify_crcs` its CRC32C too. A batch that fails is damage: the walk
  // looks for the next valid batch after it (a valid header whose CRC32C matches) and goes
  // on from there, recording the bytes in between as a DamagedRange. Damage that no valid
  // batch follows is cut when `truncate_torn_tail` (`truncated_bytes` says how much), and
  // kept as a damaged range otherwise. Nothing is ever cut in the middle of a segment.
  // The index files are used when consistent with the log, and rebuilt otherwise (always
  // after damage or a cut).
  static Result<std::unique_ptr<Segment>> open(FileSystem& fs, const std::filesystem::path& dir,
                                               int64_t base_offset, int32_t index_interval_bytes,
                                               const SegmentOpenOptions& options, int64_t now_ms,
                                               uint64_t& truncated_bytes);
  ~Segment();

  // The damage found at open, in file order.
  const std::vector<DamagedRange>& damaged() const { return damaged_; }
  // Where a reader stopped by a corrupt batch at `offset` can go on: the offset after the
  // damaged batch (or damaged range) holding `offset`, found from the batch framing or the
  // next readable batch even when the damaged batch's length is wrong. nullopt when
  // `offset` is not in a damaged batch.
  Result<std::optional<int64_t>> end_of_damage(int64_t offset) const;

  static std::filesystem::path log_path(const std::filesystem::path& dir, int64_t base_offset);

  int64_t base_offset() const { return base_offset_; }
  // One past the last offset stored here (== base_offset when empty).
  int64_t next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  // Largest batch max-timestamp stored, -1 when empty.
  int64_t max_timestamp() const { return max_timestamp_; }
  // Wall-clock time the segment was created (or opened, after a restart); segment.ms rolls
  // against it. Wall clock rather than record timestamps: producers' clocks and replayed
  // history must not make the broker roll a segment per batch.
  int64_t created_ms() const { return created_ms_; }
  bool empty() const { return size_ == 0; }
  // When the segment was last written: the file's mtime at open, then the time of each
  // append (Log passes its clock), or for a segment the log cleaner rewrote, the time of
  // the segment it replaced (kept as the file's mtime), as Kafka does. Tombstones expire
  // delete.retention.ms after it.
  int64_t last_modified_ms() const { return last_modified_ms_; }
  void set_last_modified_ms(int64_t ms) { last_modified_ms_ = ms; }
  // Sets the file's mtime to last_modified_ms(), so that it survives a restart.
  Status persist_last_modified();
  // The files were renamed into `dir` (the log cleaner's swap): open descriptors follow
  // the files, only the names used later (messages, remove()) change.
  void relocate(std::filesystem::path dir) { dir_ = std::move(dir); }

  // Appends `batches` (whole batches with offsets assigned, described by `headers` in order)
  // at the end. On failure the file is cut back to its previous size: nothing partial stays.
  Status append(BytesView batches, const std::vector<RecordBatchHeader>& headers);

  // Whole batches from the one containing `offset`, at most `max_bytes` except that the
  // first batch is returned whole whatever its size. Empty when `offset` is past the end.
  // Every batch returned has its CRC32C checked: a corrupt batch ends the bytes returned,
  // and when it is the first one (or `offset` is in a damaged range) the read fails with
  // corruption_error naming the file, byte position and offsets, logged at most once a
  // minute per segment.
  Result<Bytes> read(int64_t offset, int32_t max_bytes) const;

  // The first record whose timestamp is >= `timestamp`: (its offset, its timestamp), or
  // nullopt if none here. In a compressed batch, which is not decompressed, the batch's
  // (base offset, max timestamp) stands for its records.
  Result<std::optional<std::pair<int64_t, int64_t>>> find_timestamp(int64_t timestamp) const;

  Status flush();
  // Deletes the segment's files. The descriptors stay open until the Segment is destroyed,
  // so that a holder of a shared_ptr (the log cleaner) can still read it.
  Status remove();

 private:
  Segment(FileSystem& fs, std::filesystem::path dir, int64_t base_offset,
          int32_t index_interval_bytes);
  Status open_files(bool create, bool trust_indexes, bool& indexes_loaded);
  // The walk of open(): see there. Rebuilds the indexes when `rebuild_index`.
  Status scan(const SegmentOpenOptions& options, bool rebuild_index, uint64_t& truncated_bytes);
  // Re-creates both indexes from the batches (skipping damaged ranges).
  Status rebuild_indexes();
  // The first position at or after `from` where a valid batch (plausible header for this
  // segment, base offset >= `min_base`, matching CRC32C) starts, and its header.
  Result<std::optional<std::pair<uint64_t, RecordBatchHeader>>> find_next_batch(
      uint64_t from, int64_t min_base, std::optional<int64_t> next_segment_base) const;
  Result<bool> crc_ok_at(uint64_t position, const RecordBatchHeader& header) const;
  // The damaged range starting at `position`, if any.
  const DamagedRange* damage_at(uint64_t position) const;
  // A corruption_error for the batch or range at `position`, logged (rate-limited).
  Status corrupt(uint64_t position, int64_t first_offset, int64_t last_offset,
                 std::string_view why) const;
  Result<RecordBatchHeader> header_at(uint64_t position) const;
  // header_at, refusing anything that is not a plausible stored batch header of this
  // segment, or one starting below `expected_base` (the end of the previous batch).
  Result<RecordBatchHeader> checked_header_at(uint64_t position, int64_t expected_base) const;
  // A verified byte position from which to walk headers towards `relative_offset`: the
  // offset index's floor entry when it points at the batch it names, else 0.
  Result<uint64_t> scan_start(uint32_t relative_offset) const;
  Status index_batch(const RecordBatchHeader& header, uint64_t position);

  FileSystem& fs_;
  std::filesystem::path dir_;
  int64_t base_offset_;
  int32_t index_interval_bytes_;
  std::unique_ptr<File> file_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t created_ms_ = 0;
  int64_t last_modified_ms_ = 0;
  uint64_t bytes_since_index_ = 0;
  SegmentIndex index_;
  std::vector<DamagedRange> damaged_;  // set at open, then read-only
  // When a corrupt batch here was last logged (steady clock ms): one line a minute at most.
  mutable std::atomic<int64_t> last_corruption_log_ms_{-1};
};

}  // namespace runnel::broker

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "broker/storage/record_batch.h"
#include "broker/storage/segment_index.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// One file of a partition's log, `<base offset, 20 digits>.log`, with its indexes. Holds
// whole record batches back to back, exactly as stored (base offsets assigned).
//
// Not thread-safe by itself: Log serializes appends and lets reads run concurrently with
// each other (pread does not move a file position) but not with appends.
class Segment {
 public:
  // A new, empty segment. Fails if its files exist already.
  static Result<std::unique_ptr<Segment>> create(const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 int64_t now_ms);
  // An existing segment. With `recover`, every batch is checked (lengths, magic, CRC32C) and
  // the file is truncated after the last valid one — a torn or corrupt tail from a crash —
  // and the indexes are rebuilt; `truncated_bytes` says how much was cut. Without it, the
  // index files are used when they are consistent with the log, and rebuilt otherwise.
  static Result<std::unique_ptr<Segment>> open(const std::filesystem::path& dir,
                                               int64_t base_offset, int32_t index_interval_bytes,
                                               bool recover, int64_t now_ms,
                                               uint64_t& truncated_bytes);
  ~Segment();

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
  Segment(std::filesystem::path dir, int64_t base_offset, int32_t index_interval_bytes);
  Status open_files(bool trust_indexes, bool& indexes_loaded);
  // Reads batch headers from `position` to the end (checking CRCs with `verify`); cuts the
  // file at the first bad batch when `verify`; rebuilds the indexes when `rebuild_index`.
  Status scan(bool verify, bool rebuild_index, uint64_t& truncated_bytes);
  Result<RecordBatchHeader> header_at(uint64_t position) const;
  // header_at, refusing anything that is not a plausible stored batch header of this
  // segment, or one starting below `expected_base` (the end of the previous batch).
  Result<RecordBatchHeader> checked_header_at(uint64_t position, int64_t expected_base) const;
  // A verified byte position from which to walk headers towards `relative_offset`: the
  // offset index's floor entry when it points at the batch it names, else 0.
  Result<uint64_t> scan_start(uint32_t relative_offset) const;
  Status index_batch(const RecordBatchHeader& header, uint64_t position);

  std::filesystem::path dir_;
  int64_t base_offset_;
  int32_t index_interval_bytes_;
  int fd_ = -1;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  int64_t created_ms_ = 0;
  int64_t last_modified_ms_ = 0;
  uint64_t bytes_since_index_ = 0;
  SegmentIndex index_;
};

}  // namespace runnel::broker

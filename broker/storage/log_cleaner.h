#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

#include "broker/storage/file_system.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// What one Log::clean() did.
struct CleaningStats {
  bool cleaned = false;        // false: nothing was due (not compacted, or not dirty enough)
  int segments_rewritten = 0;  // segments that changed and were swapped in
  uint64_t bytes_before = 0;   // of the segments cleaned (every one but the active)
  uint64_t bytes_after = 0;
  int64_t records_removed = 0;  // superseded records and expired tombstones
  int64_t tombstones_removed = 0;
  int64_t cleaned_up_to = 0;  // every offset below was cleaned
  int64_t duration_us = 0;
};

// Totals over cleanings: what LogManager::cleaner_metrics() and the broker expose.
struct CleanerMetrics {
  uint64_t cleanings = 0;
  uint64_t segments_rewritten = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t records_removed = 0;
  uint64_t tombstones_removed = 0;
  uint64_t errors = 0;
  int64_t busy_us = 0;

  void add(const CleaningStats& stats);
  void add(const CleanerMetrics& other);
};

// The steps of a segment swap, in order, at which a test hook may simulate a crash.
enum class CleanerStep {
  kCleanedWritten,  // dir/cleaning/<base>.* written and fsynced; nothing swapped
  kSwapCommitted,   // dir/cleaning renamed to dir/cleaned: the swap will complete
  kIndexesSwapped,  // .index and .timeindex renamed into dir, .log not yet
  kLogSwapped,      // .log renamed into dir; dir/cleaned (empty) not yet removed
};

// What the cleaner decides for one record of a batch.
struct RecordView {
  int64_t offset;
  std::optional<BytesView> key;  // nullopt: a null key
  bool tombstone;                // null value
};

// The result of filtering one stored batch.
struct FilteredBatch {
  enum class Kind { kUnchanged, kRewritten, kDropped } kind = Kind::kUnchanged;
  Bytes rewritten;  // kRewritten: the new batch
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
};

// Calls `visit` for every record of the stored batch `batch` (whole, header included),
// decompressing it when needed. A corruption_error for a malformed batch; control batches
// have no keyed records and are not visited.
Status for_each_record(BytesView batch, const std::function<void(const RecordView&)>& visit);

// Keeps the records of `batch` for which `keep` is true. A batch whose records all stay is
// kUnchanged (its bytes stay as they are, compressed or not); one that loses every record is
// kDropped unless `keep_empty`, when it becomes an empty batch that still spans its offsets.
// Otherwise the survivors are written into a new uncompressed batch with the same base
// offset, base timestamp, lastOffsetDelta, producer fields and max timestamp, each record
// byte-for-byte (so its offset and timestamp deltas stay right), and a new CRC. Control
// batches are always kUnchanged.
Result<FilteredBatch> filter_batch(BytesView batch,
                                   const std::function<bool(const RecordView&)>& keep,
                                   bool keep_empty);

// At Log::open: a swap the log cleaner left half done in partition directory `dir` is
// finished (dir/cleaned exists: the new files are moved in, .log last) or forgotten
// (dir/cleaning is deleted).
Status recover_cleaner_swap(FileSystem& fs, const std::filesystem::path& dir);

}  // namespace runnel::broker

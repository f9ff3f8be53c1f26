#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "broker/storage/append_error.h"
#include "broker/storage/log_cleaner.h"
#include "broker/storage/producer_state.h"
#include "broker/storage/segment.h"
#include "broker/storage/topic_config.h"
#include "broker/storage/transaction_index.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

struct AppendResult {
  AppendError error = AppendError::kNone;
  std::string message;       // why, when error != kNone
  int64_t base_offset = -1;  // offset given to the first record appended
  int64_t last_offset = -1;
  int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
  int64_t log_start_offset = 0;
};

// Who writes a batch: a producer, or one of the broker's own coordinators (whose
// transactional batches carry no sequence numbers).
enum class AppendOrigin { kClient, kCoordinator };

// What a fetch may see (Kafka's isolation.level): everything written, or only what is below
// the last stable offset, with the aborted transactions listed for the client to filter.
enum class IsolationLevel : int8_t { kReadUncommitted = 0, kReadCommitted = 1 };

struct ReadResult {
  Bytes records;               // whole batches, the first containing the offset asked for
  int64_t high_watermark = 0;  // the log end offset: every append is committed on one node
  int64_t last_stable_offset = 0;
  int64_t log_start_offset = 0;
  // kReadCommitted: the aborted transactions whose records may be among `records` (marker at
  // or after the offset asked for, first offset before the end of what is returned).
  std::vector<AbortedTransaction> aborted;
};

// What Log::open needs besides the directory and config.
struct LogOpenOptions {
  // The partition's recovery point (docs/DURABILITY.md): every offset below it was fsynced,
  // so only segments holding offsets at or after it are verified batch by batch (CRC32C) and
  // may have a torn tail cut. 0 (unknown) verifies every segment.
  int64_t recovery_point = 0;
  // Where the segments' files are reached; nullptr for FileSystem::posix().
  FileSystem* file_system = nullptr;
};

// One partition: a directory of segments holding record batches as producers sent them,
// with offsets assigned. Appends are serialized; reads run concurrently with each other and
// see only whole, completed appends.
//
// Durability (docs/DURABILITY.md): an append returns once its bytes are written to the file
// (the page cache), which survives the process being killed; it is fsynced only when the
// topic's flush.messages or flush.ms say so, or by flush().
class Log {
 public:
  // Opens the partition in `dir` (creating it when missing). Segments at or after the
  // recovery point, and always the last one, are verified: a torn tail (damage no valid
  // batch follows) is cut at the last valid batch. Damage anywhere else is contained: the
  // damaged batch is kept on disk and skipped, reads of its offsets fail with
  // corruption_error, and no other batch or segment is cut or deleted.
  static Result<std::unique_ptr<Log>> open(std::filesystem::path dir, TopicConfig config,
                                           int64_t now_ms, LogOpenOptions options = {});
  ~Log();

  // Validates `records` (a producer's batches), assigns offsets, and writes them. On any
  // error nothing is written and the offsets do not move. Idempotent producers' batches are
  // checked against the partition's producer state (ProducerStateTable): a retry of a batch
  // already written is answered with its original offsets and not written again; a gap in
  // the sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
  //
  // Transactional batches open their producer's transaction in this partition (the last
  // stable offset stops at its first offset) until append_transaction_marker() ends it.
  // `origin` kCoordinator lets the broker's own transactional batches carry sequence -1.
  AppendResult append(BytesView records, int64_t now_ms,
                      AppendOrigin origin = AppendOrigin::kClient);

  // Writes a transaction marker (a control batch, KIP-98) for `producer_id` at
  // `producer_epoch`, ending its open transaction here: committed, or aborted, when the
  // transaction's range is entered in the aborted-transactions index (memory and the
  // segment's .txnindex). Written even when the producer wrote nothing here. Returns the
  // marker's offset; aborted_error when the partition has seen a newer epoch of the
  // producer (the caller was fenced), io_error when the write failed.
  Result<int64_t> append_transaction_marker(int64_t producer_id, int16_t producer_epoch,
                                            ControlType type, int32_t coordinator_epoch,
                                            int64_t now_ms);

  // Whole batches from the one containing `offset`, at most `max_bytes` except that at least
  // one whole batch is returned when there is one (KIP-74). offset == log end: empty.
  // out_of_range_error below the log start or above the log end. kReadCommitted returns only
  // batches below the last stable offset (empty from it on) and lists the aborted
  // transactions that overlap them.
  Result<ReadResult> read(int64_t offset, int32_t max_bytes,
                          IsolationLevel isolation = IsolationLevel::kReadUncommitted) const;

  // Where a reader that met a corrupt batch at `offset` (read() failed with
  // corruption_error) can go on: the offset after the damaged batch. nullopt when `offset`
  // is readable.
  Result<std::optional<int64_t>> end_of_damage(int64_t offset) const;

  // Offsets below this were fsynced: what the recovery point checkpoint records.
  int64_t recovery_point() const;

  // Calls `visit` with every stored batch (header and whole bytes, offsets assigned) from the
  // one holding `from` (or the log start, when above `from`) to the log end, in order, each once:
  // how the coordinators replay their internal topics. A damaged batch is skipped with a warning
  // (its records are lost, the rest is replayed). Stops at, and returns, the first other error of a
  // read or of `visit`.
  Status for_each_batch(
      int64_t from,
      const std::function<Status(const RecordBatchHeader&, BytesView batch)>& visit) const;

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  // The first offset of the oldest open transaction, or the log end when none is open: what
  // read_committed consumers may read up to.
  int64_t last_stable_offset() const;
  // The aborted transactions whose marker is at or after `from` and whose first offset is
  // before `to`, in marker order.
  std::vector<AbortedTransaction> aborted_transactions(int64_t from, int64_t to) const;
  uint64_t size_bytes() const;
  size_t segment_count() const;
  // The idempotent and transactional producers this partition remembers (DescribeProducers).
  std::vector<ProducerStateTable::ActiveProducer> active_producers() const;

  // The first record with timestamp >= `timestamp`: (its offset, its timestamp); for a
  // compressed batch, which is not decompressed, the batch's (base offset, max timestamp).
  Result<std::optional<std::pair<int64_t, int64_t>>> offset_for_timestamp(int64_t timestamp) const;

  // DeleteRecords: moves the log start offset up to `offset` (-1: the high watermark) and
  // deletes the segments wholly below it; reads and ListOffsets below it then find nothing.
  // The new start is written durably (`<dir>/log-start-offset`) before this returns, so it
  // survives a restart. Returns the log start offset (unchanged when `offset` is below it);
  // out_of_range_error for an offset past the high watermark or below -1.
  Result<int64_t> delete_records_before(int64_t offset);

  void set_config(TopicConfig config);
  // Deletes whole old segments past retention.ms / retention.bytes (never the active one),
  // advancing the log start offset; fsyncs when flush.ms has passed. Returns segments deleted.
  Result<int> enforce_retention(int64_t now_ms);
  Status flush();
  // Closes and deletes every file and the directory.
  Status remove();

  // Compaction (cleanup.policy=compact; implemented in log_cleaner.cc, docs/DURABILITY.md).
  // Cleans every segment but the active one when the dirty part (bytes after the
  // cleaned-up-to offset) is at least min.cleanable.dirty.ratio of them, or always with
  // `force`: each record whose key has a newer record in those segments is removed, and so
  // is a tombstone in a segment last modified delete.retention.ms or more before `now_ms`.
  // Records keep their offsets. Each changed segment is rewritten on the side and swapped in
  // under the exclusive lock (a few renames); produce and fetch go on meanwhile. Returns
  // what was done (cleaned == false when nothing was due). One cleaning at a time per log.
  Result<CleaningStats> clean(int64_t now_ms, bool force = false);
  // Totals of every clean() of this log since it was opened.
  CleanerMetrics cleaner_metrics() const;
  // Test hook: called at each step of a segment swap; an error return stops the cleaning
  // there as a crash would (files left as they are), for crash-recovery tests.
  void TEST_set_cleaner_hook(std::function<Status(CleanerStep)> hook);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  Log(std::filesystem::path dir, TopicConfig config, FileSystem& fs);
  Status roll(int64_t now_ms);
  AppendResult append_locked(BytesView records, int64_t now_ms, AppendOrigin origin,
                             std::optional<int64_t>& rolled);
  // Assigns offsets to validated `batches` of `records` and writes them (rolling when due);
  // fills `result`'s offsets or its error. Called with mutex_ held.
  void write_locked(BytesView records, const std::vector<BatchInBlob>& batches, int64_t now_ms,
                    std::optional<int64_t>& rolled, AppendResult& result);
  // Fsyncs the segment append() rolled, after the exclusive lock is let go.
  void flush_rolled(std::optional<int64_t> rolled);
  int64_t last_stable_offset_locked() const;
  // The first offset a reader may ask for: the oldest segment's base, or higher after
  // DeleteRecords. Called with mutex_ held.
  int64_t log_start_offset_locked() const {
    return std::max(deleted_before_, segments_.begin()->first);
  }
  std::vector<AbortedTransaction> aborted_locked(int64_t from, int64_t to) const;
  // Loads every segment's .txnindex (open()), dropping entries past the log end.
  Status load_aborted_transactions();
  // Enters an abort in the index (memory, and the .txnindex of the segment holding the
  // marker). Called with mutex_ held or from open().
  void index_abort(const AbortedTransaction& entry);
  Status flush_locked();
  // Rebuilds producer state from the batches of the last two segments (open()). Producers
  // whose last batches are older count as unknown, whose next batch is accepted at any
  // sequence: a bounded start-up cost instead of a scan of the whole log (Kafka keeps
  // snapshots for that; runneld does not yet).
  Status load_producer_state();
  Segment& active() const { return *segments_.rbegin()->second; }
  // Replaces segment `old` by `cleaned` (built in dir_/cleaning): see log_cleaner.cc.
  Status swap_in(const std::shared_ptr<Segment>& old, std::shared_ptr<Segment> cleaned);
  Status cleaner_step(CleanerStep step) const;

  const std::filesystem::path dir_;
  FileSystem& fs_;
  mutable std::shared_mutex mutex_;
  TopicConfig config_;
  // By base offset; never empty (until remove()). shared_ptr so that the log cleaner can
  // read a segment without the lock while retention may drop it from the map.
  std::map<int64_t, std::shared_ptr<Segment>> segments_;
  int64_t unflushed_messages_ = 0;
  std::optional<int64_t> rolled_unflushed_;  // base of the segment roll() just finished
  int64_t last_flush_ms_ = 0;
  // Every offset below it is fsynced. GUARDED_BY(mutex_) for writes; read under either lock.
  int64_t recovery_point_ = 0;
  ProducerStateTable producers_;  // GUARDED_BY(mutex_)
  // Every aborted transaction of the log, by marker offset (the .txnindex files' entries);
  // trimmed by retention. GUARDED_BY(mutex_)
  std::vector<AbortedTransaction> aborted_;
  // Offset below which every segment has been cleaned since open (in memory only: after a
  // restart the first cleaning treats the whole log as dirty). GUARDED_BY(mutex_)
  int64_t cleaned_up_to_ = 0;
  // DeleteRecords' log start offset (0 until one); persisted in dir_/log-start-offset.
  // GUARDED_BY(mutex_)
  int64_t deleted_before_ = 0;

  // Serializes clean() calls; held for a whole cleaning, never by produce or fetch.
  std::mutex cleaner_mutex_;
  std::function<Status(CleanerStep)> cleaner_hook_;  // GUARDED_BY(cleaner_mutex_)
  mutable std::mutex metrics_mutex_;
  CleanerMetrics metrics_;  // GUARDED_BY(metrics_mutex_)
};

}  // namespace runnel::broker

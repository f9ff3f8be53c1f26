// Log compaction: the record filter, Log::clean() and the crash-safe segment swap.
//
// The swap of one segment, whose files are named <stem>.log/.index/.timeindex:
//   1. the cleaned segment is written to dir/cleaning/<stem>.*, fsynced, and so is the
//      directory (readers and writers of the log are not held up meanwhile);
//   2. under the log's exclusive lock: dir/cleaning is renamed to dir/cleaned, and dir is
//      fsynced. This rename is the commit point;
//   3. .index and .timeindex are renamed into dir (replacing the old ones), then .log, and
//      dir is fsynced; dir/cleaned is removed. Open descriptors follow renamed files, so the
//      new Segment object is the one built in step 1, and the old one (whose files are now
//      unlinked) is released when its last holder lets go.
// At open, recover_cleaner_swap() deletes dir/cleaning (a crash before 2: the old segment
// stays) and moves whatever is left in dir/cleaned into dir, .log last (a crash after 2:
// the new segment wins). Since .log moves last, as long as dir/cleaned holds it, the .log in
// dir is still the old one, and indexes are never paired with the wrong log for good.

#include "broker/storage/log_cleaner.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "broker/storage/compression.h"
#include "broker/storage/log.h"
#include "broker/storage/record_batch.h"
#include "core/big_endian.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

constexpr const char* kCleaningDir = "cleaning";
constexpr const char* kCleanedDir = "cleaned";
// Largest decompressed records section the cleaner accepts: a batch is at most
// max.message.bytes compressed; this bounds what a hostile compression ratio can cost.
constexpr size_t kMaxDecompressed = 256u << 20;

// Bounds-checked reads of a records section.
class RecordReader {
 public:
  explicit RecordReader(BytesView bytes) : bytes_(bytes) {}
  size_t position() const { return position_; }

  Result<int64_t> varlong() {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (position_ >= bytes_.size()) return corruption_error("record truncated in a varint");
      const uint8_t byte = bytes_[position_++];
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return static_cast<int64_t>((result >> 1) ^ (~(result & 1) + 1));
    }
    return corruption_error("varint longer than 10 bytes");
  }

  // A nullable field: nullopt for length -1.
  Result<std::optional<BytesView>> field(size_t end) {
    RUNNEL_ASSIGN_OR_RETURN(int64_t length, varlong());
    if (length < 0) return std::optional<BytesView>();
    if (position_ > end || static_cast<uint64_t>(length) > end - position_) {
      return corruption_error("record field past the record's end");
    }
    BytesView value = bytes_.subview(position_, static_cast<size_t>(length));
    position_ += static_cast<size_t>(length);
    return std::optional<BytesView>(value);
  }

  void seek(size_t position) { position_ = position; }

 private:
  BytesView bytes_;
  size_t position_ = 0;
};

struct RawRecord {
  RecordView view;
  size_t begin;  // within the records section, the length varint included
  size_t end;
};

// Every record of a batch, with where its bytes are in `records` (the decompressed section).
Result<std::vector<RawRecord>> walk_records(const RecordBatchHeader& header, BytesView records) {
  std::vector<RawRecord> out;
  if (header.record_count < 0) return corruption_error("negative record count");
  out.reserve(static_cast<size_t>(header.record_count));
  RecordReader reader(records);
  for (int32_t i = 0; i < header.record_count; ++i) {
    const size_t begin = reader.position();
    RUNNEL_ASSIGN_OR_RETURN(int64_t length, reader.varlong());
    const size_t body = reader.position();
    if (length < 0 || static_cast<uint64_t>(length) > records.size() - body) {
      return corruption_error("record length past the batch's end");
    }
    const size_t end = body + static_cast<size_t>(length);
    reader.seek(body + 1);  // attributes
    RUNNEL_ASSIGN_OR_RETURN(int64_t timestamp_delta, reader.varlong());
    (void)timestamp_delta;
    RUNNEL_ASSIGN_OR_RETURN(int64_t offset_delta, reader.varlong());
    if (offset_delta < 0 || offset_delta > header.last_offset_delta) {
      return corruption_error("record offset delta outside its batch");
    }
    RUNNEL_ASSIGN_OR_RETURN(std::optional<BytesView> key, reader.field(end));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<BytesView> value, reader.field(end));
    if (reader.position() > end) return corruption_error("record longer than its length");
    out.push_back(RawRecord{.view = RecordView{.offset = header.base_offset + offset_delta,
                                               .key = key,
                                               .tombstone = !value.has_value()},
                            .begin = begin,
                            .end = end});
    reader.seek(end);
  }
  return out;
}

// The records section of `batch`, decompressed when needed. `storage` holds the bytes when
// they had to be decompressed.
Result<BytesView> records_of(const RecordBatchHeader& header, BytesView batch, Bytes& storage) {
  if (batch.size() < header.total_size() || header.total_size() < RecordBatchHeader::kSize) {
    return corruption_error("batch shorter than its length");
  }
  BytesView section =
      batch.subview(RecordBatchHeader::kSize, header.total_size() - RecordBatchHeader::kSize);
  const auto codec = static_cast<Codec>(header.attributes & RecordBatchHeader::kCompressionMask);
  if (codec == Codec::kNone) return section;
  RUNNEL_ASSIGN_OR_RETURN(storage, decompress_records(codec, section, kMaxDecompressed));
  return storage.view();
}

int64_t elapsed_us(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

void CleanerMetrics::add(const CleaningStats& stats) {
  if (!stats.cleaned) return;
  ++cleanings;
  segments_rewritten += static_cast<uint64_t>(stats.segments_rewritten);
  bytes_before += stats.bytes_before;
  bytes_after += stats.bytes_after;
  records_removed += static_cast<uint64_t>(stats.records_removed);
  tombstones_removed += static_cast<uint64_t>(stats.tombstones_removed);
  busy_us += stats.duration_us;
}

void CleanerMetrics::add(const CleanerMetrics& other) {
  cleanings += other.cleanings;
  segments_rewritten += other.segments_rewritten;
  bytes_before += other.bytes_before;
  bytes_after += other.bytes_after;
  records_removed += other.records_removed;
  tombstones_removed += other.tombstones_removed;
  errors += other.errors;
  busy_us += other.busy_us;
}

Status for_each_record(BytesView batch, const std::function<void(const RecordView&)>& visit) {
  if (batch.size() < RecordBatchHeader::kSize) return corruption_error("batch too short");
  const RecordBatchHeader header = RecordBatchHeader::parse(batch);
  if (header.is_control()) return ok_status();
  Bytes storage;
  RUNNEL_ASSIGN_OR_RETURN(BytesView records, records_of(header, batch, storage));
  RUNNEL_ASSIGN_OR_RETURN(std::vector<RawRecord> walked, walk_records(header, records));
  for (const RawRecord& record : walked) visit(record.view);
  return ok_status();
}

Result<FilteredBatch> filter_batch(BytesView batch,
                                   const std::function<bool(const RecordView&)>& keep,
                                   bool keep_empty) {
  FilteredBatch result;
  if (batch.size() < RecordBatchHeader::kSize) return corruption_error("batch too short");
  const RecordBatchHeader header = RecordBatchHeader::parse(batch);
  // Transaction markers (and any control batch) stay: there are no transactions yet, and a
  // marker must outlive the data it commits or aborts anyway.
  if (header.is_control()) return result;
  Bytes storage;
  RUNNEL_ASSIGN_OR_RETURN(BytesView records, records_of(header, batch, storage));
  RUNNEL_ASSIGN_OR_RETURN(std::vector<RawRecord> walked, walk_records(header, records));
  Bytes kept_records;
  int32_t kept = 0;
  for (const RawRecord& record : walked) {
    if (keep(record.view)) {
      kept_records.append(records.subview(record.begin, record.end - record.begin));
      ++kept;
    } else {
      ++result.records_removed;
      if (record.view.tombstone) ++result.tombstones_removed;
    }
  }
  if (result.records_removed == 0) return result;
  if (kept == 0 && !keep_empty) {
    result.kind = FilteredBatch::Kind::kDropped;
    return result;
  }
  // The new batch: the old header with the codec cleared (survivors are written
  // uncompressed), a new count, length and CRC. base offset, lastOffsetDelta, timestamps and
  // producer fields stay, so offsets, the next offset and producer state are unaffected.
  Bytes out(batch.subview(0, RecordBatchHeader::kSize));
  out.append(kept_records.view());
  uint8_t* p = out.data();
  const auto attributes =
      static_cast<int16_t>(header.attributes & ~RecordBatchHeader::kCompressionMask);
  store_big_endian<int32_t>(p + RecordBatchHeader::kBatchLengthAt,
                            static_cast<int32_t>(out.size() - RecordBatchHeader::kLogOverhead));
  store_big_endian<int16_t>(p + RecordBatchHeader::kAttributesAt, attributes);
  store_big_endian<int32_t>(p + RecordBatchHeader::kSize - 4, kept);  // recordCount
  store_big_endian<uint32_t>(p + RecordBatchHeader::kCrcAt, record_batch_crc(out.view()));
  result.kind = FilteredBatch::Kind::kRewritten;
  result.rewritten = std::move(out);
  return result;
}

Status recover_cleaner_swap(FileSystem& fs, const std::filesystem::path& dir) {
  const std::filesystem::path cleaning = dir / kCleaningDir;
  if (fs.exists(cleaning)) {
    log::warn("{}: discarding a cleaning cut short (the old segment stays)", dir.string());
    RUNNEL_RETURN_IF_ERROR(fs.remove_all(cleaning));
  }
  const std::filesystem::path cleaned = dir / kCleanedDir;
  if (!fs.exists(cleaned)) return ok_status();
  log::warn("{}: finishing a cleaned segment's swap cut short", dir.string());
  RUNNEL_ASSIGN_OR_RETURN(std::vector<std::string> files, fs.list(cleaned));
  // Indexes first, .log last: see the swap's description at the top of this file.
  std::stable_partition(files.begin(), files.end(), [](const std::string& name) {
    return std::filesystem::path(name).extension() != ".log";
  });
  for (const auto& file : files) RUNNEL_RETURN_IF_ERROR(fs.rename(cleaned / file, dir / file));
  RUNNEL_RETURN_IF_ERROR(fs.sync_dir(dir));
  RUNNEL_RETURN_IF_ERROR(fs.remove_all(cleaned));
  return fs.sync_dir(dir);
}

void Log::TEST_set_cleaner_hook(std::function<Status(CleanerStep)> hook) {
  std::lock_guard lock(cleaner_mutex_);
  cleaner_hook_ = std::move(hook);
}

Status Log::cleaner_step(CleanerStep step) const {
  return cleaner_hook_ ? cleaner_hook_(step) : ok_status();
}

CleanerMetrics Log::cleaner_metrics() const {
  std::lock_guard lock(metrics_mutex_);
  return metrics_;
}

Status Log::swap_in(const std::shared_ptr<Segment>& old, std::shared_ptr<Segment> cleaned) {
  const std::filesystem::path cleaning = dir_ / kCleaningDir;
  const std::filesystem::path committed = dir_ / kCleanedDir;
  std::unique_lock lock(mutex_);
  auto it = segments_.find(old->base_offset());
  if (it == segments_.end() || it->second != old) {
    // Retention deleted the segment (or the topic went) while it was being cleaned.
    lock.unlock();
    (void)fs_.remove_all(cleaning);
    return aborted_error("the segment left the log while it was being cleaned");
  }
  RUNNEL_RETURN_IF_ERROR(fs_.rename(cleaning, committed));
  RUNNEL_RETURN_IF_ERROR(fs_.sync_dir(dir_));
  RUNNEL_RETURN_IF_ERROR(cleaner_step(CleanerStep::kSwapCommitted));
  const std::string stem = fmt::format("{:020}", old->base_offset());
  for (const char* suffix : {".index", ".timeindex"}) {
    RUNNEL_RETURN_IF_ERROR(fs_.rename(committed / (stem + suffix), dir_ / (stem + suffix)));
  }
  RUNNEL_RETURN_IF_ERROR(cleaner_step(CleanerStep::kIndexesSwapped));
  RUNNEL_RETURN_IF_ERROR(fs_.rename(committed / (stem + ".log"), dir_ / (stem + ".log")));
  RUNNEL_RETURN_IF_ERROR(fs_.sync_dir(dir_));
  RUNNEL_RETURN_IF_ERROR(cleaner_step(CleanerStep::kLogSwapped));
  cleaned->relocate(dir_);
  it->second = std::move(cleaned);
  // Empty now: every file was renamed out of it.
  RUNNEL_RETURN_IF_ERROR(fs_.remove_all(committed));
  return fs_.sync_dir(dir_);
}

Result<CleaningStats> Log::clean(int64_t now_ms, bool force) {
  std::lock_guard cleaning_lock(cleaner_mutex_);
  const auto started = std::chrono::steady_clock::now();
  CleaningStats stats;
  TopicConfig config;
  std::vector<std::shared_ptr<Segment>> segments;  // every one but the active
  int64_t cleaned_up_to = 0;
  // Aborted transactions by producer: their records are removed, never kept as a key's newest.
  std::unordered_map<int64_t, std::vector<AbortedTransaction>> aborted;
  {
    std::shared_lock lock(mutex_);
    if (segments_.empty()) return stats;
    config = config_;
    // Only what is decided: a segment holding records of an open transaction, or after
    // one, waits (its records may yet be aborted).
    const int64_t stable = last_stable_offset_locked();
    for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
      if (it->second->next_offset() > stable) break;
      segments.push_back(it->second);
    }
    cleaned_up_to = cleaned_up_to_;
    for (const AbortedTransaction& entry : aborted_) {
      aborted[entry.producer_id].push_back(entry);
    }
  }
  if (!config.compacted() || segments.empty()) return stats;
  uint64_t total = 0;
  uint64_t dirty = 0;
  for (const auto& segment : segments) {
    total += segment->size();
    if (segment->next_offset() > cleaned_up_to) dirty += segment->size();
  }
  const double ratio = total == 0 ? 0.0 : static_cast<double>(dirty) / static_cast<double>(total);
  if (!force && (dirty == 0 || ratio < config.min_cleanable_dirty_ratio)) return stats;

  // Pass 1: the newest offset of every key in the cleanable segments.
  std::unordered_map<std::string, int64_t> newest;
  auto for_each_batch = [](const Segment& segment,
                           const std::function<Status(BytesView, bool)>& visit) -> Status {
    int64_t offset = segment.base_offset();
    while (offset < segment.next_offset()) {
      RUNNEL_ASSIGN_OR_RETURN(Bytes chunk, segment.read(offset, 1 << 20));
      if (chunk.empty()) break;
      BytesView rest = chunk.view();
      while (rest.size() >= RecordBatchHeader::kSize) {
        const RecordBatchHeader header = RecordBatchHeader::parse(rest);
        if (header.total_size() > rest.size()) return corruption_error("batch cut short");
        offset = header.last_offset() + 1;
        RUNNEL_RETURN_IF_ERROR(
            visit(rest.subview(0, header.total_size()), offset >= segment.next_offset()));
        rest = rest.subview(header.total_size());
      }
    }
    return ok_status();
  };
  // A transactional batch lies wholly inside one transaction of its producer.
  auto in_aborted_transaction = [&aborted](const RecordBatchHeader& header) {
    if (!header.is_transactional() || header.is_control()) return false;
    auto found = aborted.find(header.producer_id);
    if (found == aborted.end()) return false;
    for (const AbortedTransaction& entry : found->second) {
      if (entry.first_offset <= header.base_offset && header.base_offset < entry.last_offset) {
        return true;
      }
    }
    return false;
  };
  for (const auto& segment : segments) {
    RUNNEL_RETURN_IF_ERROR(for_each_batch(*segment, [&](BytesView batch, bool) {
      if (in_aborted_transaction(RecordBatchHeader::parse(batch))) return ok_status();
      return for_each_record(batch, [&](const RecordView& record) {
        if (!record.key) return;
        auto [it, inserted] = newest.try_emplace(
            std::string(reinterpret_cast<const char*>(record.key->data()), record.key->size()),
            record.offset);
        if (!inserted) it->second = std::max(it->second, record.offset);
      });
    }));
  }

  // Pass 2: rewrite each segment with its survivors, on the side, and swap it in.
  // Per producer: whether its current transaction (since its last marker) keeps a record. A
  // marker whose transaction kept none is removed once delete.retention.ms has passed, as
  // Kafka does: a consumer that read the transaction's records has seen the marker by then.
  std::unordered_map<int64_t, bool> transaction_kept;
  bool batch_aborted = false;
  for (const auto& old : segments) {
    const bool tombstones_expire = now_ms - old->last_modified_ms() >= config.delete_retention_ms;
    auto keep = [&](const RecordView& record) {
      if (batch_aborted) return false;
      // A record without a key has nothing newer to lose to: kept (Kafka refuses them at
      // produce on a compacted topic; runneld accepts and keeps them).
      if (!record.key) return true;
      auto it = newest.find(
          std::string(reinterpret_cast<const char*>(record.key->data()), record.key->size()));
      if (it != newest.end() && it->second > record.offset) return false;
      return !(record.tombstone && tombstones_expire);
    };
    stats.bytes_before += old->size();
    Bytes rewritten;
    std::vector<RecordBatchHeader> headers;
    bool changed = false;
    int64_t removed = 0;
    int64_t tombstones = 0;
    RUNNEL_RETURN_IF_ERROR(for_each_batch(*old, [&](BytesView batch, bool last) -> Status {
      // The segment's last batch stays (empty if need be) so that the segment still ends
      // at the same offset, as producer-state rebuilding and next offsets expect.
      const RecordBatchHeader header = RecordBatchHeader::parse(batch);
      if (header.is_control()) {
        bool& kept = transaction_kept[header.producer_id];
        const bool drop = !kept && tombstones_expire && !last;
        kept = false;
        if (drop) {
          changed = true;
          return ok_status();
        }
      }
      batch_aborted = in_aborted_transaction(header);
      RUNNEL_ASSIGN_OR_RETURN(FilteredBatch filtered, filter_batch(batch, keep, last));
      // Even an emptied batch that stays (a segment's last) keeps its marker: producer-state
      // rebuilding would otherwise take its transaction for an open one.
      if (header.is_transactional() && !header.is_control() &&
          filtered.kind != FilteredBatch::Kind::kDropped) {
        transaction_kept[header.producer_id] = true;
      }
      removed += filtered.records_removed;
      tombstones += filtered.tombstones_removed;
      BytesView out = batch;
      if (filtered.kind == FilteredBatch::Kind::kDropped) {
        changed = true;
        return ok_status();
      }
      if (filtered.kind == FilteredBatch::Kind::kRewritten) {
        changed = true;
        out = filtered.rewritten.view();
      }
      headers.push_back(RecordBatchHeader::parse(out));
      rewritten.append(out);
      return ok_status();
    }));
    if (!changed) {
      stats.bytes_after += old->size();
      continue;
    }
    const std::filesystem::path cleaning = dir_ / kCleaningDir;
    (void)fs_.remove_all(cleaning);
    // create_dir, not create_dirs: if the topic was deleted meanwhile, fail rather than
    // bring its directory back.
    RUNNEL_RETURN_IF_ERROR(fs_.create_dir(cleaning));
    RUNNEL_ASSIGN_OR_RETURN(
        std::unique_ptr<Segment> built,
        Segment::create(fs_, cleaning, old->base_offset(), config.index_interval_bytes, now_ms));
    if (!rewritten.empty()) RUNNEL_RETURN_IF_ERROR(built->append(rewritten.view(), headers));
    // Keep the replaced segment's time: cleaning must not restart delete.retention.ms.
    built->set_last_modified_ms(old->last_modified_ms());
    RUNNEL_RETURN_IF_ERROR(built->persist_last_modified());
    RUNNEL_RETURN_IF_ERROR(built->flush());
    RUNNEL_RETURN_IF_ERROR(fs_.sync_dir(cleaning));
    RUNNEL_RETURN_IF_ERROR(cleaner_step(CleanerStep::kCleanedWritten));
    const uint64_t size_after = built->size();
    Status swapped = swap_in(old, std::shared_ptr<Segment>(std::move(built)));
    if (swapped.code() == StatusCode::kAborted) {
      stats.bytes_after += old->size();  // retention took it: nothing to swap, go on
      continue;
    }
    RUNNEL_RETURN_IF_ERROR(swapped);
    stats.bytes_after += size_after;
    stats.records_removed += removed;
    stats.tombstones_removed += tombstones;
    ++stats.segments_rewritten;
  }
  stats.cleaned = true;
  stats.cleaned_up_to = segments.back()->next_offset();
  {
    std::unique_lock lock(mutex_);
    cleaned_up_to_ = std::max(cleaned_up_to_, stats.cleaned_up_to);
  }
  stats.duration_us = elapsed_us(started);
  log::info(
      "cleaner: {} cleaned to offset {}: {} -> {} bytes, {} record(s) removed ({} tombstones), "
      "{} segment(s) rewritten, dirty ratio {:.2f}, {:.1f} ms",
      dir_.filename().string(), stats.cleaned_up_to, stats.bytes_before, stats.bytes_after,
      stats.records_removed, stats.tombstones_removed, stats.segments_rewritten, ratio,
      static_cast<double>(stats.duration_us) / 1000.0);
  std::lock_guard metrics_lock(metrics_mutex_);
  metrics_.add(stats);
  return stats;
}

}  // namespace runnel::broker

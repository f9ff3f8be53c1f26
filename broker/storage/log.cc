#include "broker/storage/log.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "broker/storage/record_batch_builder.h"
#include "core/big_endian.h"
#include "core/log.h"
#include "core/log_rate_limiter.h"

namespace runnel::broker {

namespace {

bool only_empty_batches(BytesView blob) {
  while (blob.size() >= RecordBatchHeader::kSize) {
    const RecordBatchHeader header = RecordBatchHeader::parse(blob);
    if (header.record_count != 0 || header.total_size() > blob.size()) return false;
    blob = blob.subview(header.total_size());
  }
  return true;
}

// DeleteRecords' log start offset, one decimal line; absent until the first DeleteRecords.
constexpr const char* kLogStartOffsetFile = "log-start-offset";

Result<int64_t> read_log_start_offset(FileSystem& fs, const std::filesystem::path& dir) {
  Result<Bytes> read = read_whole_file(fs, dir / kLogStartOffsetFile);
  if (!read.ok() && read.status().code() == StatusCode::kNotFound) return int64_t{0};
  if (!read.ok()) return read.status();
  const std::string text = read->to_string();
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  while (begin != end && std::isspace(static_cast<unsigned char>(*begin))) ++begin;
  int64_t offset = -1;
  if (std::from_chars(begin, end, offset).ptr == begin || offset < 0) {
    return corruption_error(
        fmt::format("{}: '{}' does not hold an offset", dir.string(), kLogStartOffsetFile));
  }
  return offset;
}

}  // namespace

Log::Log(std::filesystem::path dir, TopicConfig config, FileSystem& fs)
    : dir_(std::move(dir)), fs_(fs), config_(std::move(config)) {}

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::open(std::filesystem::path dir, TopicConfig config,
                                       int64_t now_ms, LogOpenOptions options) {
  FileSystem& fs = options.file_system ? *options.file_system : FileSystem::posix();
  RUNNEL_RETURN_IF_ERROR(fs.create_dirs(dir));
  std::unique_ptr<Log> log(new Log(dir, std::move(config), fs));
  // Before listing segments: a cleaner swap cut by a crash is finished or forgotten.
  RUNNEL_RETURN_IF_ERROR(recover_cleaner_swap(fs, dir));
  std::vector<int64_t> bases;
  RUNNEL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs.list(dir));
  for (const std::string& name : names) {
    int64_t base = -1;
    if (name.size() == 24 && name.ends_with(".log") &&
        std::from_chars(name.data(), name.data() + 20, base).ptr == name.data() + 20 && base >= 0) {
      bases.push_back(base);
    } else if (name.ends_with(".tmp")) {
      RUNNEL_RETURN_IF_ERROR(fs.remove(dir / name));
    }
  }
  std::sort(bases.begin(), bases.end());
  // Only what may be torn is verified, as Kafka's recovery point does: segments holding
  // offsets at or after it (each rolled segment was fsynced, and the recovery point moved
  // past it only after that), and the last segment, which appends continue. Damage below the
  // recovery point is not a torn write but a bad disk or a careless hand: it is contained
  // (kept, skipped, reported to readers), never answered by cutting or deleting data.
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    SegmentOpenOptions segment_options;
    if (!last) segment_options.next_segment_base = bases[i + 1];
    segment_options.verify_crcs = last || bases[i + 1] > options.recovery_point;
    segment_options.truncate_torn_tail = segment_options.verify_crcs;
    uint64_t truncated = 0;
    RUNNEL_ASSIGN_OR_RETURN(auto segment,
                            Segment::open(fs, dir, bases[i], log->config_.index_interval_bytes,
                                          segment_options, now_ms, truncated));
    if (truncated > 0) {
      log::warn("recovered {}: cut {} byte(s) of torn tail of segment {}; it ends at offset {}",
                dir.string(), truncated, bases[i], segment->next_offset());
    }
    log->segments_.emplace(bases[i], std::shared_ptr<Segment>(std::move(segment)));
  }
  if (log->segments_.empty()) {
    RUNNEL_ASSIGN_OR_RETURN(auto segment,
                            Segment::create(fs, dir, 0, log->config_.index_interval_bytes, now_ms));
    log->segments_.emplace(0, std::shared_ptr<Segment>(std::move(segment)));
  }
  RUNNEL_ASSIGN_OR_RETURN(log->deleted_before_, read_log_start_offset(fs, dir));
  log->recovery_point_ = std::min(options.recovery_point, log->active().next_offset());
  log->cleaned_up_to_ = log->segments_.begin()->first;
  log->last_flush_ms_ = now_ms;
  RUNNEL_RETURN_IF_ERROR(log->load_aborted_transactions());
  RUNNEL_RETURN_IF_ERROR(log->load_producer_state());
  return log;
}

Status Log::load_aborted_transactions() {
  const int64_t end = active().next_offset();
  for (const auto& [base, segment] : segments_) {
    const std::filesystem::path file = TransactionIndex::path(dir_, base);
    Result<std::vector<AbortedTransaction>> read = TransactionIndex::read(fs_, file);
    if (!read.ok() && read.status().code() == StatusCode::kCorruption) {
      // Contained: this segment's aborted transactions are unknown (read_committed fetches
      // of it may return aborted records; the last two segments' are rebuilt below), and
      // the partition still opens.
      log::error("{}; ignoring that transaction index", read.status().to_string());
      continue;
    }
    if (!read.ok()) return read.status();
    std::vector<AbortedTransaction> entries = std::move(*read);
    std::vector<AbortedTransaction> kept;
    for (const AbortedTransaction& entry : entries) {
      if (entry.last_offset < end) kept.push_back(entry);
    }
    if (kept.size() != entries.size()) {
      // Markers cut off with a torn tail: their entries go too.
      RUNNEL_RETURN_IF_ERROR(TransactionIndex::rewrite(fs_, file, kept));
    }
    aborted_.insert(aborted_.end(), kept.begin(), kept.end());
  }
  return ok_status();
}

void Log::index_abort(const AbortedTransaction& entry) {
  // aborted_ is ordered by marker offset: one binary search finds a known entry (rebuilt at
  // open from a marker the .txnindex already had) and the place of a new one.
  auto at = std::lower_bound(
      aborted_.begin(), aborted_.end(), entry.last_offset,
      [](const AbortedTransaction& e, int64_t offset) { return e.last_offset < offset; });
  if (at != aborted_.end() && at->last_offset == entry.last_offset) return;
  aborted_.insert(at, entry);
  auto segment = segments_.upper_bound(entry.last_offset);
  --segment;
  // Without the file entry a read_committed fetch still filters (memory has it) until a
  // restart; the restart rescans the last segments, where a new marker is, and re-adds it.
  if (Status written =
          TransactionIndex::append(fs_, TransactionIndex::path(dir_, segment->first), entry);
      !written.ok()) {
    log::error("{}: recording an aborted transaction: {}", dir_.string(), written.to_string());
  }
}

Status Log::load_producer_state() {
  if (segments_.empty()) return ok_status();
  int64_t from = std::prev(segments_.end())->first;
  if (segments_.size() >= 2) from = std::prev(segments_.end(), 2)->first;
  return for_each_batch(from, [this](const RecordBatchHeader& header, BytesView batch) {
    if (!header.is_control() || header.producer_id < 0) {
      producers_.record(header);
      return ok_status();
    }
    const std::optional<TransactionMarker> marker = parse_transaction_marker(batch);
    const std::optional<int64_t> first =
        producers_.end_transaction(header.producer_id, header.producer_epoch);
    if (marker && marker->type == ControlType::kAbort && first) {
      const std::optional<int64_t> unstable = producers_.first_unstable_offset();
      index_abort(
          AbortedTransaction{.producer_id = header.producer_id,
                             .first_offset = *first,
                             .last_offset = header.base_offset,
                             .last_stable_offset = unstable ? *unstable : header.base_offset + 1});
    }
    return ok_status();
  });
}

Status Log::for_each_batch(
    int64_t from,
    const std::function<Status(const RecordBatchHeader&, BytesView batch)>& visit) const {
  // Nothing below the log start is readable once DeleteRecords moved it into a segment.
  int64_t next = std::max(from, log_start_offset());
  while (next < log_end_offset()) {
    Result<ReadResult> read = this->read(next, 1 << 20);
    if (!read.ok() && read.status().code() == StatusCode::kCorruption) {
      RUNNEL_ASSIGN_OR_RETURN(std::optional<int64_t> resume, end_of_damage(next));
      if (!resume || *resume <= next) return read.status();
      log::warn("{}: skipping offsets [{}, {}) of a damaged batch: {}", dir_.string(), next,
                *resume, read.status().to_string());
      next = *resume;
      continue;
    }
    if (!read.ok()) return read.status();
    const int64_t before = next;
    BytesView rest = read->records.view();
    while (rest.size() >= RecordBatchHeader::kSize) {
      const RecordBatchHeader header = RecordBatchHeader::parse(rest);
      if (header.total_size() > rest.size()) break;
      // A read starts at the batch holding `next`: one already visited is not visited again.
      if (header.last_offset() >= next) {
        RUNNEL_RETURN_IF_ERROR(visit(header, rest.subview(0, header.total_size())));
        next = header.last_offset() + 1;
      }
      rest = rest.subview(header.total_size());
    }
    if (next == before) break;  // nothing readable past `next` (retention raced the scan)
  }
  return ok_status();
}

Result<std::optional<int64_t>> Log::end_of_damage(int64_t offset) const {
  std::shared_lock lock(mutex_);
  if (segments_.empty() || offset < segments_.begin()->first) return std::optional<int64_t>();
  auto it = segments_.upper_bound(offset);
  --it;
  return it->second->end_of_damage(offset);
}

int64_t Log::recovery_point() const {
  std::shared_lock lock(mutex_);
  return recovery_point_;
}

int64_t Log::log_start_offset() const {
  std::shared_lock lock(mutex_);
  if (segments_.empty()) return 0;
  return log_start_offset_locked();
}

Result<int64_t> Log::delete_records_before(int64_t offset) {
  std::unique_lock lock(mutex_);
  if (segments_.empty()) return not_found_error("the partition was deleted");
  const int64_t high_watermark = active().next_offset();
  if (offset == -1) offset = high_watermark;
  if (offset < 0 || offset > high_watermark) {
    return out_of_range_error(fmt::format("{}: cannot delete records before {}: the log ends at {}",
                                          dir_.filename().string(), offset, high_watermark));
  }
  if (offset <= log_start_offset_locked()) return log_start_offset_locked();
  RUNNEL_RETURN_IF_ERROR(write_file_atomically(fs_, dir_ / kLogStartOffsetFile,
                                               std::string_view(std::to_string(offset) + "\n")));
  deleted_before_ = offset;
  // Segments wholly below the new start go now (Kafka's retention does it a little later).
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
    RUNNEL_RETURN_IF_ERROR(segments_.begin()->second->remove());
    segments_.erase(segments_.begin());
  }
  std::erase_if(aborted_, [offset](const AbortedTransaction& e) { return e.last_offset < offset; });
  cleaned_up_to_ = std::max(cleaned_up_to_, segments_.begin()->first);
  log::info("deleted the records of {} before offset {}", dir_.filename().string(), offset);
  return offset;
}

int64_t Log::log_end_offset() const {
  std::shared_lock lock(mutex_);
  if (segments_.empty()) return 0;
  return active().next_offset();
}

int64_t Log::last_stable_offset() const {
  std::shared_lock lock(mutex_);
  if (segments_.empty()) return 0;
  return last_stable_offset_locked();
}

int64_t Log::last_stable_offset_locked() const {
  const std::optional<int64_t> unstable = producers_.first_unstable_offset();
  const int64_t end = active().next_offset();
  return unstable ? std::min(*unstable, end) : end;
}

std::vector<AbortedTransaction> Log::aborted_transactions(int64_t from, int64_t to) const {
  std::shared_lock lock(mutex_);
  return aborted_locked(from, to);
}

std::vector<AbortedTransaction> Log::aborted_locked(int64_t from, int64_t to) const {
  std::vector<AbortedTransaction> found;
  auto it = std::lower_bound(
      aborted_.begin(), aborted_.end(), from,
      [](const AbortedTransaction& e, int64_t offset) { return e.last_offset < offset; });
  for (; it != aborted_.end(); ++it) {
    if (it->first_offset < to) found.push_back(*it);
  }
  return found;
}

std::vector<ProducerStateTable::ActiveProducer> Log::active_producers() const {
  std::shared_lock lock(mutex_);
  return producers_.active_producers();
}

uint64_t Log::size_bytes() const {
  std::shared_lock lock(mutex_);
  uint64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->size();
  return total;
}

size_t Log::segment_count() const {
  std::shared_lock lock(mutex_);
  return segments_.size();
}

void Log::set_config(TopicConfig config) {
  std::unique_lock lock(mutex_);
  config_ = std::move(config);
}

Status Log::roll(int64_t now_ms) {
  const int64_t base = active().next_offset();
  RUNNEL_ASSIGN_OR_RETURN(auto segment,
                          Segment::create(fs_, dir_, base, config_.index_interval_bytes, now_ms));
  // The finished segment will not change again: append() makes it durable (after letting
  // readers back in) so that a power loss can only affect the active segment.
  rolled_unflushed_ = active().base_offset();
  segments_.emplace(base, std::shared_ptr<Segment>(std::move(segment)));
  return ok_status();
}

AppendResult Log::append(BytesView records, int64_t now_ms, AppendOrigin origin) {
  std::optional<int64_t> rolled;
  AppendResult result = append_locked(records, now_ms, origin, rolled);
  flush_rolled(rolled);
  return result;
}

Result<int64_t> Log::append_transaction_marker(int64_t producer_id, int16_t producer_epoch,
                                               ControlType type, int32_t coordinator_epoch,
                                               int64_t now_ms) {
  std::optional<int64_t> rolled;
  AppendResult result;
  {
    std::unique_lock lock(mutex_);
    if (segments_.empty()) return not_found_error("the partition was deleted");
    if (!producers_.marker_epoch_valid(producer_id, producer_epoch)) {
      return aborted_error(
          fmt::format("{}: marker for producer {} at epoch {}, older than the partition's",
                      dir_.filename().string(), producer_id, producer_epoch));
    }
    const Bytes marker = build_transaction_marker(
        producer_id, producer_epoch,
        TransactionMarker{.type = type, .coordinator_epoch = coordinator_epoch}, now_ms);
    const std::vector<BatchInBlob> batches = {
        BatchInBlob{.position = 0, .header = RecordBatchHeader::parse(marker.view())}};
    result.log_start_offset = log_start_offset_locked();
    write_locked(marker.view(), batches, now_ms, rolled, result);
    if (result.error == AppendError::kNone) {
      const std::optional<int64_t> first = producers_.end_transaction(producer_id, producer_epoch);
      if (type == ControlType::kAbort && first) {
        index_abort(AbortedTransaction{.producer_id = producer_id,
                                       .first_offset = *first,
                                       .last_offset = result.base_offset,
                                       .last_stable_offset = last_stable_offset_locked()});
      }
    }
  }
  flush_rolled(rolled);
  if (result.error != AppendError::kNone) {
    return io_error(fmt::format("writing a transaction marker to {}: {}", dir_.filename().string(),
                                result.message));
  }
  return result.base_offset;
}

void Log::flush_rolled(std::optional<int64_t> rolled) {
  if (rolled) {
    // fsync of a rolled segment, which can hold up to segment.bytes of dirty pages and take
    // seconds: under the shared lock, so fetches go on meanwhile, and retention (exclusive)
    // cannot delete the segment under us. Done before the ack, as the roll was part of it.
    std::shared_ptr<Segment> segment;
    {
      std::shared_lock lock(mutex_);
      auto it = segments_.find(*rolled);
      if (it == segments_.end()) return;
      segment = it->second;
      if (Status flushed = segment->flush(); !flushed.ok()) {
        log::warn("{}: flushing a rolled segment: {}", dir_.string(), flushed.to_string());
        return;
      }
    }
    // Durable now: the recovery point may pass it, if everything before it was durable too.
    std::unique_lock lock(mutex_);
    if (segment->base_offset() <= recovery_point_) {
      recovery_point_ = std::max(recovery_point_, segment->next_offset());
    }
  }
}

AppendResult Log::append_locked(BytesView records, int64_t now_ms, AppendOrigin origin,
                                std::optional<int64_t>& rolled) {
  std::unique_lock lock(mutex_);
  AppendResult result;
  if (segments_.empty()) {
    result.error = AppendError::kKafkaStorageError;
    result.message = "the partition was deleted";
    return result;
  }
  result.log_start_offset = log_start_offset_locked();
  BatchValidation validation = validate_produced_batches(records, config_.max_message_bytes);
  if (validation.error != AppendError::kNone) {
    result.error = validation.error;
    result.message = std::move(validation.message);
    return result;
  }

  std::vector<RecordBatchHeader> produced;
  produced.reserve(validation.batches.size());
  for (const BatchInBlob& batch : validation.batches) produced.push_back(batch.header);
  const ProducerStateTable::Verdict verdict =
      producers_.check(produced, origin == AppendOrigin::kCoordinator);
  if (verdict.error != AppendError::kNone) {
    result.error = verdict.error;
    result.message = verdict.error == AppendError::kInvalidProducerEpoch
                         ? "producer epoch is older than the partition's"
                         : "producer sequence does not follow the last batch appended";
    return result;
  }
  if (verdict.duplicate) {
    // A retry whose first attempt was written (its response lost): acknowledge it again.
    result.base_offset = verdict.duplicate_base_offset;
    result.last_offset = verdict.duplicate_last_offset;
    return result;
  }

  write_locked(records, validation.batches, now_ms, rolled, result);
  return result;
}

void Log::write_locked(BytesView records, const std::vector<BatchInBlob>& batches, int64_t now_ms,
                       std::optional<int64_t>& rolled, AppendResult& result) {
  // Assign offsets by rewriting each batch's baseOffset, which the CRC does not cover. With
  // LogAppendTime, also stamp maxTimestamp and the timestamp-type bit and recompute the CRC.
  Bytes stored(records);
  std::vector<RecordBatchHeader> headers;
  headers.reserve(batches.size());
  int64_t next = active().next_offset();
  result.base_offset = next;
  const bool append_time = config_.log_append_time();
  for (const BatchInBlob& batch : batches) {
    uint8_t* at = stored.data() + batch.position;
    RecordBatchHeader header = batch.header;
    header.base_offset = next;
    store_big_endian<int64_t>(at + RecordBatchHeader::kBaseOffsetAt, next);
    if (append_time) {
      header.attributes =
          static_cast<int16_t>(header.attributes | RecordBatchHeader::kLogAppendTimeFlag);
      header.max_timestamp = now_ms;
      store_big_endian<int16_t>(at + RecordBatchHeader::kAttributesAt, header.attributes);
      store_big_endian<int64_t>(at + RecordBatchHeader::kMaxTimestampAt, now_ms);
      store_big_endian<uint32_t>(at + RecordBatchHeader::kCrcAt,
                                 record_batch_crc(BytesView(at, header.total_size())));
    }
    next = header.last_offset() + 1;
    headers.push_back(header);
  }
  result.last_offset = next - 1;
  if (append_time) result.log_append_time_ms = now_ms;

  Segment& current = active();
  const bool too_big =
      current.size() + stored.size() > static_cast<uint64_t>(config_.segment_bytes);
  const bool too_old = now_ms - current.created_ms() >= config_.segment_ms;
  // Relative offsets and positions in the indexes are 32-bit.
  const bool index_full =
      next - current.base_offset() > INT32_MAX || current.size() + stored.size() > UINT32_MAX;
  if (!current.empty() && (too_big || too_old || index_full)) {
    if (Status roll_status = roll(now_ms); !roll_status.ok()) {
      result.error = AppendError::kKafkaStorageError;
      result.message = roll_status.to_string();
      return;
    }
    rolled = std::exchange(rolled_unflushed_, std::nullopt);
  }
  if (Status written = active().append(stored.view(), headers); !written.ok()) {
    // A full disk fails every append of every partition: one line per 10 s, with a count.
    static log::RateLimiter append_error_log(std::chrono::seconds(10));
    log::error_limited(append_error_log, "{}: append failed: {}", dir_.string(),
                       written.to_string());
    result.error = AppendError::kKafkaStorageError;
    result.message = written.to_string();
    result.base_offset = result.last_offset = -1;
    return;
  }
  // A marker's transaction is ended by its writer, which needs the transaction's range.
  for (const RecordBatchHeader& header : headers) {
    if (!header.is_control()) producers_.record(header);
  }
  active().set_last_modified_ms(now_ms);
  unflushed_messages_ += next - result.base_offset;
  if (unflushed_messages_ >= config_.flush_messages ||
      (config_.flush_ms != TopicConfig::kNever && now_ms - last_flush_ms_ >= config_.flush_ms)) {
    if (Status flushed = flush_locked(); !flushed.ok()) {
      // The records are written but not known to be durable: tell the producer, which retries.
      result.error = AppendError::kKafkaStorageError;
      result.message = flushed.to_string();
      return;
    }
    last_flush_ms_ = now_ms;
  }
}

Result<ReadResult> Log::read(int64_t offset, int32_t max_bytes, IsolationLevel isolation) const {
  std::shared_lock lock(mutex_);
  ReadResult result;
  if (segments_.empty()) return not_found_error("the partition was deleted");
  result.log_start_offset = log_start_offset_locked();
  result.high_watermark = active().next_offset();
  result.last_stable_offset = last_stable_offset_locked();
  if (offset < result.log_start_offset || offset > result.high_watermark) {
    return out_of_range_error(fmt::format("offset {} is outside [{}, {}] of {}", offset,
                                          result.log_start_offset, result.high_watermark,
                                          dir_.filename().string()));
  }
  auto it = segments_.upper_bound(offset);
  --it;  // The segment whose base is <= offset: exists since offset >= the first base.
  for (; it != segments_.end(); ++it) {
    const auto room = static_cast<int32_t>(
        std::max<int64_t>(0, int64_t{max_bytes} - static_cast<int64_t>(result.records.size())));
    Result<Bytes> records = it->second->read(offset, room);
    if (!records.ok()) {
      // Damage after what is already read: answer that; the next read meets the error.
      if (!result.records.empty() && records.status().code() == StatusCode::kCorruption) break;
      return records.status();
    }
    result.records.append(records->view());
    // The log cleaner leaves an emptied last batch at the end of a segment to keep its
    // offsets; some clients (librdkafka 2.0) take a response holding only empty batches for
    // a message too large to fetch, so the next segment's batches follow it.
    if (!result.records.empty() && !only_empty_batches(result.records.view())) break;
  }
  if (isolation == IsolationLevel::kReadCommitted) {
    // Batches never straddle the LSO (it is a batch's base offset or the log end): cut at the
    // first batch at or past it.
    size_t kept = 0;
    int64_t end = offset;
    BytesView rest = result.records.view();
    while (rest.size() >= RecordBatchHeader::kSize) {
      const RecordBatchHeader header = RecordBatchHeader::parse(rest);
      if (header.total_size() > rest.size() || header.base_offset >= result.last_stable_offset) {
        break;
      }
      kept += header.total_size();
      end = header.last_offset() + 1;
      rest = rest.subview(header.total_size());
    }
    if (kept < result.records.size()) result.records.resize(kept);
    if (kept > 0) result.aborted = aborted_locked(offset, end);
  }
  return result;
}

Result<std::optional<std::pair<int64_t, int64_t>>> Log::offset_for_timestamp(
    int64_t timestamp) const {
  std::shared_lock lock(mutex_);
  for (const auto& [base, segment] : segments_) {
    RUNNEL_ASSIGN_OR_RETURN(auto found, segment->find_timestamp(timestamp));
    // Nothing below the log start is found, DeleteRecords having moved it into a segment.
    if (found) {
      found->first = std::max(found->first, log_start_offset_locked());
      return found;
    }
  }
  return std::optional<std::pair<int64_t, int64_t>>();
}

Result<int> Log::enforce_retention(int64_t now_ms) {
  std::unique_lock lock(mutex_);
  int deleted = 0;
  if (segments_.empty()) return deleted;
  uint64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->size();
  while (segments_.size() > 1) {
    Segment& oldest = *segments_.begin()->second;
    // A compact-only topic keeps every segment: the cleaner, not retention, bounds it.
    const bool expired = config_.deletes() && config_.retention_ms >= 0 &&
                         oldest.max_timestamp() >= 0 &&
                         now_ms - oldest.max_timestamp() > config_.retention_ms;
    const bool over_size = config_.deletes() && config_.retention_bytes >= 0 &&
                           total - oldest.size() >= static_cast<uint64_t>(config_.retention_bytes);
    const bool empty_and_old = oldest.empty();
    if (!expired && !over_size && !empty_and_old) break;
    total -= oldest.size();
    log::info("retention: deleting segment {} of {} ({} bytes, newest record at {} ms)",
              oldest.base_offset(), dir_.filename().string(), oldest.size(),
              oldest.max_timestamp());
    RUNNEL_RETURN_IF_ERROR(oldest.remove());
    segments_.erase(segments_.begin());
    const int64_t start = segments_.begin()->first;
    std::erase_if(aborted_, [start](const AbortedTransaction& e) { return e.last_offset < start; });
    cleaned_up_to_ = std::max(cleaned_up_to_, segments_.begin()->first);
    ++deleted;
  }
  if (config_.flush_ms != TopicConfig::kNever && unflushed_messages_ > 0 &&
      now_ms - last_flush_ms_ >= config_.flush_ms) {
    RUNNEL_RETURN_IF_ERROR(flush_locked());
    last_flush_ms_ = now_ms;
  }
  return deleted;
}

Status Log::flush_locked() {
  // Every segment not yet known durable (normally the active one only: rolled segments are
  // fsynced as they roll), so that the recovery point can move to the log end.
  for (const auto& [base, segment] : segments_) {
    if (segment.get() != &active() && segment->next_offset() > recovery_point_) {
      RUNNEL_RETURN_IF_ERROR(segment->flush());
    }
  }
  RUNNEL_RETURN_IF_ERROR(active().flush());
  unflushed_messages_ = 0;
  recovery_point_ = active().next_offset();
  return ok_status();
}

Status Log::flush() {
  std::unique_lock lock(mutex_);
  if (segments_.empty()) return ok_status();
  return flush_locked();
}

Status Log::remove() {
  std::unique_lock lock(mutex_);
  for (auto& [base, segment] : segments_) RUNNEL_RETURN_IF_ERROR(segment->remove());
  segments_.clear();
  return fs_.remove_all(dir_);
}

}  // namespace runnel::broker
